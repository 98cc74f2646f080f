/**
 * Reading the server's JSON answers into typed values, with a precise error for each surprise.
 *
 * The client is a tolerant reader: fields it does not know are ignored (a newer server may add
 * some), but every field it uses must be there with its JSON type; a wrong one throws
 * `MalformedResponseError` naming the JSON path (`$.events[2].id`).
 *
 * @module
 */

import { MalformedResponseError } from "./errors.js";
import type { JsonObject } from "./types.js";

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** The JSON name of a value's type. */
export function kindOf(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value === "object" ? "object" : typeof value;
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A JSON object of an answer, read field by field; `what` names the answer in errors. */
export class Reader {
  readonly value: JsonObject;

  constructor(
    value: unknown,
    readonly what: string,
    readonly path = "$",
  ) {
    if (!isObject(value)) {
      throw new MalformedResponseError(`${what}: ${path} should be an object, got ${kindOf(value)}`);
    }
    this.value = value;
  }

  private fail(name: string, expected: string, value: unknown): MalformedResponseError {
    return new MalformedResponseError(`${this.what}: ${this.path}.${name} should be ${expected}, got ${kindOf(value)}`);
  }

  has(name: string): boolean {
    return Object.hasOwn(this.value, name);
  }

  private get(name: string): unknown {
    return this.has(name) ? this.value[name] : undefined;
  }

  string(name: string): string {
    const value = this.get(name);
    if (typeof value !== "string") throw this.fail(name, "a string", value);
    return value;
  }

  optString(name: string): string | null {
    const value = this.get(name) ?? null;
    if (value !== null && typeof value !== "string") throw this.fail(name, "a string or null", value);
    return value;
  }

  integer(name: string): number {
    const value = this.get(name);
    if (!Number.isSafeInteger(value)) throw this.fail(name, "an integer", value);
    return value as number;
  }

  optInteger(name: string): number | null {
    const value = this.get(name) ?? null;
    if (value !== null && !Number.isSafeInteger(value)) throw this.fail(name, "an integer or null", value);
    return value as number | null;
  }

  boolean(name: string): boolean {
    const value = this.get(name);
    if (typeof value !== "boolean") throw this.fail(name, "a boolean", value);
    return value;
  }

  strings(name: string): string[] {
    const value = this.get(name);
    if (!Array.isArray(value) || !value.every((item) => typeof item === "string")) {
      throw this.fail(name, "an array of strings", value);
    }
    return [...(value as string[])];
  }

  mapping(name: string): JsonObject {
    const value = this.get(name);
    if (!isObject(value)) throw this.fail(name, "an object", value);
    return value;
  }

  time(name: string): string {
    return this.checkTime(name, this.string(name));
  }

  optTime(name: string): string | null {
    const text = this.optString(name);
    return text === null ? null : this.checkTime(name, text);
  }

  private checkTime(name: string, text: string): string {
    if (!RFC3339.test(text) || Number.isNaN(Date.parse(text))) {
      throw new MalformedResponseError(
        `${this.what}: ${this.path}.${name} should be an RFC 3339 time, got ${JSON.stringify(text.slice(0, 40))}`,
      );
    }
    return text;
  }

  object(name: string): Reader {
    return new Reader(this.get(name), this.what, `${this.path}.${name}`);
  }

  objects(name: string): Reader[] {
    const value = this.get(name);
    if (!Array.isArray(value)) throw this.fail(name, "an array", value);
    return value.map((item, index) => new Reader(item, this.what, `${this.path}.${name}[${index}]`));
  }
}
