/**
 * One HTTP exchange over `fetch`: the request's deadline and the caller's `AbortSignal`, the
 * answer read whole within a size limit, and every way it can fail turned into the client's
 * errors. Nothing here knows the API's routes; `Answer` carries what a route's reader needs.
 *
 * @module
 */

import {
  ApiError,
  apiErrorClass,
  ConnectionFailedError,
  ESRuntimeError,
  MalformedResponseError,
  RequestAbortedError,
  RequestTimeoutError,
} from "./errors.js";

/** One request, relative to the client's base URL (`path` already percent-encoded). */
export interface Request {
  readonly method: string;
  readonly path: string;
  readonly query?: Readonly<Record<string, string>>;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: Uint8Array<ArrayBuffer> | string;
}

const SNIPPET = 200;

/** A whole answer: status, headers and body, and `what` (method and path) for messages. */
export class Answer {
  constructor(
    readonly status: number,
    readonly headers: Headers,
    readonly body: Uint8Array,
    readonly what: string,
  ) {}

  header(name: string): string | null {
    return this.headers.get(name);
  }

  text(): string {
    return new TextDecoder().decode(this.body);
  }

  snippet(): string {
    if (this.body.length === 0) return "an empty body";
    const text = new TextDecoder().decode(this.body.subarray(0, SNIPPET));
    return JSON.stringify(text) + (this.body.length > SNIPPET ? "..." : "");
  }

  /** The body's JSON document, or `MalformedResponseError` showing what came instead. */
  json(): unknown {
    try {
      return JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(this.body));
    } catch {
      throw new MalformedResponseError(`${this.what}: HTTP ${this.status} with a body that is not JSON: ${this.snippet()}`);
    }
  }

  /** The `ApiError` of an error status, with the API's code, message and request id when the
   * body is the API's error body. */
  error(): ApiError {
    let requestId = this.header("x-request-id");
    let code: string | null = null;
    let message: string | null = null;
    try {
      const error = (JSON.parse(this.text()) as { error?: unknown }).error;
      if (typeof error === "object" && error !== null) {
        const fields = error as Record<string, unknown>;
        if (typeof fields.message === "string") {
          message = fields.message;
          code = typeof fields.code === "string" ? fields.code : null;
          if (typeof fields.request_id === "string") requestId = fields.request_id;
        }
      }
    } catch {
      // not the API's error body: described below
    }
    if (message === null) {
      const location = this.header("location");
      if (this.status === 0) {
        message = `${this.what}: redirected (the browser does not say where); is the base URL right?`;
      } else if (this.status >= 300 && this.status < 400 && location) {
        message = `${this.what}: redirected to ${location}; is the base URL right?`;
      } else {
        message = `${this.what}: the answer is not the API's error body: ${this.snippet()}`;
      }
    }
    const Kind = apiErrorClass(this.status);
    return new Kind(this.status, code, message, requestId);
  }

  /** The JSON body of an answer with one of `statuses`; an error status throws its `ApiError`,
   * any other `MalformedResponseError`. */
  expect(...statuses: number[]): unknown {
    if (!statuses.includes(this.status)) throw this.unexpected();
    return this.json();
  }

  /** The JSON body of a call whose refusals are outcomes (`{"status": "rejected", ...}`). */
  outcome(success: number, refusals: readonly number[]): unknown {
    if (this.status === success) return this.json();
    if (refusals.includes(this.status)) {
      let body: unknown = null;
      try {
        body = JSON.parse(this.text());
      } catch {
        // an error body or none: unexpected() says which
      }
      if (typeof body === "object" && body !== null && "status" in body) return body;
    }
    throw this.unexpected();
  }

  unexpected(): ESRuntimeError {
    if (this.status >= 300 || this.status === 0) return this.error();
    return new MalformedResponseError(`${this.what}: unexpected HTTP ${this.status}: ${this.snippet()}`);
  }
}

/** How a client sends: its checked settings. */
export interface Transport {
  readonly baseUrl: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly timeout: number | null;
  readonly maxResponseBytes: number;
  readonly fetch: typeof fetch;
}

/** Send `request` and read its whole answer, within `timeout` milliseconds (null: no limit)
 * unless `signal` aborts first. */
