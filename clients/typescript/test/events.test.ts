/** Events: queried by type and domain id, page by page, iterated, fetched by id. */

import assert from "node:assert/strict";
import { test } from "node:test";
import { BadRequestError, InvalidArgumentError, NotFoundError, type StoredEvent } from "@esruntime/sdk";
import { client, fresh, openAccounts } from "./support.js";

const esr = client();

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}

test("events are queried by type and domain id, page by page", async () => {
  const [alice, bob] = [fresh("alice"), fresh("bob")];
  await openAccounts(esr, [alice, bob]);
  for (let amount = 1; amount <= 7; amount++) {
    const paid = await esr.execute("deposit", { account_id: amount % 2 ? alice : bob, amount });
    assert.equal(paid.status, "ok");
  }
  const page = await esr.queryEvents({ eventTypes: ["ReceivedFunds"], domainIds: { account_id: [alice] }, limit: 2 });
  assert.deepEqual(page.events.map((e) => e.data.amount), [1, 3]);
  assert.equal(page.hasMore, true);
  assert.equal(page.nextPosition, page.events[1]?.position);
  const rest = await esr.queryEvents({ eventTypes: ["ReceivedFunds"], domainIds: { account_id: alice }, afterPosition: page.nextPosition });
  assert.deepEqual(rest.events.map((e) => e.data.amount), [5, 7]);
  assert.equal(rest.hasMore, false);

  const both = { domainIds: { account_id: [alice, bob] } };
  const every = await collect(esr.iterEvents({ ...both, pageSize: 3 }));
  assert.deepEqual(every.map((e) => e.type), [...Array(2).fill("OpenedAccount"), ...Array(7).fill("ReceivedFunds")]);
  const positions = every.map((e) => e.position);
  assert.deepEqual(positions, [...positions].sort((a, b) => a - b));
  const pages = await collect(esr.iterEventPages({ ...both, pageSize: 4 }));
  assert.deepEqual(pages.map((p) => p.events.length), [4, 4, 1]);
  assert.deepEqual(pages.map((p) => p.hasMore), [true, true, false]);
  assert.deepEqual(pages.flatMap((p) => p.events), every);
  const after = await collect(esr.iterEvents({ ...both, afterPosition: every[6]!.position, pageSize: 1 }));
  assert.deepEqual(after, every.slice(7));
});

test("an iteration stops when its consumer stops, asking for no further page", async () => {
  const account = fresh("erin");
  await openAccounts(esr, [account], 1);
  const seen: StoredEvent[] = [];
  for await (const event of esr.iterEvents({ domainIds: { account_id: account }, pageSize: 1 })) {
    seen.push(event);
    break;
  }
  assert.equal(seen.length, 1);
});

test("an event is fetched by id with its metadata, in the current schema or raw", async () => {
  const account = fresh("frank");
  await openAccounts(esr, [account], 12.5);
  const [deposit] = (await esr.queryEvents({ eventTypes: ["ReceivedFunds"], domainIds: { account_id: account } })).events;
  assert.ok(deposit);
  assert.equal(deposit.metadata, null);
  const fetched = await esr.getEvent(deposit.id);
  assert.deepEqual({ ...fetched, metadata: null }, deposit);
  assert.equal(fetched.metadata?.handler, "deposit");
  const raw = await esr.getEvent(deposit.id, { raw: true });
  assert.deepEqual(raw.data, { account_id: account, amount: 12.5, sender_id: null });
});

test("an unknown event id is not found", async () => {
  await assert.rejects(esr.getEvent("evt_01H8XNOPE"), (error: unknown) => {
    assert.ok(error instanceof NotFoundError);
    assert.equal(error.code, "event_not_found");
    return true;
  });
});

test("query values out of range are refused before anything is sent", async () => {
  await assert.rejects(esr.queryEvents({ limit: 0 }), /limit must be between 1 and 1000, got 0/);
  await assert.rejects(esr.queryEvents({ limit: 1001 }), InvalidArgumentError);
  await assert.rejects(esr.queryEvents({ afterPosition: -1 }), /afterPosition must be 0 or more/);
  await assert.rejects(collect(esr.iterEvents({ pageSize: 2.5 })), InvalidArgumentError);
  await assert.rejects(esr.queryEvents({ eventTypes: "SentFunds" as unknown as string[] }), InvalidArgumentError);
});

test("a query the server finds invalid is a bad request naming the problem", async () => {
  await assert.rejects(esr.queryEvents({ domainIds: { "Account-Id": "alice" } }), (error: unknown) => {
    assert.ok(error instanceof BadRequestError);
    assert.deepEqual([error.status, error.code], [400, "invalid_request"]);
    assert.match(error.message, /Account-Id/);
    assert.match(error.requestId ?? "", /^req_/);
    return true;
  });
  await assert.rejects(esr.queryEvents({ domainIds: { account_id: [] } }), BadRequestError);
});
