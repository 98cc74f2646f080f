/**
 * What a request carries, checked so that HTTP can carry it: path segments, JSON and text
 * bodies, header values, and the idempotency keys the client makes.
 *
 * @module
 */

import { InvalidArgumentError } from "./errors.js";

const PRINTABLE_ASCII = /^[\x20-\x7e]+$/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
export const MAX_IDEMPOTENCY_KEY = 200;

/** A path segment: a name or id percent-encoded, so that `/` or `?` stays inside it. `.` and
 * `..` are refused: URL parsers treat them (even encoded) as a move to another path. */
export function segment(kind: string, value: unknown): string {
  if (typeof value !== "string" || value === "") {
    throw new InvalidArgumentError(`${kind} is a non-empty string, got ${show(value)}`);
  }
  if (value === "." || value === "..") {
    throw new InvalidArgumentError(`${kind} cannot be ${JSON.stringify(value)}`);
  }
  return encodeURIComponent(value);
}

/** `value` as JSON, refusing what JSON cannot say exactly: non-finite numbers (which
 * `JSON.stringify` would turn into null), BigInts, cycles. */
export function jsonBody(value: unknown, what: string): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value, (key, item: unknown) => {
      if (typeof item === "number" && !Number.isFinite(item)) {
        throw new InvalidArgumentError(`${what} cannot be sent as JSON: ${item} at ${key === "" ? "the top" : JSON.stringify(key)}`);
      }
      return item;
    });
  } catch (error) {
    if (error instanceof InvalidArgumentError) throw error;
    throw new InvalidArgumentError(`${what} cannot be sent as JSON: ${(error as Error).message}`, { cause: error });
  }
  if (text === undefined) throw new InvalidArgumentError(`${what} cannot be sent as JSON: ${show(value)}`);
  return text;
}

/** A JSON object, as a command's input is. */
export function objectBody(value: unknown, what: string): string {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new InvalidArgumentError(`${what} is a JSON object, got ${show(value)}`);
  }
  return jsonBody(value, what);
}

export function textBody(value: unknown, what: string): string {
  if (typeof value !== "string") throw new InvalidArgumentError(`${what} is text (a string), got ${show(value)}`);
  if (LONE_SURROGATE.test(value)) throw new InvalidArgumentError(`${what} cannot be sent as UTF-8: it has an unpaired surrogate`);
  return value;
}

/** A module's bytes: a `Uint8Array` (or another view) or an `ArrayBuffer`. */
export function bytesBody(value: unknown, what: string): Uint8Array<ArrayBuffer> {
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (ArrayBuffer.isView(value)) {
    const copy = new Uint8Array(value.byteLength);
    copy.set(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
    return copy;
  }
  throw new InvalidArgumentError(`${what} is bytes (a Uint8Array or an ArrayBuffer), got ${show(value)}`);
}

/** A header value: printable ASCII. */
export function headerValue(name: string, value: unknown, maxLength = Infinity): string {
  if (typeof value !== "string" || !PRINTABLE_ASCII.test(value) || value.length > maxLength) {
    const bound = maxLength === Infinity ? "" : ` of at most ${maxLength} characters`;
    throw new InvalidArgumentError(`${name} is printable ASCII${bound}, got ${show(value)}`);
  }
  return value;
}

/** A fresh idempotency key: 128 random bits from the platform's cryptographic generator. */
export async function newIdempotencyKey(): Promise<string> {
  const bytes = new Uint8Array(16);
  (await randomSource()).getRandomValues(bytes);
  return `esr-${Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")}`;
}

interface RandomSource {
  getRandomValues(array: Uint8Array): unknown;
}

let source: RandomSource | undefined;

async function randomSource(): Promise<RandomSource> {
  if (source !== undefined) return source;
  const global = (globalThis as { crypto?: RandomSource }).crypto;
  if (global !== undefined && typeof global.getRandomValues === "function") {
    source = global;
  } else {
    // Node 18 keeps Web Crypto in its module only; the name stays out of bundlers' sight.
    const name = "node:crypto";
    const module = (await import(name)) as { webcrypto: RandomSource };
    source = module.webcrypto;
  }
  return source;
}

function show(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}...` : value);
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return "an array";
  if (value instanceof ArrayBuffer || ArrayBuffer.isView(value)) return value.constructor.name;
  return typeof value === "object" ? (value.constructor?.name ?? "an object") : `${typeof value} ${String(value)}`;
}
