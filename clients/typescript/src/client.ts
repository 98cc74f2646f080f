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
import { newIdempotencyKey } from "./encode.js";
import { MalformedResponseError } from "./errors.js";
import * as requests from "./requests.js";
import { backoffDelay, sleep } from "./retry.js";
import { count, type ESRuntimeOptions, type Settings, settingsOf, timeoutOf } from "./settings.js";
import { type Answer, type Request, send } from "./transport.js";
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

/** Calls the HTTP API of an esruntime server. Holds no connection of its own (`fetch` pools
 * them), so one client can serve any number of concurrent calls. */
export class ESRuntime {
  private readonly settings: Settings;

  constructor(options: ESRuntimeOptions = {}) {
    this.settings = settingsOf(options);
  }

  /** The API's root, without a trailing slash. */
  get baseUrl(): string {
    return this.settings.transport.baseUrl;
  }

  private async call<T>(request: Request, read: (answer: Answer) => T, options: RequestOptions = {}): Promise<T> {
    const timeout = options.timeout === undefined ? this.settings.transport.timeout : timeoutOf(options.timeout);
    return read(await send(this.settings.transport, request, options.signal, timeout));
  }

  // -- commands --------------------------------------------------------------------------------

  /**
   * Run `command` with `input` (a JSON object). The outcome is `ok`, `rejected`, or `conflict`
   * once `retries` resends (default `maxRetries`) still conflicted, each after a jittered
   * exponential wait ({@link ESRuntime.delay}).
   *
   * Every attempt carries the same `X-Idempotency-Key` (the given one, or one made for this
   * call), so the command runs at most once even when an answer was lost.
   */
  async execute(command: string, input: object, options: ExecuteOptions = {}): Promise<CommandResult> {
    const limit = options.retries === undefined ? this.settings.maxRetries : count("retries", options.retries);
    const key = options.idempotencyKey ?? (await newIdempotencyKey());
    const request = requests.command(command, input, key);
    let attempts = 0;
    let serverRetries = 0;
    for (;;) {
      const { serverRetries: reruns, requestId, ...outcome } = await this.call(request, answers.readAttempt, options);
      attempts += 1;
      serverRetries += reruns;
      if (outcome.status !== "conflict" || attempts > limit) {
        return { ...outcome, retries: serverRetries + attempts - 1, serverRetries, attempts, idempotencyKey: key, requestId };
      }
      await sleep(this.delay(attempts), options.signal, `POST /${request.path}`);
    }
  }

  /** Milliseconds before resend number `retry` (from 1): half of `min(maxBackoff, backoff *
   * 2^(retry-1))` plus a random part of the other half, so that concurrent writers spread out. */
  delay(retry: number): number {
    return backoffDelay(retry, this.settings.backoff, this.settings.maxBackoff);
  }

  // -- schema ----------------------------------------------------------------------------------

  /** The current schema; `NotFoundError` (`schema_not_found`) before the first push. */
  async getSchema(options?: RequestOptions): Promise<SchemaInfo> {
    return this.call({ method: "GET", path: "schema" }, answers.readSchema, options);
  }

  /** Store `text` (ESDL) as the next version, unless it breaks stored events and `force` is
   * not set; invalid ESDL throws `BadRequestError` (`invalid_schema`) with the parser's message. */
  async pushSchema(text: string, options: SchemaOptions = {}): Promise<SchemaPushResult> {
    return this.call(requests.schema("PUT", text, options.force), answers.readPush, options);
  }

  /** What {@link ESRuntime.pushSchema} would do, without storing anything. */
  async validateSchema(text: string, options: SchemaOptions = {}): Promise<SchemaPushResult> {
    return this.call(requests.schema("POST", text, options.force), answers.readPush, options);
  }

  // -- handlers --------------------------------------------------------------------------------

  /** Every handler of the key's tenant, uploaded or registered in code. */
  async listHandlers(options?: RequestOptions): Promise<HandlerSummary[]> {
    return this.call({ method: "GET", path: "handlers" }, answers.readHandlers, options);
  }

  /** The handler of command `name`; `NotFoundError` when there is none. */
  async getHandler(name: string, options?: RequestOptions): Promise<HandlerDetails> {
    return this.call(requests.handler("GET", name), answers.readHandler, options);
  }

  /** Upload a WebAssembly module (its bytes) as `version` (semver) of command `name`. */
  async uploadHandler(
    name: string,
    module: Uint8Array | ArrayBuffer,
    version: string,
    options?: RequestOptions,
  ): Promise<HandlerUploadResult> {
    return this.call(requests.upload(name, module, version), answers.readUpload, options);
  }

  /** Run stored `version` of uploaded handler `name` from the next command on (a rollback, or
   * forward again); `rejected` when it no longer passes the upload checks. */
  async makeCurrent(name: string, version: string, options?: RequestOptions): Promise<HandlerUploadResult> {
    return this.call(requests.makeCurrent(name, version), answers.readUpload, options);
  }

  /** Delete an uploaded handler and its versions; `NotFoundError` when there is none. */
  async deleteHandler(name: string, options?: RequestOptions): Promise<void> {
    return this.call(requests.handler("DELETE", name), answers.readDeleted, options);
  }

  // -- events ----------------------------------------------------------------------------------

  /** One page of events, oldest first; ask again from `nextPosition` while `hasMore`. Data is
   * in the current schema's shape unless `raw`. */
  async queryEvents(options: QueryOptions = {}): Promise<EventPage> {
    return this.call(requests.eventQuery(options, options.limit ?? 100), answers.readPage, options);
  }

  /** Every page of matching events, one request each, until the last. A server whose pages do
   * not advance would make this endless, so that is a `MalformedResponseError`. */
  async *iterEventPages(options: IterateOptions = {}): AsyncGenerator<EventPage, void, undefined> {
    let after = options.afterPosition ?? 0;
    for (;;) {
      const request = requests.eventQuery({ ...options, afterPosition: after }, options.pageSize ?? 100);
      const page = await this.call(request, answers.readPage, options);
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
    return this.call(requests.event(eventId, options.raw), answers.readStoredEvent, options);
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
