/**
 * The client's options, checked once in the constructor: a mistake is a `ConfigurationError`
 * at once rather than a failure at the first request.
 *
 * @module
 */

import { ConfigurationError } from "./errors.js";
import type { Transport } from "./transport.js";

/** Where `esruntime serve` listens by default. */
export const DEFAULT_BASE_URL = "http://127.0.0.1:8000/v1";
const MAX_RESPONSE_BYTES = 64 * 1024 * 1024;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const HEADER_VALUE = /^[\x20-\x7e]*$/;
const API_KEY = /^[\x21-\x7e]+$/;

/** The options of `ESRuntime`; every one has a default. */
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

/** The checked options: how to send, and how to resend a conflicting command. */
export interface Settings {
  readonly transport: Transport;
  readonly maxRetries: number;
  readonly backoff: number;
  readonly maxBackoff: number;
}

export function settingsOf(options: ESRuntimeOptions): Settings {
  const backoff = milliseconds("backoff", options.backoff ?? 50);
  const maxBackoff = milliseconds("maxBackoff", options.maxBackoff ?? 1000);
  if (backoff > maxBackoff) {
    throw new ConfigurationError(`backoff (${backoff}) must not exceed maxBackoff (${maxBackoff})`);
  }
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(options.headers ?? {})) {
    if (!HEADER_NAME.test(name) || typeof value !== "string" || !HEADER_VALUE.test(value)) {
      throw new ConfigurationError(`invalid header ${JSON.stringify(name)}: ${JSON.stringify(value)}`);
    }
    headers[name] = value;
  }
  if (options.apiKey !== undefined) {
    if (typeof options.apiKey !== "string" || !API_KEY.test(options.apiKey)) {
      throw new ConfigurationError("an API key is a non-empty string of printable ASCII without spaces");
    }
    headers.Authorization = `Bearer ${options.apiKey}`;
  }
  if (options.fetch === undefined && typeof globalThis.fetch !== "function") {
    throw new ConfigurationError("this platform has no fetch: pass one as the fetch option");
  }
  return {
    transport: {
      baseUrl: baseUrlOf(options.baseUrl ?? DEFAULT_BASE_URL),
      headers,
      timeout: options.timeout === undefined ? 10_000 : timeoutOf(options.timeout),
      maxResponseBytes: count("maxResponseBytes", options.maxResponseBytes ?? MAX_RESPONSE_BYTES),
      // a platform's fetch may refuse to be called as another object's method
      fetch: options.fetch ?? ((input, init) => globalThis.fetch(input, init)),
    },
    maxRetries: count("maxRetries", options.maxRetries ?? 3),
    backoff,
    maxBackoff,
  };
}

function baseUrlOf(value: unknown): string {
  let url: URL | undefined;
  try {
    url = new URL(String(value));
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== "http:" && url.protocol !== "https:") || !url.hostname || url.search || url.hash) {
    throw new ConfigurationError(`the base URL must be http(s)://host[:port]/prefix, got ${JSON.stringify(value)}`);
  }
  return url.href.replace(/\/+$/, "");
}

/** A count: an integer >= 0. */
export function count(name: string, value: unknown): number {
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

/** A timeout: milliseconds > 0, or null for none. */
export function timeoutOf(value: unknown): number | null {
  if (value === null) return null;
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
    throw new ConfigurationError(`a timeout is a number of milliseconds > 0 (or null for none), got ${String(value)}`);
  }
  return value;
}
