/** Commands on the live server: events, rejections, idempotent replays. */

import assert from "node:assert/strict";
import { test } from "node:test";
import { type CommandOk, UnprocessableError } from "@esruntime/sdk";
import { client, fresh, openAccounts } from "./support.js";

const esr = client();

test("a transfer returns its events, and they can be read back with their metadata", async () => {
  const [alice, bob] = [fresh("alice"), fresh("bob")];
  await openAccounts(esr, [alice, bob], 80);
  const result = await esr.execute("transfer_funds", { source_account: alice, dest_account: bob, amount: 50.0 });
  assert.equal(result.status, "ok");
  if (result.status !== "ok") return;
  assert.deepEqual([result.retries, result.attempts, result.replayed], [0, 1, false]);
  assert.match(result.idempotencyKey, /^esr-[0-9a-f]{32}$/);
  assert.match(result.requestId ?? "", /^req_/);
  const [sent, received] = result.events;
  assert.ok(sent && received);
  assert.deepEqual([sent.type, received.type], ["SentFunds", "ReceivedFunds"]);
  assert.deepEqual(sent.data, { account_id: alice, amount: 50.0, recipient_id: bob });
  assert.ok(Math.abs(Date.now() - Date.parse(sent.timestamp)) < 3_600_000);

  const stored = await esr.getEvent(sent.id);
  assert.deepEqual([stored.id, stored.type, stored.position], [sent.id, "SentFunds", (result.position ?? 0) - 1]);
  assert.deepEqual(stored.domainIds, { account_id: alice });
  assert.deepEqual(stored.data, sent.data);
  assert.equal(stored.metadata?.handler, "transfer_funds");
  assert.equal(stored.metadata?.handler_version, "1.2.0");
  assert.equal(stored.metadata?.correlation_id, result.requestId);
});

test("a rejection is a result with the handler's code and message", async () => {
  const [alice, bob] = [fresh("alice"), fresh("bob")];
  await openAccounts(esr, [alice, bob]);
  const result = await esr.execute("transfer_funds", { source_account: alice, dest_account: bob, amount: 50 });
  assert.equal(result.status, "rejected");
  if (result.status !== "rejected") return;
  assert.equal(result.code, "insufficient_funds");
  assert.equal(result.message, `account ${alice} has insufficient funds`);
  assert.deepEqual([result.retries, result.attempts], [0, 1]);
});

test("invalid input is a rejection with code invalid_input", async () => {
  const account = fresh("carol");
  await openAccounts(esr, [account]);
  const result = await esr.execute("deposit", { account_id: account, amount: -5 });
  assert.equal(result.status, "rejected");
  assert.equal(result.status === "rejected" && result.code, "invalid_amount");
  const missing = await esr.execute("deposit", { account_id: account });
  assert.equal(missing.status, "rejected");
  assert.equal(missing.status === "rejected" && missing.code, "invalid_input");
});

test("the same idempotency key replays the recorded result without running the handler", async () => {
  const [alice, bob] = [fresh("alice"), fresh("bob")];
  await openAccounts(esr, [alice, bob], 100);
  const key = fresh("transfer");
  const body = { source_account: alice, dest_account: bob, amount: 30 };
  const done = (await esr.execute("transfer_funds", body, { idempotencyKey: key })) as CommandOk;
  assert.equal(done.status, "ok");
  assert.equal(done.replayed, false);
  const again = (await esr.execute("transfer_funds", body, { idempotencyKey: key })) as CommandOk;
  assert.equal(again.status, "ok");
  assert.equal(again.replayed, true);
  assert.equal(again.idempotencyKey, key);
  assert.deepEqual(again.events.map((e) => e.id), done.events.map((e) => e.id));
  assert.equal(again.position, done.position);
  const sent = await esr.queryEvents({ eventTypes: ["SentFunds"], domainIds: { account_id: alice } });
  assert.equal(sent.events.length, 1, "the handler ran once");
});

test("calls without a key get one each: the same input twice runs twice", async () => {
  const account = fresh("dave");
  await openAccounts(esr, [account]);
  const first = await esr.execute("deposit", { account_id: account, amount: 5 });
  const second = await esr.execute("deposit", { account_id: account, amount: 5 });
  assert.ok(first.status === "ok" && second.status === "ok");
  assert.notEqual(first.idempotencyKey, second.idempotencyKey);
  assert.equal(second.replayed, false);
  const page = await esr.queryEvents({ eventTypes: ["ReceivedFunds"], domainIds: { account_id: account } });
  assert.deepEqual(page.events.map((e) => e.data.amount), [5, 5]);
});

test("a key reused with another input is refused with idempotency_key_reused", async () => {
  const key = fresh("open");
  const opened = await esr.execute("open_account", { account_id: fresh("e"), owner: "x", currency: "EUR" }, { idempotencyKey: key });
  assert.equal(opened.status, "ok");
  await assert.rejects(
    esr.execute("open_account", { account_id: fresh("f"), owner: "x", currency: "EUR" }, { idempotencyKey: key }),
    (error: unknown) => {
      assert.ok(error instanceof UnprocessableError);
      assert.deepEqual([error.status, error.code], [422, "idempotency_key_reused"]);
      assert.match(error.requestId ?? "", /^req_/);
      return true;
    },
  );
});
