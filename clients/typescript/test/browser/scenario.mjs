// What a browser page does with the client against the live server, as plain data for the test
// to check: commands (ok, replayed, rejected), typed errors, pages of events, aborted calls.
import {
  ApiError,
  ESRuntime,
  ESRuntimeError,
  RequestAbortedError,
  UnauthorizedError,
} from "../../dist/index.js";

/** An error as data: its class, the client's error classes it is an instance of, its fields. */
function described(error) {
  return {
    name: error?.name ?? null,
    esruntimeError: error instanceof ESRuntimeError,
    apiError: error instanceof ApiError,
    unauthorized: error instanceof UnauthorizedError,
    aborted: error instanceof RequestAbortedError,
    code: error?.code ?? null,
    status: error?.status ?? null,
    requestId: error?.requestId ?? null,
    message: String(error?.message ?? error),
    cause: error?.cause instanceof Error ? error.cause.message : null,
  };
}

const failure = (promise) => promise.then(
  (value) => ({ resolved: JSON.parse(JSON.stringify(value)) }),
  (error) => described(error),
);

/** Two fresh accounts, a transfer between them and its replay, a refused transfer, a stranger's
 * call, the accounts' events page by page, and a call aborted before it was sent. */
export async function run({ baseUrl, apiKey, suffix }) {
  const client = new ESRuntime({ baseUrl, apiKey, backoff: 1, maxBackoff: 10 });
  const [alice, bob] = [`alice-${suffix}`, `bob-${suffix}`];
  const opened = [];
  for (const account of [alice, bob]) {
    opened.push(await client.execute("open_account", { account_id: account, owner: account, currency: "EUR" }));
  }
  const deposited = await client.execute("deposit", { account_id: alice, amount: 100 });
  const transfer = { source_account: alice, dest_account: bob, amount: 30 };
  const ok = await client.execute("transfer_funds", transfer);
  const replayed = await client.execute("transfer_funds", transfer, { idempotencyKey: ok.idempotencyKey });
  const rejected = await client.execute("transfer_funds", { ...transfer, amount: 500 });

  const stranger = new ESRuntime({ baseUrl, apiKey: "not-a-key" });
  const unauthorized = await failure(stranger.listHandlers());

  const pages = [];
  for await (const page of client.iterEventPages({ domainIds: { account_id: [alice, bob] }, pageSize: 2 })) {
    pages.push(page);
  }
  const beforeSending = await failure(client.health({ signal: AbortSignal.abort(new Error("never sent")) }));
  return JSON.parse(JSON.stringify({
    opened, deposited, ok, replayed, rejected, unauthorized, pages, beforeSending,
  }));
}

let held;

/** Start a call whose request the test holds unanswered; `abortHeld` aborts it in flight. */
export function startHeld({ baseUrl, apiKey }) {
  const controller = new AbortController();
  const client = new ESRuntime({ baseUrl, apiKey, timeout: null });
  held = { controller, outcome: failure(client.execute("deposit", { account_id: "nobody", amount: 1 }, { signal: controller.signal })) };
}

export async function abortHeld() {
  held.controller.abort(new Error("the caller gave up"));
  return held.outcome;
}