export async function send(
  transport: Transport,
  request: Request,
  signal: AbortSignal | undefined,
  timeout: number | null,
): Promise<Answer> {
  const what = `${request.method} ${new URL(`${transport.baseUrl}/${request.path}`).pathname}`;
  let url = `${transport.baseUrl}/${request.path}`;
  if (request.query && Object.keys(request.query).length > 0) {
    url += `?${new URLSearchParams(request.query as Record<string, string>).toString()}`;
  }
  const deadline = new Deadline(signal, timeout);
  try {
    deadline.check(what, transport.baseUrl);
    let response: Response;
    try {
      response = await transport.fetch(url, {
        method: request.method,
        headers: { ...transport.headers, ...request.headers },
        body: request.body ?? null,
        redirect: "manual",
        signal: deadline.signal,
      });
    } catch (error) {
      throw deadline.failure(error, what, transport.baseUrl) ?? connectionError(error, what, transport.baseUrl);
    }
    if (response.type === "opaqueredirect") {
      // a browser hides a redirect's status and target
      return new Answer(0, new Headers(), new Uint8Array(), what);
    }
    let body: Uint8Array;
    try {
      body = await readBody(response, transport.maxResponseBytes, what);
    } catch (error) {
      if (error instanceof ESRuntimeError) throw error;
      throw (
        deadline.failure(error, what, transport.baseUrl) ??
        new MalformedResponseError(`${what}: ${transport.baseUrl} sent an invalid HTTP response: the answer was cut short (${describe(error)})`, { cause: error })
      );
    }
    return new Answer(response.status, response.headers, body, what);
  } finally {
    deadline.clear();
  }
}

async function readBody(response: Response, limit: number, what: string): Promise<Uint8Array> {
  const tooLarge = () =>
    new MalformedResponseError(`${what}: the answer exceeds the client's limit of ${limit.toLocaleString("en-US")} bytes`);
  const declared = response.headers.get("content-length");
  if (declared !== null && /^\d+$/.test(declared) && Number(declared) > limit) {
    await response.body?.cancel().catch(() => undefined);
    throw tooLarge();
  }
  if (response.body === null) return new Uint8Array();
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge();
    }
    chunks.push(value);
  }
  const whole = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    whole.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return whole;
}

/** The request's end: the caller's signal, or the timeout, whichever comes first. */
class Deadline {
  private readonly controller = new AbortController();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private timedOut = false;
  private readonly onAbort = () => this.controller.abort(this.caller?.reason);

  constructor(
    private readonly caller: AbortSignal | undefined,
    private readonly timeout: number | null,
  ) {
    caller?.addEventListener("abort", this.onAbort, { once: true });
    if (timeout !== null) {
      this.timer = setTimeout(() => {
        this.timedOut = true;
        this.controller.abort();
      }, timeout);
    }
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  check(what: string, url: string): void {
    if (this.caller?.aborted) throw this.failure(this.caller.reason, what, url);
  }

  /** The error for a request that ended because of this deadline, else undefined. */
  failure(error: unknown, what: string, url: string): ESRuntimeError | undefined {
    if (this.timedOut) {
      return new RequestTimeoutError(`${what}: no answer from ${url} within ${this.timeout} ms`, { cause: error });
    }
    if (this.caller?.aborted) {
      return new RequestAbortedError(`${what}: aborted by the caller`, { cause: this.caller.reason });
    }
    return undefined;
  }

  clear(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.caller?.removeEventListener("abort", this.onAbort);
  }
}

function describe(error: unknown): string {
  const parts: string[] = [];
  for (let current = error, depth = 0; current && depth < 4; depth++) {
    const { message, code, cause } = current as { message?: unknown; code?: unknown; cause?: unknown };
    const text = [typeof code === "string" ? code : "", typeof message === "string" ? message : ""].filter(Boolean).join(" ");
    if (text && !parts.includes(text)) parts.push(text);
    current = cause;
  }
  return parts.join(": ") || String(error);
}

function causeCode(error: unknown): string {
  for (let current = error, depth = 0; current && depth < 4; depth++) {
    const { code, cause } = current as { code?: unknown; cause?: unknown };
    if (typeof code === "string") return code;
    current = cause;
  }
  return "";
}

/** The error for a request that got no answer: refused or broken connections, or bytes that
 * are not HTTP (Node names its parser's errors `HPE_*`). */
function connectionError(error: unknown, what: string, url: string): ESRuntimeError {
  const code = causeCode(error);
  if (code.startsWith("HPE_")) {
    return new MalformedResponseError(`${what}: ${url} sent an invalid HTTP response: ${describe(error)}`, { cause: error });
  }
  if (code === "ECONNREFUSED" || code === "ENOTFOUND" || code === "EAI_AGAIN") {
    return new ConnectionFailedError(`${what}: cannot connect to ${url}: ${describe(error)}`, { cause: error });
  }
  return new ConnectionFailedError(`${what}: the connection to ${url} failed: ${describe(error)}`, { cause: error });
}
