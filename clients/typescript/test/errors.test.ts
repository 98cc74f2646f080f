/** Every error status of the live server becomes its typed error, with the API's code,
 * message and request id; what HTTP cannot carry is refused before anything is sent. */

import assert from "node:assert/strict";
import { test } from "node:test";
import {
  ApiError,
  ConfigurationError,
  ESRuntime,
  ESRuntimeError,
  ForbiddenError,
  InvalidArgumentError,
  NotFoundError,
  PayloadTooLargeError,
  UnauthorizedError,
} from "@esruntime/sdk";
import { client, fresh, live } from "./support.js";

const esr = client();

function expectError<T extends ApiError>(kind: new (...args: never[]) => T, status: number, code: string) {
  return (error: unknown) => {
    assert.ok(error instanceof kind, `${String(error)} is not a ${kind.name}`);
    assert.ok(error instanceof ApiError && error instanceof ESRuntimeError && error instanceof Error);
    assert.deepEqual([error.status, error.code], [status, code]);
    assert.match(error.requestId ?? "", /^req_/);
    assert.equal(error.name, kind.name);
    return true;
  };
}

test("no API key is unauthorized, with the API's error body", async () => {
  const anonymous = new ESRuntime({ baseUrl: live.url });
  await assert.rejects(anonymous.execute("open_account", { account_id: "a1" }), (error: unknown) => {
    expectError(UnauthorizedError, 401, "unauthorized")(error);
    assert.equal((error as Error).message, "Missing API key: send 'Authorization: Bearer <api_key>'");
    return true;
  });
  const health = await anonymous.health();
  assert.equal(health.healthy, true, "health needs no key");
});

test("an unknown or revoked API key is unauthorized", async () => {
  for (const key of ["esr_0123456789abcdef_" + "x".repeat(43), "not-a-key", live.revokedKey]) {
    const stranger = new ESRuntime({ baseUrl: live.url, apiKey: key });
    await assert.rejects(stranger.listHandlers(), (error: unknown) => {
      expectError(UnauthorizedError, 401, "unauthorized")(error);
      assert.equal((error as Error).message, "Invalid or revoked API key");
      return true;
    });
  }
});

test("a key without the permission is forbidden", async () => {
  const reader = new ESRuntime({ baseUrl: live.url, apiKey: live.readerKey });
  const page = await reader.queryEvents({ limit: 1 });
  assert.ok(page.events.length <= 1);
  await assert.rejects(reader.execute("open_account", { account_id: fresh("x"), owner: "x", currency: "EUR" }), (error: unknown) => {
    expectError(ForbiddenError, 403, "forbidden")(error);
    assert.match((error as Error).message, /'commands\.execute'/);
    return true;
  });
  await assert.rejects(reader.metrics(), ForbiddenError);
  await assert.rejects(reader.pushSchema("event A { @a: String }"), ForbiddenError);
});

test("unknown commands, handlers and events are not found", async () => {
  await assert.rejects(esr.execute("withdraw_funds", {}), (error: unknown) => {
    expectError(NotFoundError, 404, "handler_not_found")(error);
    assert.equal((error as Error).message, "No handler registered with name 'withdraw_funds'");
    return true;
  });
  await assert.rejects(esr.getHandler("withdraw_funds"), expectError(NotFoundError, 404, "handler_not_found"));
  await assert.rejects(esr.getEvent("evt_unknown"), expectError(NotFoundError, 404, "event_not_found"));
});

test("names are sent whole, even with slashes and question marks", async () => {
  await assert.rejects(esr.execute("count?force=true", {}), (error: unknown) => {
    assert.ok(error instanceof NotFoundError);
    assert.equal(error.message, "No handler registered with name 'count?force=true'");
    return true;
  });
  const version = (await esr.getSchema()).version;
  // never PUT /schema
  await assert.rejects(esr.uploadHandler("../schema", new TextEncoder().encode("event A { @a: String }"), "1.0.0"), ApiError);
  await assert.rejects(esr.getHandler("a/b"), NotFoundError);
  assert.equal((await esr.getSchema()).version, version);
  for (const dots of [".", ".."]) await assert.rejects(esr.getHandler(dots), InvalidArgumentError);
});

