/**
 * The request of every route, built from a call's arguments after checking that HTTP can
 * carry them (`InvalidArgumentError` otherwise, before anything is sent).
 *
 * @module
 */

import { bytesBody, headerValue, jsonBody, MAX_IDEMPOTENCY_KEY, objectBody, segment, textBody } from "./encode.js";
import { InvalidArgumentError } from "./errors.js";
import type { Request } from "./transport.js";
import type { EventQuery } from "./types.js";

const MAX_LIMIT = 1000;
const MAX_VERSION = 64;
const JSON_TYPE = { "Content-Type": "application/json" };

function handlerPath(name: string): string {
  return `handlers/${segment("a command name", name)}`;
}

function raw(flag: boolean | undefined): Record<string, string> {
  return flag ? { raw: "true" } : {};
}

export function command(name: string, input: object, idempotencyKey: string): Request {
  return {
    method: "POST",
    path: `commands/${segment("a command name", name)}`,
    headers: { ...JSON_TYPE, "X-Idempotency-Key": headerValue("an idempotency key", idempotencyKey, MAX_IDEMPOTENCY_KEY) },
    body: objectBody(input, "the command input"),
  };
}

export function schema(method: "PUT" | "POST", text: string, force: boolean | undefined): Request {
  return {
    method,
    path: method === "PUT" ? "schema" : "schema/validate",
    query: force ? { force: "true" } : {},
    headers: { "Content-Type": "text/plain; charset=utf-8" },
    body: textBody(text, "an ESDL schema"),
  };
}

export function handler(method: "GET" | "DELETE", name: string): Request {
  return { method, path: handlerPath(name) };
}

export function upload(name: string, module: Uint8Array | ArrayBuffer, version: string): Request {
  return {
    method: "PUT",
    path: handlerPath(name),
    headers: { "Content-Type": "application/wasm", "X-Handler-Version": headerValue("a version", version, MAX_VERSION) },
    body: bytesBody(module, "a module"),
  };
}

export function makeCurrent(name: string, version: string): Request {
  return {
    method: "PUT",
    path: `${handlerPath(name)}/current`,
    headers: JSON_TYPE,
    body: jsonBody({ version: headerValue("a version", version, MAX_VERSION) }, "the version"),
  };
}

export function eventQuery(query: EventQuery, limit: number): Request {
  const after = query.afterPosition ?? 0;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
    throw new InvalidArgumentError(`limit must be between 1 and ${MAX_LIMIT}, got ${limit}`);
  }
  if (!Number.isSafeInteger(after) || after < 0) {
    throw new InvalidArgumentError(`afterPosition must be 0 or more, got ${after}`);
  }
  const body: Record<string, unknown> = { after_position: after, limit };
  if (query.eventTypes !== undefined) {
    if (!Array.isArray(query.eventTypes)) {
      throw new InvalidArgumentError(`eventTypes is an array of names, got ${JSON.stringify(query.eventTypes)}`);
    }
    body.event_types = query.eventTypes;
  }
  if (query.domainIds !== undefined) body.domain_ids = query.domainIds;
  return { method: "POST", path: "events/query", query: raw(query.raw), headers: JSON_TYPE, body: jsonBody(body, "the query") };
}

export function event(eventId: string, rawData: boolean | undefined): Request {
  return { method: "GET", path: `events/${segment("an event id", eventId)}`, query: raw(rawData) };
}
