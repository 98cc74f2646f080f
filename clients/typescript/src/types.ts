/**
 * What the client returns: plain, read-only objects for every answer of the HTTP API.
 *
 * Outcomes a caller is expected to handle are values with a `status` (a discriminated union),
 * as in the API's bodies: a command is `ok`, `rejected` or `conflict`; a schema push or an
 * upload is `ok` or `rejected`. Names are camelCase; the data of events is as the server sent
 * it. Times are RFC 3339 strings in UTC (`2025-01-15T10:30:00Z`): `new Date(event.timestamp)`.
 *
 * @module
 */

/** A JSON object, as event data and command input are. */
export type JsonObject = { [key: string]: unknown };

/** Per-call options: every method takes them as its last argument. */
export interface RequestOptions {
  /** Abort the call (and any retry or wait of it): the call throws `RequestAbortedError`. */
  readonly signal?: AbortSignal;
  /** Milliseconds for each request of this call (default: the client's `timeout`; null: none). */
  readonly timeout?: number | null;
}

// -- commands ----------------------------------------------------------------------------------

/** An event a command appended. */
export interface CommandEvent {
  readonly id: string;
  readonly type: string;
  readonly data: JsonObject;
  readonly timestamp: string;
}

/** What every command outcome says about how it was sent. */
interface CommandTally {
  /** Every re-run after a conflict: the server's own (`X-Retry-Count`) and the client's resends. */
  readonly retries: number;
  /** The sum of the `X-Retry-Count` headers: the re-runs the server made itself. */
  readonly serverRetries: number;
  /** The requests sent: 1 plus the client's resends. */
  readonly attempts: number;
  /** The `X-Idempotency-Key` every attempt carried: the caller's, or one made for this call. */
  readonly idempotencyKey: string;
  /** The `X-Request-ID` of the last answer. */
  readonly requestId: string | null;
}

/** The command succeeded: `events` it appended and the store's `position` after it (null: an
 * empty store and nothing emitted). `replayed`: the server answered with the recorded result
 * of an earlier request with the same idempotency key, without running the handler again. */
export interface CommandOk extends CommandTally {
  readonly status: "ok";
  readonly events: readonly CommandEvent[];
  readonly position: number | null;
  readonly replayed: boolean;
}

/** The handler refused the command (HTTP 422), or its input was invalid (HTTP 400, code
 * `invalid_input`); nothing was written. */
export interface CommandRejected extends CommandTally {
  readonly status: "rejected";
  readonly code: string;
  readonly message: string | null;
}

/** The command still conflicted with concurrent writes after every retry (HTTP 409); nothing
 * was written. */
export interface CommandConflict extends CommandTally {
  readonly status: "conflict";
  readonly message: string;
}

export type CommandResult = CommandOk | CommandRejected | CommandConflict;

/** Options of `execute`. */
export interface ExecuteOptions extends RequestOptions {
  /** Makes the command run at most once: 1 to 200 printable ASCII characters. Without one, the
   * client makes a key for this call; every resend of the call carries the same key. */
  readonly idempotencyKey?: string;
  /** Resends after a conflict for this call (default: the client's `maxRetries`). */
  readonly retries?: number;
}

// -- schema ------------------------------------------------------------------------------------

export interface SchemaField {
  readonly name: string;
  /** As written in ESDL: `String`, `[String]?`, ... */
  readonly type: string;
  readonly domainId: boolean;
  readonly doc: string | null;
}

/** An event type of the schema: its domain-id fields and every field. */
export interface SchemaEvent {
  readonly name: string;
  readonly domainIds: readonly string[];
  readonly fields: readonly SchemaField[];
  readonly doc: string | null;
}

/** `GET /schema`: the current version, its ESDL `text` and its declarations (`types` and
 * `enums` as the server describes them). */
export interface SchemaInfo {
  readonly version: string;
  readonly text: string;
  readonly events: readonly SchemaEvent[];
  readonly types: readonly JsonObject[];
  readonly enums: readonly JsonObject[];
  readonly updatedAt: string;
}

export interface SchemaChanges {
  readonly addedEvents: readonly string[];
  readonly modifiedEvents: readonly string[];
  readonly removedEvents: readonly string[];
}

/** A push was stored as `version` (or, for a validation, would be). */
export interface SchemaAccepted {
  readonly status: "ok";
  readonly version: string;
  readonly changes: SchemaChanges;
}

