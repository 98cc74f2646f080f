/**
 * `ESRuntime`, the client of the esruntime HTTP API: one method per route.
 *
 * ```ts
 * const client = new ESRuntime({ apiKey: process.env.ESRUNTIME_API_KEY, baseUrl: "http://127.0.0.1:8000/v1" });
 * const result = await client.execute("transfer_funds", { source_account: "alice", dest_account: "bob", amount: 50 });
 * if (result.status === "ok") console.log(result.position, result.events);
 * ```
 *
 * @module
 */

import * as answers from "./answers.js";
import { bytesBody, headerValue, jsonBody, MAX_IDEMPOTENCY_KEY, newIdempotencyKey, objectBody, segment, textBody } from "./encode.js";
import { ConfigurationError, InvalidArgumentError, MalformedResponseError, RequestAbortedError } from "./errors.js";
import { type Answer, type Request, send, type Transport } from "./transport.js";
import type {
  CommandResult,
  EventPage,
  ExecuteOptions,
  GetEventOptions,
  HandlerDetails,
  HandlerSummary,
  HandlerUploadResult,
  Health,
  IterateOptions,
  QueryOptions,
  RequestOptions,
  SchemaInfo,
  SchemaOptions,
  SchemaPushResult,
  StoredEvent,
} from "./types.js";

/** Where `esruntime serve` listens by default. */
export const DEFAULT_BASE_URL = "http://127.0.0.1:8000/v1";
const MAX_RESPONSE_BYTES = 64 * 1024 * 1024;
const MAX_LIMIT = 1000;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const HEADER_VALUE = /^[\x20-\x7e]*$/;

/** The options of {@link ESRuntime}; every one has a default. */
export interface ESRuntimeOptions {
  /** Sent as `Authorization: Bearer <apiKey>`; none when undefined. */
  readonly apiKey?: string | undefined;
  /** The API's root, its prefix included: `http(s)://host[:port]/v1` (default `http://127.0.0.1:8000/v1`). */
  readonly baseUrl?: string;
  /** Milliseconds for each request, until its whole answer is read (default 10,000; null: none). */
  readonly timeout?: number | null;
  /** Resends of a command that conflicts (HTTP 409), each with the same idempotency key (default 3). */
  readonly maxRetries?: number;
  /** Milliseconds of the first wait before a resend, doubling for each one (default 50). */
  readonly backoff?: number;
  /** The longest wait before a resend, in milliseconds (default 1,000). */
  readonly maxBackoff?: number;
  /** Larger answers are refused with `MalformedResponseError` (default 64 MiB). */
  readonly maxResponseBytes?: number;
  /** More headers for every request. */
  readonly headers?: Readonly<Record<string, string>>;
  /** The `fetch` to send with (default: the platform's `globalThis.fetch`). */
  readonly fetch?: typeof fetch;
}

/** Calls the HTTP API of an esruntime server. Safe to share between concurrent calls. */
export class ESRuntime {
  readonly baseUrl: string;
  readonly maxRetries: number;
  readonly backoff: number;
  readonly maxBackoff: number;
  private readonly transport: Transport;