test("oversized bodies are payload too large", async () => {
  await assert.rejects(
    esr.execute("open_account", { account_id: "a1", owner: "x".repeat(300 * 1024), currency: "EUR" }),
    expectError(PayloadTooLargeError, 413, "body_too_large"),
  );
  await assert.rejects(esr.validateSchema("event A { @a: String }\n".repeat(12_000)), PayloadTooLargeError);
});

test("input HTTP cannot carry is refused before anything is sent", async () => {
  const nowhere = new ESRuntime({ baseUrl: "http://127.0.0.1:9/v1" });
  const refused = (pattern: RegExp) => (error: unknown) => error instanceof InvalidArgumentError && pattern.test(error.message);
  await assert.rejects(nowhere.execute("", {}), refused(/a command name is a non-empty string/));
  await assert.rejects(nowhere.execute("deposit", { amount: Number.NaN }), refused(/cannot be sent as JSON: NaN at "amount"/));
  await assert.rejects(nowhere.execute("deposit", { amount: 10n } as object), refused(/cannot be sent as JSON/));
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  await assert.rejects(nowhere.execute("deposit", cyclic), refused(/cannot be sent as JSON/));
  await assert.rejects(nowhere.execute("deposit", [1, 2] as object), refused(/is a JSON object, got an array/));
  await assert.rejects(nowhere.execute("deposit", {}, { idempotencyKey: "" }), refused(/idempotency key/));
  await assert.rejects(nowhere.execute("deposit", {}, { idempotencyKey: "k".repeat(201) }), refused(/at most 200/));
  await assert.rejects(nowhere.execute("deposit", {}, { idempotencyKey: "caf\u00e9" }), refused(/printable ASCII/));
  await assert.rejects(nowhere.execute("deposit", {}, { idempotencyKey: "a\nb" }), refused(/printable ASCII/));
  await assert.rejects(nowhere.execute("deposit", {}, { retries: -1 }), ConfigurationError);
  await assert.rejects(nowhere.health({ timeout: 0 }), ConfigurationError);
  await assert.rejects(nowhere.pushSchema("event A { @a: String \ud800 }"), refused(/unpaired surrogate/));
  await assert.rejects(nowhere.uploadHandler("deposit", "bytes" as unknown as Uint8Array, "1.0.0"), refused(/is bytes/));
  await assert.rejects(nowhere.uploadHandler("deposit", new Uint8Array(1), "1.0.0\r\nX-Evil: 1"), refused(/a version/));
});

test("invalid options are refused by the constructor", () => {
  const invalid: object[] = [
    { baseUrl: "ftp://example.com/v1" },
    { baseUrl: "not a url" },
    { baseUrl: "http://127.0.0.1:8000/v1?x=1" },
    { apiKey: "" },
    { apiKey: "with space" },
    { apiKey: "caf\u00e9" },
    { maxRetries: -1 },
    { maxRetries: 1.5 },
    { timeout: -5 },
    { timeout: 0 },
    { timeout: Number.NaN },
    { backoff: 100, maxBackoff: 10 },
    { maxResponseBytes: -1 },
    { headers: { "X-Bad\r\nInjected": "1" } },
    { headers: { "X-Ok": "line\r\nbreak" } },
  ];
  for (const options of invalid) {
    assert.throws(() => new ESRuntime(options), ConfigurationError, JSON.stringify(options));
  }
  assert.equal(new ESRuntime({ baseUrl: "http://127.0.0.1:8000/v1/" }).baseUrl, "http://127.0.0.1:8000/v1");
  assert.equal(new ESRuntime().baseUrl, "http://127.0.0.1:8000/v1");
});
