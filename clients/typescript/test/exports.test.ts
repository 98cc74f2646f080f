/** The package's public surface, and the types a caller relies on: checked by the compiler
 * (`@ts-expect-error` fails the build when the error it expects is gone) and at run time. */

import assert from "node:assert/strict";
import { test } from "node:test";
import * as sdk from "@esruntime/sdk";
import type { CommandResult, HandlerUploadResult, SchemaPushResult } from "@esruntime/sdk";

test("the package exports exactly its documented names", () => {
  assert.deepEqual(Object.keys(sdk).sort(), [
    "ApiError",
    "BadRequestError",
    "ConfigurationError",
    "ConnectionFailedError",
    "DEFAULT_BASE_URL",
    "ESRuntime",
    "ESRuntimeError",
    "ForbiddenError",
    "InvalidArgumentError",
    "MalformedResponseError",
    "NotFoundError",
    "PayloadTooLargeError",
    "RequestAbortedError",
    "RequestConflictError",
    "RequestTimeoutError",
    "ServerError",
    "UnauthorizedError",
    "UnprocessableError",
  ]);
  for (const name of Object.keys(sdk).filter((n) => n.endsWith("Error"))) {
    const Kind = (sdk as unknown as Record<string, new (...args: never[]) => unknown>)[name]!;
    assert.ok(Kind.prototype instanceof sdk.ESRuntimeError || Kind === sdk.ESRuntimeError, name);
  }
});

/** What a caller may read of each outcome, as the compiler sees it. */
function describe(result: CommandResult): string {
  // @ts-expect-error: only a rejection has a code; the union must be narrowed first
  void result.code;
  // @ts-expect-error: only an ok result has events
  void result.events;
  switch (result.status) {
    case "ok":
      return `${result.events.length} ${result.position} ${result.replayed}`;
    case "rejected":
      return `${result.code} ${result.message}`;
    case "conflict":
      return result.message;
    default: {
      const never: never = result;
      return never;
    }
  }
}

function outcomes(push: SchemaPushResult, upload: HandlerUploadResult): string[] {
  return [
    push.status === "ok" ? push.version : push.breakingChanges.map((c) => c.event).join(),
    upload.status === "ok" ? upload.warnings.join() : upload.errors.map((e) => e.code).join(),
  ];
}

test("results are unions discriminated by status", () => {
  const tally = { retries: 0, serverRetries: 0, attempts: 1, idempotencyKey: "k", requestId: null };
  assert.equal(describe({ status: "rejected", code: "insufficient_funds", message: "no", ...tally }), "insufficient_funds no");
  assert.equal(describe({ status: "ok", events: [], position: 3, replayed: false, ...tally }), "0 3 false");
  assert.deepEqual(
    outcomes({ status: "rejected", breakingChanges: [], hint: null }, { status: "rejected", errors: [{ code: "invalid_module", message: "m" }] }),
    ["", "invalid_module"],
  );
});

test("the client's options take what an environment variable may hold", () => {
  const maybe: string | undefined = process.env.ESRUNTIME_NOT_SET_ANYWHERE;
  const client = new sdk.ESRuntime({ apiKey: maybe, baseUrl: "http://127.0.0.1:8000/v1" });
  assert.equal(client.baseUrl, "http://127.0.0.1:8000/v1");
});