  constructor(options: ESRuntimeOptions = {}) {
    this.baseUrl = checkBaseUrl(options.baseUrl ?? DEFAULT_BASE_URL);
    this.maxRetries = count("maxRetries", options.maxRetries ?? 3);
    this.backoff = milliseconds("backoff", options.backoff ?? 50);
    this.maxBackoff = milliseconds("maxBackoff", options.maxBackoff ?? 1000);
    if (this.backoff > this.maxBackoff) {
      throw new ConfigurationError(`backoff (${this.backoff}) must not exceed maxBackoff (${this.maxBackoff})`);
    }
    const timeout = options.timeout === undefined ? 10_000 : options.timeout;
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(options.headers ?? {})) {
      if (!HEADER_NAME.test(name) || typeof value !== "string" || !HEADER_VALUE.test(value)) {
        throw new ConfigurationError(`invalid header ${JSON.stringify(name)}: ${JSON.stringify(value)}`);
      }
      headers[name] = value;
    }
    if (options.apiKey !== undefined) {
      if (typeof options.apiKey !== "string" || !/^[\x21-\x7e]+$/.test(options.apiKey)) {
        throw new ConfigurationError("an API key is a non-empty string of printable ASCII without spaces");
      }
      headers.Authorization = `Bearer ${options.apiKey}`;
    }
    const platformFetch = options.fetch ?? globalThis.fetch;
    if (typeof platformFetch !== "function") {
      throw new ConfigurationError("no fetch: this platform has none, pass one as the fetch option");
    }
    this.transport = {
      baseUrl: this.baseUrl,
      headers,
      timeout: timeout === null ? null : milliseconds("timeout", timeout),
      maxResponseBytes: count("maxResponseBytes", options.maxResponseBytes ?? MAX_RESPONSE_BYTES),
      // a platform's fetch may not be called as another object's method
      fetch: options.fetch ?? ((input, init) => globalThis.fetch(input, init)),
    };
  }

  private async call<T>(request: Request, read: (answer: Answer) => T, options: RequestOptions = {}): Promise<T> {
    if (options.timeout !== undefined && options.timeout !== null) milliseconds("timeout", options.timeout);
    return read(await send(this.transport, request, options));
  }

  // -- commands --------------------------------------------------------------------------------

  /**
   * Run `command` with `input` (a JSON object). The outcome is `ok`, `rejected`, or `conflict`
   * once `retries` resends (default `maxRetries`) still conflicted; the wait before resend *n*
   * is half of `min(maxBackoff, backoff * 2^(n-1))` plus a random part of the other half.
   *
   * Every attempt carries the same `X-Idempotency-Key` (the given one, or one made for this
   * call), so the command runs at most once even when an answer was lost.
   */
  async execute(command: string, input: object, options: ExecuteOptions = {}): Promise<CommandResult> {
    const path = `commands/${segment("a command name", command)}`;
    const body = objectBody(input, "the command input");
    const limit = options.retries === undefined ? this.maxRetries : count("retries", options.retries);
    const key =
      options.idempotencyKey === undefined
        ? await newIdempotencyKey()
        : headerValue("an idempotency key", options.idempotencyKey, MAX_IDEMPOTENCY_KEY);
    const request: Request = {
      method: "POST",
      path,
      headers: { "Content-Type": "application/json", "X-Idempotency-Key": key },
      body,
    };
    let attempts = 0;
    let serverRetries = 0;
    for (;;) {
      let requestId: string | null = null;
      const attempt = await this.call(
        request,
        (answer) => {
          requestId = answer.header("x-request-id");
          return answers.readAttempt(answer);
        },
        options,
      );
      attempts += 1;
      serverRetries += attempt.serverRetries;
      const tally = { retries: serverRetries + attempts - 1, serverRetries, attempts, idempotencyKey: key, requestId };
      if (attempt.status !== "conflict" || attempts > limit) {
        const { serverRetries: _, ...outcome } = attempt;
        return { ...outcome, ...tally };
      }
      await sleep(this.delay(attempts), options.signal, `POST /${path}`);
    }
  }

  /** Milliseconds before resend number `retry` (from 1): half of an exponentially growing,
   * capped step, plus a random part of the other half, so that concurrent writers spread out. */
  delay(retry: number): number {
    const step = Math.min(this.maxBackoff, this.backoff * 2 ** Math.min(retry - 1, 32));
    return step / 2 + Math.random() * (step / 2);
  }

  // -- schema ----------------------------------------------------------------------------------

  /** The current schema; `NotFoundError` (`schema_not_found`) before the first push. */
  async getSchema(options?: RequestOptions): Promise<SchemaInfo> {
    return this.call({ method: "GET", path: "schema" }, answers.readSchema, options);
  }

  /** Store `text` (ESDL) as the next version, unless it breaks stored events and `force` is
   * not set; invalid ESDL throws `BadRequestError` (`invalid_schema`) with the parser's message. */
  async pushSchema(text: string, options?: SchemaOptions): Promise<SchemaPushResult> {
    return this.call(schemaRequest("PUT", "schema", text, options), answers.readPush, options);
  }

  /** What {@link pushSchema} would do, without storing anything. */
  async validateSchema(text: string, options?: SchemaOptions): Promise<SchemaPushResult> {
    return this.call(schemaRequest("POST", "schema/validate", text, options), answers.readPush, options);
  }

  // -- handlers --------------------------------------------------------------------------------

  async listHandlers(options?: RequestOptions): Promise<HandlerSummary[]> {
    return this.call({ method: "GET", path: "handlers" }, answers.readHandlers, options);
  }

  /** The handler of command `name`; `NotFoundError` when there is none. */
  async getHandler(name: string, options?: RequestOptions): Promise<HandlerDetails> {
    const path = `handlers/${segment("a command name", name)}`;
    return this.call({ method: "GET", path }, answers.readHandler, options);
  }

  /** Upload a WebAssembly module (its bytes) as `version` (semver) of command `name`. */
  async uploadHandler(
    name: string,
    module: Uint8Array | ArrayBuffer,
    version: string,
    options?: RequestOptions,
  ): Promise<HandlerUploadResult> {
    const request: Request = {
      method: "PUT",
      path: `handlers/${segment("a command name", name)}`,
      headers: { "Content-Type": "application/wasm", "X-Handler-Version": headerValue("a version", version, 64) },
      body: bytesBody(module, "a module"),
    };
    return this.call(request, answers.readUpload, options);
  }

  /** Run stored `version` of uploaded handler `name` from the next command on (a rollback, or
   * forward again); `rejected` when it no longer passes the upload checks. */
  async makeCurrent(name: string, version: string, options?: RequestOptions): Promise<HandlerUploadResult> {
    const request: Request = {
      method: "PUT",
      path: `handlers/${segment("a command name", name)}/current`,
      headers: { "Content-Type": "application/json" },
      body: jsonBody({ version: headerValue("a version", version, 64) }, "the version"),
    };
    return this.call(request, answers.readUpload, options);
  }

  /** Delete an uploaded handler and its versions; `NotFoundError` when there is none. */
  async deleteHandler(name: string, options?: RequestOptions): Promise<void> {
    const path = `handlers/${segment("a command name", name)}`;
    return this.call({ method: "DELETE", path }, answers.readDeleted, options);
  }

  // -- events ----------------------------------------------------------------------------------

  /** One page of events, oldest first (see {@link EventQuery}); ask again from `nextPosition`
   * while `hasMore`. Data is in the current schema's shape unless `raw`. */
  async queryEvents(options: QueryOptions = {}): Promise<EventPage> {
    return this.call(queryRequest(options, options.limit ?? 100), answers.readPage, options);
  }

  /** Every page of matching events, one request each, until the last. */
  async *iterEventPages(options: IterateOptions = {}): AsyncGenerator<EventPage, void, undefined> {
    let after = options.afterPosition ?? 0;
    for (;;) {
      const page = await this.call(
        queryRequest({ ...options, afterPosition: after }, options.pageSize ?? 100),
        answers.readPage,
        options,
      );
      yield page;
      if (!page.hasMore) return;
      if (page.nextPosition <= after || page.events.length === 0) {
        throw new MalformedResponseError(
          `POST /events/query: has_more is true but next_position ${page.nextPosition} does not advance past ${after}`,
        );
      }
      after = page.nextPosition;
    }
  }

  /** Every matching event, oldest first, page after page. */
  async *iterEvents(options: IterateOptions = {}): AsyncGenerator<StoredEvent, void, undefined> {
    for await (const page of this.iterEventPages(options)) yield* page.events;
  }

  /** The event with this id, with its metadata; `NotFoundError` when there is none. */
  async getEvent(eventId: string, options: GetEventOptions = {}): Promise<StoredEvent> {
    const request: Request = {
      method: "GET",
      path: `events/${segment("an event id", eventId)}`,
      query: options.raw ? { raw: "true" } : {},
    };
    return this.call(request, answers.readStoredEvent, options);
  }

  // -- health and metrics ----------------------------------------------------------------------

  /** The server's health; an unhealthy server's answer (503) too, with `healthy` false. */
  async health(options?: RequestOptions): Promise<Health> {
    return this.call({ method: "GET", path: "health" }, answers.readHealth, options);
  }

  /** The key's tenant's metrics in the Prometheus text format (needs `admin`). */
  async metrics(options?: RequestOptions): Promise<string> {
    return this.call({ method: "GET", path: "metrics" }, answers.readMetrics, options);
  }
}