export interface BreakingChange {
  readonly event: string;
  readonly change: string;
  readonly field: string | null;
  readonly message: string;
}

/** A push was refused (or would be): it breaks stored events; push with `force` to override. */
export interface SchemaRejected {
  readonly status: "rejected";
  readonly breakingChanges: readonly BreakingChange[];
  readonly hint: string | null;
}

export type SchemaPushResult = SchemaAccepted | SchemaRejected;

/** Options of `pushSchema` and `validateSchema`. */
export interface SchemaOptions extends RequestOptions {
  /** Accept changes that break stored events (a new major version). */
  readonly force?: boolean;
}

// -- handlers ----------------------------------------------------------------------------------

/** An entry of `GET /handlers`; `kind` is `wasm` (uploaded) or `python` (registered in code). */
export interface HandlerSummary {
  readonly name: string;
  readonly version: string;
  readonly kind: string | null;
  readonly eventTypes: readonly string[];
  readonly uploadedAt: string | null;
  readonly executions24h: number;
}

/** One uploaded version of a handler; `current` when it runs the commands. */
export interface HandlerVersion {
  readonly version: string;
  readonly uploadedAt: string;
  readonly wasmSizeBytes: number;
  readonly sha256: string;
  readonly current: boolean;
}

/** `GET /handlers/{name}`: `version` runs; `versions` lists every uploaded one, oldest first.
 * Size and digest are null for a handler registered in code. */
export interface HandlerDetails {
  readonly name: string;
  readonly version: string;
  readonly kind: string | null;
  readonly eventTypes: readonly string[];
  readonly domainIdFields: readonly string[];
  readonly uploadedAt: string | null;
  readonly wasmSizeBytes: number | null;
  readonly sha256: string | null;
  readonly versions: readonly HandlerVersion[];
}

/** The module was validated and stored; it runs the next command. */
export interface HandlerUploaded {
  readonly status: "ok";
  readonly name: string;
  readonly version: string;
  readonly eventTypes: readonly string[];
  readonly warnings: readonly string[];
}

export interface UploadProblem {
  readonly code: string;
  readonly message: string;
}

/** The module was refused; `errors` lists every problem at once. */
export interface HandlerRejected {
  readonly status: "rejected";
  readonly errors: readonly UploadProblem[];
}

export type HandlerUploadResult = HandlerUploaded | HandlerRejected;

// -- events ------------------------------------------------------------------------------------

/** An event of the store; `metadata` only comes with `getEvent`. */
export interface StoredEvent {
  readonly id: string;
  readonly type: string;
  readonly data: JsonObject;
  readonly domainIds: JsonObject;
  readonly position: number;
  readonly timestamp: string;
  readonly metadata: JsonObject | null;
}

/** A page of `POST /events/query`: ask again after `nextPosition` while `hasMore`. */
export interface EventPage {
  readonly events: readonly StoredEvent[];
  readonly nextPosition: number;
  readonly hasMore: boolean;
}

/** Which events a query selects; every field is optional. */
export interface EventQuery {
  /** Events of any of these types (any type when empty or missing). */
  readonly eventTypes?: readonly string[];
  /** For every field named, the event's domain id is this value or one of these values. */
  readonly domainIds?: Readonly<Record<string, string | number | readonly (string | number)[]>>;
  /** Events after this position (0, the default: from the first). */
  readonly afterPosition?: number;
  /** The data as stored, rather than in the current schema's shape. */
  readonly raw?: boolean;
}

/** Options of `queryEvents`. */
export interface QueryOptions extends EventQuery, RequestOptions {
  /** 1 to 1000 (100 by default). */
  readonly limit?: number;
}

/** Options of `iterEvents` and `iterEventPages`. */
export interface IterateOptions extends EventQuery, RequestOptions {
  /** Events per request, 1 to 1000 (100 by default). */
  readonly pageSize?: number;
}

/** Options of `getEvent`. */
export interface GetEventOptions extends RequestOptions {
  readonly raw?: boolean;
}

// -- health ------------------------------------------------------------------------------------

/** `GET /health`: `healthy` when `status` is `healthy`; `details` is the rest of the body
 * (`umadb`, `store`, `backend`, ...). An unhealthy server's answer (503) is one too. */
export interface Health {
  readonly status: string;
  readonly version: string;
  readonly healthy: boolean;
  readonly details: JsonObject;
}
