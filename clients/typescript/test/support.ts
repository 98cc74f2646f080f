/**
 * What the tests share: the live server they were given (`esruntime serve`, started by
 * tests/client/test_typescript_client.py with the bank of examples/bank loaded), fresh names,
 * and a raw TCP server that plays the broken servers.
 */

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { once } from "node:events";
import { ESRuntime, type ESRuntimeOptions } from "@esruntime/sdk";

function required(name: string): string {
  const value = process.env[name];
  assert.ok(value, `${name} is not set: run these tests through tests/client/test_typescript_client.py`);
  return value;
}

/** The live server and its keys: the default tenant's admin, a key of that tenant with only
 * `events.read`, a revoked key, and admins of two other tenants with the bank loaded
 * (`conflicts`) or nothing at all (`sandbox`). */
export const live = {
  url: required("ESRUNTIME_URL"),
  key: required("ESRUNTIME_API_KEY"),
  readerKey: required("ESRUNTIME_READER_KEY"),
  revokedKey: required("ESRUNTIME_REVOKED_KEY"),
  conflictsKey: required("ESRUNTIME_CONFLICTS_KEY"),
  sandboxKey: required("ESRUNTIME_SANDBOX_KEY"),
  bank: required("ESRUNTIME_BANK"),
};

export function client(options: ESRuntimeOptions = {}): ESRuntime {
  return new ESRuntime({ baseUrl: live.url, apiKey: live.key, backoff: 1, maxBackoff: 10, ...options });
}

/** A name no other test uses: tests share the server and run side by side. */
export function fresh(prefix: string): string {
  return `${prefix}-${randomBytes(6).toString("hex")}`;
}

export function bankFile(relative: string): Uint8Array {
  return new Uint8Array(readFileSync(`${live.bank}/${relative}`));
}

/** Open `accounts` and deposit `deposit` into each. */
export async function openAccounts(esr: ESRuntime, accounts: readonly string[], deposit = 0): Promise<void> {
  for (const account of accounts) {
    const opened = await esr.execute("open_account", { account_id: account, owner: account, currency: "EUR" });
    assert.equal(opened.status, "ok", JSON.stringify(opened));
    if (deposit > 0) {
      const paid = await esr.execute("deposit", { account_id: account, amount: deposit });
      assert.equal(paid.status, "ok", JSON.stringify(paid));
    }
  }
}

// -- a raw TCP server ---------------------------------------------------------------------------

/** What a raw server does with a request: answer these bytes, or close (null), or hold the
 * connection open without a word until the server stops ("hold"). */
export type Script = (request: Buffer, index: number) => Buffer | string | null | "hold";

/** A TCP server on a free port that reads each request whole and does what `script` says. */
export class RawServer {
  readonly requests: Buffer[] = [];
  private readonly sockets = new Set<Socket>();
  private readonly waiters: (() => void)[] = [];

  private constructor(private readonly server: Server, private readonly script: Script) {}

  static async start(script: Script): Promise<RawServer> {
    const server = createServer();
    const raw = new RawServer(server, script);
    server.on("connection", (socket) => raw.accept(socket));
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    return raw;
  }

  get url(): string {
    const address = this.server.address();
    assert.ok(address !== null && typeof address === "object");
    return `http://127.0.0.1:${address.port}/v1`;
  }

  /** Resolves once `count` requests have arrived. */
  async received(count: number): Promise<void> {
    while (this.requests.length < count) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  private accept(socket: Socket): void {
    this.sockets.add(socket);
    socket.on("close", () => this.sockets.delete(socket));
    socket.on("error", () => undefined);
    let data = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      const end = data.indexOf("\r\n\r\n");
      if (end < 0) return;
      const length = /\r\ncontent-length: *(\d+)/i.exec(data.subarray(0, end).toString("latin1"));
      if (data.length < end + 4 + Number(length?.[1] ?? 0)) return;
      socket.off("data", onData);
      const index = this.requests.push(data) - 1;
      for (const wake of this.waiters.splice(0)) wake();
      const answer = this.script(data, index);
      if (answer === "hold") return;
      if (answer === null) socket.destroy();
      else socket.end(answer);
    };
    socket.on("data", onData);
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    this.server.close();
    await once(this.server, "close");
  }
}

/** An HTTP/1.1 answer; `length` declares another Content-Length than the body's. */
export function httpAnswer(
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
  length?: number,
): Buffer {
  const bytes = Buffer.isBuffer(body) ? body : Buffer.from(typeof body === "string" ? body : JSON.stringify(body));
  const sent: Record<string, string> = { "Content-Type": "application/json", Connection: "close", ...headers };
  sent["Content-Length"] = String(length ?? bytes.length);
  const head = [`HTTP/1.1 ${status} Whatever`, ...Object.entries(sent).map(([k, v]) => `${k}: ${v}`)].join("\r\n");
  return Buffer.concat([Buffer.from(`${head}\r\n\r\n`), bytes]);
}

/** A header of a raw request, by name (case-insensitive). */
export function headerOf(request: Buffer, name: string): string | undefined {
  const head = request.subarray(0, request.indexOf("\r\n\r\n")).toString("latin1");
  const line = head.split("\r\n").find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`));
  return line?.slice(name.length + 1).trim();
}

export function bodyOf(request: Buffer): string {
  return request.subarray(request.indexOf("\r\n\r\n") + 4).toString("utf8");
}
