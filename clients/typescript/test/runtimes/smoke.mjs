// The client on another JavaScript runtime (Node 18, Deno, Bun) against the live server: the
// dist/ modules imported by path, as Deno and browsers import them. Prints "smoke ok" last.
import {
  ESRuntime,
  NotFoundError,
  RequestAbortedError,
  UnauthorizedError,
} from "../../dist/index.js";

const env = (name) => {
  const value = globalThis.Deno ? globalThis.Deno.env.get(name) : globalThis.process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};
const check = (condition, what) => {
  if (!condition) throw new Error(`failed: ${what}`);
};
const url = env("ESRUNTIME_URL");
const client = new ESRuntime({ baseUrl: url, apiKey: env("ESRUNTIME_API_KEY"), backoff: 1, maxBackoff: 10 });
const suffix = Math.random().toString(16).slice(2, 10);
const [alice, bob] = [`alice-${suffix}`, `bob-${suffix}`];

check((await client.health()).healthy, "healthy");
for (const account of [alice, bob]) {
  const opened = await client.execute("open_account", { account_id: account, owner: account, currency: "EUR" });
  check(opened.status === "ok", `open ${account}: ${JSON.stringify(opened)}`);
}
check((await client.execute("deposit", { account_id: alice, amount: 100 })).status === "ok", "deposit");
const transfer = { source_account: alice, dest_account: bob, amount: 30 };
const done = await client.execute("transfer_funds", transfer);
check(done.status === "ok" && done.events.length === 2 && /^esr-[0-9a-f]{32}$/.test(done.idempotencyKey), "transfer");
const again = await client.execute("transfer_funds", transfer, { idempotencyKey: done.idempotencyKey });
check(again.status === "ok" && again.replayed && again.events[0].id === done.events[0].id, "replay");
const refused = await client.execute("transfer_funds", { ...transfer, amount: 500 });
check(refused.status === "rejected" && refused.code === "insufficient_funds", "rejection");

const seen = [];
for await (const page of client.iterEventPages({ domainIds: { account_id: [alice, bob] }, pageSize: 2 })) seen.push(page);
check(seen.map((p) => p.events.length).join() === "2,2,1", `pages ${seen.map((p) => p.events.length)}`);
const event = await client.getEvent(done.events[0].id);
check(event.metadata.handler === "transfer_funds", "getEvent");
const module = await client.getHandler("transfer_funds");
check(module.version === "1.2.0" && module.sha256.length === 64, "getHandler");

const failure = await client.getEvent("evt_nothing").catch((error) => error);
check(failure instanceof NotFoundError && failure.code === "event_not_found" && failure.requestId.startsWith("req_"), "not found");
const stranger = new ESRuntime({ baseUrl: url, apiKey: "not-a-key" });
check((await stranger.listHandlers().catch((error) => error)) instanceof UnauthorizedError, "unauthorized");
const aborted = await client.health({ signal: AbortSignal.abort() }).catch((error) => error);
check(aborted instanceof RequestAbortedError, "aborted");
console.log("smoke ok");
