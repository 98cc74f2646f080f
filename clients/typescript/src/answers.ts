/**
 * How each route's answer reads: the API's JSON bodies turned into the client's typed values.
 *
 * @module
 */

import { MalformedResponseError } from "./errors.js";
import { Reader } from "./reader.js";
import type { Answer } from "./transport.js";
import type {
  CommandEvent,
  EventPage,
  HandlerDetails,
  HandlerSummary,
  HandlerUploadResult,
  Health,
  JsonObject,
  SchemaInfo,
  SchemaPushResult,
  StoredEvent,
} from "./types.js";

/** One attempt of a command, before the client adds up its retries. */
export type Attempt = { serverRetries: number; requestId: string | null } & (
  | { status: "ok"; events: CommandEvent[]; position: number | null; replayed: boolean }
  | { status: "rejected"; code: string; message: string | null }
  | { status: "conflict"; message: string }
);

const EXPECTED_STATUS: Record<number, string> = { 200: "ok", 409: "conflict" };

export function readAttempt(answer: Answer): Attempt {
  const read = new Reader(answer.outcome(200, [400, 409, 422]), answer.what);
  const header = answer.header("x-retry-count") ?? "0";
  if (!/^\d+$/.test(header)) {
    throw new MalformedResponseError(`${answer.what}: X-Retry-Count is ${JSON.stringify(header)}, not a count`);
  }
  const serverRetries = Number(header);
  const requestId = answer.header("x-request-id");
  const expected = EXPECTED_STATUS[answer.status] ?? "rejected";
  const status = read.value.status;
  if (status !== expected) {
    throw new MalformedResponseError(
      `${answer.what}: HTTP ${answer.status} with status ${JSON.stringify(status)}, expected ${JSON.stringify(expected)}`,
    );
  }
  if (status === "ok") {
    const events = read.objects("events").map((e) => ({
      id: e.string("id"),
      type: e.string("type"),
      data: e.mapping("data"),
      timestamp: e.time("timestamp"),
    }));
    const replayed = answer.header("x-idempotent-replayed") === "true";
    return { status, events, position: read.optInteger("position"), replayed, serverRetries, requestId };
  }
  if (status === "rejected") {
    return { status, code: read.string("code"), message: read.optString("message"), serverRetries, requestId };
  }
  return { status: "conflict", message: read.string("message"), serverRetries, requestId };
}

export function readSchema(answer: Answer): SchemaInfo {
  const read = new Reader(answer.expect(200), answer.what);
  return {
    version: read.string("version"),
    text: read.string("schema"),
    events: read.objects("events").map((e) => ({
      name: e.string("name"),
      domainIds: e.strings("domain_ids"),
      fields: e.objects("fields").map((f) => ({
        name: f.string("name"),
        type: f.string("type"),
        domainId: f.boolean("domain_id"),
        doc: f.optString("doc"),
      })),
      doc: e.optString("doc"),
    })),
    types: read.has("types") ? read.objects("types").map((t) => t.value) : [],
    enums: read.has("enums") ? read.objects("enums").map((t) => t.value) : [],
    updatedAt: read.time("updated_at"),
  };
}

export function readPush(answer: Answer): SchemaPushResult {
  const read = new Reader(answer.outcome(200, [422]), answer.what);
  if (answer.status === 200) {
    const changes = read.object("changes");
    return {
      status: "ok",
      version: read.string("version"),
      changes: {
        addedEvents: changes.strings("added_events"),
        modifiedEvents: changes.strings("modified_events"),
        removedEvents: changes.strings("removed_events"),
      },
    };
  }
  return {
    status: "rejected",
    breakingChanges: read.objects("breaking_changes").map((b) => ({
      event: b.string("event"),
      change: b.string("change"),
      field: b.optString("field"),
      message: b.string("message"),
    })),
    hint: read.optString("hint"),
  };
}

export function readHandlers(answer: Answer): HandlerSummary[] {
  const read = new Reader(answer.expect(200), answer.what);
  return read.objects("handlers").map((h) => ({
    name: h.string("name"),
    version: h.string("version"),
    kind: h.optString("kind"),
    eventTypes: h.strings("event_types"),
    uploadedAt: h.optTime("uploaded_at"),
    executions24h: h.integer("executions_24h"),
  }));
}

export function readHandler(answer: Answer): HandlerDetails {
  const h = new Reader(answer.expect(200), answer.what);
  return {
    name: h.string("name"),
    version: h.string("version"),
    kind: h.optString("kind"),
    eventTypes: h.strings("event_types"),
    domainIdFields: h.strings("domain_id_fields"),
    uploadedAt: h.optTime("uploaded_at"),
    wasmSizeBytes: h.optInteger("wasm_size_bytes"),
    sha256: h.optString("sha256"),
    versions: (h.has("versions") ? h.objects("versions") : []).map((v) => ({
      version: v.string("version"),
      uploadedAt: v.time("uploaded_at"),
      wasmSizeBytes: v.integer("wasm_size_bytes"),
      sha256: v.string("sha256"),
      current: v.boolean("current"),
    })),
  };
}

export function readUpload(answer: Answer): HandlerUploadResult {
  const read = new Reader(answer.outcome(200, [422]), answer.what);
  if (answer.status === 422) {
    return {
      status: "rejected",
      errors: read.objects("errors").map((e) => ({ code: e.string("code"), message: e.string("message") })),
    };
  }
  return {
    status: "ok",
    name: read.string("name"),
    version: read.string("version"),
    eventTypes: read.strings("event_types"),
    warnings: read.object("validation").strings("warnings"),
  };
}

export function readDeleted(answer: Answer): void {
  if (answer.status !== 200 && answer.status !== 204) throw answer.unexpected();
}

function readEvent(read: Reader, withMetadata: boolean): StoredEvent {
  return {
    id: read.string("id"),
    type: read.string("type"),
    data: read.mapping("data"),
    domainIds: read.mapping("domain_ids"),
    position: read.integer("position"),
    timestamp: read.time("timestamp"),
    metadata: withMetadata && read.has("metadata") ? read.mapping("metadata") : null,
  };
}

export function readPage(answer: Answer): EventPage {
  const read = new Reader(answer.expect(200), answer.what);
  return {
    events: read.objects("events").map((e) => readEvent(e, false)),
    nextPosition: read.integer("next_position"),
    hasMore: read.boolean("has_more"),
  };
}

export function readStoredEvent(answer: Answer): StoredEvent {
  return readEvent(new Reader(answer.expect(200), answer.what), true);
}

export function readHealth(answer: Answer): Health {
  const read = new Reader(answer.expect(200, 503), answer.what);
  const details: JsonObject = {};
  for (const [name, value] of Object.entries(read.value)) {
    if (name !== "status" && name !== "version") details[name] = value;
  }
  const status = read.string("status");
  return { status, version: read.string("version"), healthy: status === "healthy", details };
}

export function readMetrics(answer: Answer): string {
  if (answer.status !== 200) throw answer.unexpected();
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(answer.body);
  } catch {
    throw new MalformedResponseError(`${answer.what}: the metrics are not UTF-8 text: ${answer.snippet()}`);
  }
}
