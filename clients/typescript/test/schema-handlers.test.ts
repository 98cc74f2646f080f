/** Schemas and handlers, in a tenant of their own (`sandbox`), which starts empty. */

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { BadRequestError, ESRuntime, NotFoundError } from "@esruntime/sdk";
import { bankFile, fresh, live, openAccounts } from "./support.js";

const esr = new ESRuntime({ baseUrl: live.url, apiKey: live.sandboxKey });
const SCHEMA = readFileSync(`${live.bank}/schema.esdl`, "utf8");

// The tests of this file change one tenant's schema and handlers: they run in order.
test("schemas and handlers", { concurrency: false }, async (t) => {
  await t.test("a tenant without a schema has none to show", async () => {
    await assert.rejects(esr.getSchema(), (error: unknown) => {
      assert.ok(error instanceof NotFoundError);
      assert.equal(error.code, "schema_not_found");
      return true;
    });
  });

  await t.test("a schema is validated without being stored, then pushed and read back", async () => {
    const dryRun = await esr.validateSchema(SCHEMA);
    assert.equal(dryRun.status, "ok");
    assert.deepEqual(dryRun.status === "ok" && [...dryRun.changes.addedEvents].sort(), ["OpenedAccount", "ReceivedFunds", "SentFunds"]);
    await assert.rejects(esr.getSchema(), NotFoundError);

    const pushed = await esr.pushSchema(SCHEMA);
    assert.equal(pushed.status, "ok");
    const current = await esr.getSchema();
    assert.equal(current.version, pushed.status === "ok" ? pushed.version : "");
    assert.equal(current.text, SCHEMA);
    const opened = current.events.find((e) => e.name === "OpenedAccount");
    assert.deepEqual(opened?.domainIds, ["account_id"]);
    assert.deepEqual(
      opened?.fields.map((f) => [f.name, f.type, f.domainId]),
      [["account_id", "String", true], ["owner", "String", false], ["currency", "Currency", false]],
    );
    assert.deepEqual(current.enums.map((e) => e.name), ["Currency"]);
    assert.ok(!Number.isNaN(Date.parse(current.updatedAt)));
  });

  await t.test("invalid ESDL is a bad request with the parser's message", async () => {
    await assert.rejects(esr.pushSchema("event {"), (error: unknown) => {
      assert.ok(error instanceof BadRequestError);
      assert.deepEqual([error.status, error.code], [400, "invalid_schema"]);
      assert.match(error.message, /line 1/);
      return true;
    });
  });

  await t.test("a handler is uploaded from bytes, described, listed, run and deleted", async () => {
    const module = bankFile("wasm/c/open_account.wasm");
    const uploaded = await esr.uploadHandler("open_account", module, "1.0.0");
    assert.deepEqual(uploaded, { status: "ok", name: "open_account", version: "1.0.0", eventTypes: ["OpenedAccount"], warnings: [] });
    // an ArrayBuffer does as well as a Uint8Array
    const deposit = bankFile("wasm/c/deposit.wasm");
    const buffer = deposit.buffer.slice(deposit.byteOffset, deposit.byteOffset + deposit.byteLength) as ArrayBuffer;
    assert.equal((await esr.uploadHandler("deposit", buffer, "1.0.0")).status, "ok");

    const details = await esr.getHandler("open_account");
    assert.deepEqual([details.name, details.version, details.kind], ["open_account", "1.0.0", "wasm"]);
    assert.equal(details.wasmSizeBytes, module.byteLength);
    assert.equal(details.sha256, createHash("sha256").update(module).digest("hex"));
    assert.deepEqual(details.domainIdFields, ["account_id"]);
    assert.deepEqual(details.versions.map((v) => [v.version, v.current]), [["1.0.0", true]]);

    const account = fresh("alice");
    await openAccounts(esr, [account], 5);
    const listed = new Map((await esr.listHandlers()).map((h) => [h.name, h]));
    assert.deepEqual([...listed.keys()].sort(), ["deposit", "open_account"]);
    assert.equal(listed.get("open_account")?.executions24h, 1);
    assert.equal(listed.get("deposit")?.executions24h, 1);

    await esr.deleteHandler("deposit");
    await assert.rejects(esr.getHandler("deposit"), (error: unknown) => error instanceof NotFoundError && error.code === "handler_not_found");
    await assert.rejects(esr.execute("deposit", { account_id: account, amount: 1 }), NotFoundError);
    await assert.rejects(esr.deleteHandler("deposit"), NotFoundError);
  });

  await t.test("a new version runs at once, and an older one runs again after makeCurrent", async () => {
    const module = bankFile("wasm/c/open_account.wasm");
    const second = await esr.uploadHandler("open_account", module, "1.0.1");
    assert.equal(second.status, "ok");
    assert.deepEqual(second.status === "ok" && second.warnings, ["The module says version 1.0.0; it is stored as 1.0.1"]);
    assert.equal((await esr.getHandler("open_account")).version, "1.0.1");
    const back = await esr.makeCurrent("open_account", "1.0.0");
    assert.deepEqual(back, { status: "ok", name: "open_account", version: "1.0.0", eventTypes: ["OpenedAccount"], warnings: [] });
    const details = await esr.getHandler("open_account");
    assert.deepEqual(details.versions.map((v) => [v.version, v.current]), [["1.0.0", true], ["1.0.1", false]]);
    await assert.rejects(esr.makeCurrent("open_account", "9.0.0"), (error: unknown) => error instanceof NotFoundError && error.code === "version_not_found");
  });

  await t.test("a refused module is a result listing every error", async () => {
    const garbage = await esr.uploadHandler("count", new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 0x67]), "1.0.0");
    assert.equal(garbage.status, "rejected");
    assert.deepEqual(garbage.status === "rejected" && garbage.errors.map((e) => e.code), ["invalid_module"]);
    const renamed = await esr.uploadHandler("other", bankFile("wasm/c/open_account.wasm"), "1.0.0");
    assert.equal(renamed.status, "rejected");
    assert.deepEqual(renamed.status === "rejected" && renamed.errors.map((e) => e.code), ["name_mismatch"]);
    const unversioned = await esr.uploadHandler("open_account", bankFile("wasm/c/open_account.wasm"), "latest");
    assert.deepEqual(unversioned.status === "rejected" && unversioned.errors.map((e) => e.code), ["invalid_version"]);
  });

  await t.test("a change that breaks stored events is refused unless forced", async () => {
    const renamed = SCHEMA.replace("event OpenedAccount {", "event AccountOpened {");
    const refused = await esr.pushSchema(renamed);
    assert.equal(refused.status, "rejected");
    if (refused.status !== "rejected") return;
    assert.ok(refused.breakingChanges.some((c) => c.event === "OpenedAccount" && c.change === "removed_event"), JSON.stringify(refused));
    assert.match(refused.hint ?? "", /force=true/);
    assert.deepEqual(await esr.validateSchema(renamed), refused);
    const before = (await esr.getSchema()).version;
    const forced = await esr.pushSchema(renamed, { force: true });
    assert.equal(forced.status, "ok");
    assert.deepEqual(forced.status === "ok" && forced.changes.removedEvents, ["OpenedAccount"]);
    assert.notEqual((await esr.getSchema()).version, before);
  });
});