function schemaRequest(method: string, path: string, text: string, options: SchemaOptions = {}): Request {
  return {
    method,
    path,
    query: options.force ? { force: "true" } : {},
    headers: { "Content-Type": "text/plain; charset=utf-8" },
    body: textBody(text, "an ESDL schema"),
  };
}

function queryRequest(options: QueryOptions, limit: number): Request {
  const after = options.afterPosition ?? 0;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
    throw new InvalidArgumentError(`limit must be between 1 and ${MAX_LIMIT}, got ${limit}`);
  }
  if (!Number.isSafeInteger(after) || after < 0) {
    throw new InvalidArgumentError(`afterPosition must be 0 or more, got ${after}`);
  }
  const body: Record<string, unknown> = { after_position: after, limit };
  if (options.eventTypes !== undefined) {
    if (!Array.isArray(options.eventTypes)) {
      throw new InvalidArgumentError(`eventTypes is an array of names, got ${JSON.stringify(options.eventTypes)}`);
    }
    body.event_types = options.eventTypes;
  }
  if (options.domainIds !== undefined) body.domain_ids = options.domainIds;
  return {
    method: "POST",
    path: "events/query",
    query: options.raw ? { raw: "true" } : {},
    headers: { "Content-Type": "application/json" },
    body: jsonBody(body, "the query"),
  };
}

function checkBaseUrl(value: unknown): string {
  let url: URL;
  try {
    url = new URL(String(value));
  } catch {
    throw new ConfigurationError(`the base URL must be http(s)://host[:port]/prefix, got ${JSON.stringify(value)}`);
  }
  if ((url.protocol !== "http:" && url.protocol !== "https:") || !url.hostname || url.search || url.hash) {
    throw new ConfigurationError(`the base URL must be http(s)://host[:port]/prefix, got ${JSON.stringify(value)}`);
  }
  return url.href.replace(/\/+$/, "");
}

function count(name: string, value: unknown): number {
  if (!Number.isSafeInteger(value) || (value as number) < 0) {
    throw new ConfigurationError(`${name} is an integer >= 0, got ${String(value)}`);
  }
  return value as number;
}

function milliseconds(name: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
    throw new ConfigurationError(`${name} is a number of milliseconds >= 0, got ${String(value)}`);
  }
  return value;
}

/** Wait `ms`, or until `signal` aborts (then throw `RequestAbortedError`). */
function sleep(ms: number, signal: AbortSignal | undefined, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const aborted = () => new RequestAbortedError(`${what}: aborted by the caller`, { cause: signal?.reason });
    if (signal?.aborted) return reject(aborted());
    const onAbort = () => {
      clearTimeout(timer);
      reject(aborted());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
