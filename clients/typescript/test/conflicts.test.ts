/** Conflicts: real ones from concurrent transfers out of one account, and a scripted server's,
 * resent with one idempotency key per call, bounded, counted; no money made or lost. */

import assert from "node:assert/strict";
import { test } from "node:test";
import { type CommandOk, ESRuntime, RequestAbortedError } from "@esruntime/sdk";
import { bodyOf, fresh, headerOf, httpAnswer, live, openAccounts, RawServer } from "./support.js";

const CONFLICT = { status: "conflict", message: "Concurrent modification detected, please retry" };
const OK = { status: "ok", events: [], position: 7 };

/** The counter `name{labels}` of the Prometheus text, 0 when absent. */
function counter(text: string, name: string, labels: Record<string, string>): number {
  let total = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) total += Number(line.split(" ").at(-1));
  }
  return total;
}

test("concurrent transfers out of one account conflict, are retried, and conserve the money", async (t) => {
  // A tenant of its own, so that its metrics count these commands alone.
  const esr = new ESRuntime({ baseUrl: live.url, apiKey: live.conflictsKey, maxRetries: 100, backoff: 1, maxBackoff: 20 });
  const results: CommandOk[] = [];
  const accounts: string[] = [];
  const sends: { input: { source_account: string; dest_account: string; amount: number }; result: CommandOk }[] = [];
  // Each round sends 48 transfers at once out of one account: they conflict, the server re-runs
  // them (at most 5 times each) and answers 409 when they still conflict, which the client
  // resends. Rounds go on, at most 20, until the client has had to resend one.
  for (let round = 0; round < 20 && !results.some((r) => r.attempts > 1); round++) {
    const source = fresh("source");
    const dests = [fresh("dest"), fresh("dest"), fresh("dest"), fresh("dest")];
    await openAccounts(esr, [source, ...dests], 1000);
    accounts.push(source, ...dests);
    const inputs = Array.from({ length: 48 }, (_, i) => ({ source_account: source, dest_account: dests[i % 4]!, amount: (i % 8) + 1 }));
    const outcomes = await Promise.all(inputs.map((input) => esr.execute("transfer_funds", input)));
    outcomes.forEach((result, i) => {
      assert.equal(result.status, "ok", JSON.stringify(result));
      results.push(result as CommandOk);
      sends.push({ input: inputs[i]!, result: result as CommandOk });
    });
  }
  assert.ok(results.some((r) => r.serverRetries > 0), "the server never re-ran a transfer");
  assert.ok(results.some((r) => r.attempts > 1), "the client never had to resend a transfer");
  const resends = results.reduce((n, r) => n + r.attempts - 1, 0);
  const reruns = results.reduce((n, r) => n + r.serverRetries, 0);
  t.diagnostic(`${results.length} transfers: ${reruns} re-runs by the server, ${resends} resends by the client`);
  for (const r of results) assert.equal(r.retries, r.serverRetries + r.attempts - 1);
  assert.equal(new Set(results.map((r) => r.idempotencyKey)).size, results.length, "one key per call");

  // Every transfer appended its two events exactly once: the money is conserved.
  const events = [];
  for await (const event of esr.iterEvents({ eventTypes: ["SentFunds", "ReceivedFunds"], domainIds: { account_id: accounts }, pageSize: 200 })) {
    events.push(event);
  }
  const transfers = events.filter((e) => e.data.recipient_id != null || e.data.sender_id != null);
  assert.equal(transfers.length, 2 * results.length);
  const ids = new Set(results.flatMap((r) => r.events.map((e) => e.id)));
  assert.equal(ids.size, 2 * results.length);
  assert.ok(transfers.every((e) => ids.has(e.id)));
  const balance = events.reduce((sum, e) => sum + (e.type === "ReceivedFunds" ? 1 : -1) * Number(e.data.amount), 0);
  assert.equal(balance, 1000 * accounts.length);

  // The server counted what the client did: one command per request sent, its own re-runs.
  const metrics = await esr.metrics();
  const requests = counter(metrics, "esruntime_commands_total", { handler: "transfer_funds" });
  assert.equal(requests, results.reduce((n, r) => n + r.attempts, 0));
  assert.equal(counter(metrics, "esruntime_command_retries_total", { handler: "transfer_funds" }), reruns);

  // A resent transfer's key is the one its result was recorded under: sent again, it replays.
  const resent = sends.find((s) => s.result.attempts > 1)!;
  const again = await esr.execute("transfer_funds", resent.input, { idempotencyKey: resent.result.idempotencyKey });
  assert.equal(again.status === "ok" && again.replayed, true);
  assert.deepEqual(again.status === "ok" && again.events.map((e) => e.id), resent.result.events.map((e) => e.id));
});

