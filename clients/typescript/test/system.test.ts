/** Health and metrics of the live server. */

import assert from "node:assert/strict";
import { test } from "node:test";
import { client, fresh, openAccounts } from "./support.js";

const esr = client();

test("health reports the server and its event store", async () => {
  const health = await esr.health();
  assert.equal(health.healthy, true);
  assert.equal(health.status, "healthy");
  assert.match(health.version, /^\d+\.\d+\.\d+/);
  assert.deepEqual(health.details, { umadb: "connected", store: "connected", backend: "sqlite" });
});

test("metrics are the tenant's Prometheus text", async () => {
  await openAccounts(esr, [fresh("gina")]);
  const text = await esr.metrics();
  assert.match(text, /^esruntime_commands_total\{.*handler="open_account".*outcome="ok".*\} [1-9]/m);
});