test("a conflict is resent with the same key and body until it succeeds; retries add up", async () => {
  const answers = [
    httpAnswer(409, CONFLICT, { "X-Retry-Count": "2" }),
    httpAnswer(409, CONFLICT, { "X-Retry-Count": "2" }),
    httpAnswer(200, OK, { "X-Retry-Count": "1" }),
  ];
  const server = await RawServer.start((_, index) => answers[index] ?? null);
  try {
    const esr = new ESRuntime({ baseUrl: server.url, backoff: 1, maxBackoff: 5 });
    const result = await esr.execute("deposit", { amount: 5 });
    assert.equal(result.status, "ok");
    assert.deepEqual([result.attempts, result.serverRetries, result.retries], [3, 5, 2 + 2 + 1 + 2]);
    const keys = server.requests.map((r) => headerOf(r, "x-idempotency-key"));
    assert.equal(keys.length, 3);
    assert.equal(new Set(keys).size, 1);
    assert.equal(keys[0], result.idempotencyKey);
    assert.deepEqual(new Set(server.requests.map(bodyOf)), new Set(['{"amount":5}']));
    assert.equal(headerOf(server.requests[0]!, "content-type"), "application/json");
  } finally {
    await server.stop();
  }
});

test("retries are bounded and end in a conflict result", async () => {
  const server = await RawServer.start(() => httpAnswer(409, CONFLICT, { "X-Retry-Count": "0" }));
  try {
    const esr = new ESRuntime({ baseUrl: server.url, maxRetries: 2, backoff: 1, maxBackoff: 5 });
    const result = await esr.execute("deposit", { amount: 5 }, { idempotencyKey: "pay-1" });
    assert.equal(result.status, "conflict");
    assert.equal(result.status === "conflict" && result.message, CONFLICT.message);
    assert.deepEqual([result.attempts, result.retries, result.idempotencyKey], [3, 2, "pay-1"]);
    const once = await esr.execute("deposit", { amount: 5 }, { retries: 0 });
    assert.deepEqual([once.status, once.attempts], ["conflict", 1]);
    assert.equal(server.requests.length, 4);
    assert.deepEqual(server.requests.slice(0, 3).map((r) => headerOf(r, "x-idempotency-key")), ["pay-1", "pay-1", "pay-1"]);
  } finally {
    await server.stop();
  }
});

test("the waits between resends grow, are jittered, and stay under maxBackoff", () => {
  const esr = new ESRuntime({ backoff: 10, maxBackoff: 40 });
  for (let i = 0; i < 200; i++) {
    const [first, second, third, tenth] = [1, 2, 3, 10].map((n) => esr.delay(n)) as [number, number, number, number];
    assert.ok(first >= 5 && first <= 10, `${first}`);
    assert.ok(second >= 10 && second <= 20, `${second}`);
    assert.ok(third >= 20 && third <= 40, `${third}`);
    assert.ok(tenth >= 20 && tenth <= 40, `${tenth}`);
  }
  const spread = new Set(Array.from({ length: 50 }, () => esr.delay(3)));
  assert.ok(spread.size > 40, "jittered");
});

test("aborting a call that conflicts stops it without a resend", async () => {
  const server = await RawServer.start(() => httpAnswer(409, CONFLICT));
  try {
    const esr = new ESRuntime({ baseUrl: server.url, maxRetries: 5, backoff: 60_000, maxBackoff: 60_000 });
    const controller = new AbortController();
    const call = esr.execute("deposit", { amount: 5 }, { signal: controller.signal });
    await server.received(1);
    // the answer is on its way; the client then waits at least 30 s before resending
    setImmediate(() => controller.abort(new Error("user left")));
    await assert.rejects(call, (error: unknown) => {
      assert.ok(error instanceof RequestAbortedError);
      assert.equal((error.cause as Error).message, "user left");
      return true;
    });
    assert.equal(server.requests.length, 1);
  } finally {
    await server.stop();
  }
});
