// What the script runtime gives a script, as completions keyed by the dotted path before them.
const fn = (label, detail, info) => ({ label, type: "function", detail, info });
const prop = (label, detail, info) => ({ label, type: "property", detail, info });
const ns = (label, info) => ({ label, type: "namespace", info });

export const SDK_COMPLETIONS = {
  "": [
    { label: "context", type: "variable", info: "The run: tenant, user, input and trigger" },
    { label: "sdk", type: "namespace", info: "http, db, cache and log" },
    { label: "events", type: "namespace", info: "Publish events to the tenant's store" },
  ],
  context: [
    prop("tenantId", "string", "The tenant the script runs for"),
    prop("userId", "number | null", "The user who started the run"),
    prop("organizationId", "string | null", "The user's organization"),
    prop("scriptId", "string", "This script's id"),
    prop("executionId", "string", "This run's id"),
    prop("input", "object", "The input given to the run"),
    prop("trigger", "object", "Why the script runs"),
  ],
  "context.trigger": [
    prop("type", "string", "cron, http, event, manual or api"),
    prop("eventType", "string | null"),
    prop("eventPayload", "object | null"),
    prop("httpRequest", "object | null", "{method, path, headers, query, body}"),
    prop("cronExpression", "string | null"),
  ],
  sdk: [
    ns("http", "HTTP requests to public hosts"),
    ns("db", "Read-only SQL of the tenant"),
    ns("cache", "A key-value cache of this script"),
    ns("log", "Log lines kept with the execution"),
  ],
  "sdk.http": [
    fn("get", "(url, options?) → Promise<HttpResponse>"),
    fn("post", "(url, body, options?) → Promise<HttpResponse>"),
    fn("put", "(url, body, options?) → Promise<HttpResponse>"),
    fn("patch", "(url, body, options?) → Promise<HttpResponse>"),
    fn("delete", "(url, options?) → Promise<HttpResponse>"),
  ],
  "sdk.db": [
    fn("query", "(sql, params) → Promise<object[]>"),
    fn("queryOne", "(sql, params) → Promise<object | null>"),
    fn("execute", "(sql, params) → Promise<number>"),
    fn("transaction", "(fn) → Promise<void>"),
  ],
  "sdk.cache": [
    fn("get", "(key) → Promise<any>"),
    fn("set", "(key, value, ttl?) → Promise<boolean>"),
    fn("delete", "(key) → Promise<boolean>"),
    fn("exists", "(key) → Promise<boolean>"),
    fn("increment", "(key, delta?) → Promise<number>"),
  ],
  "sdk.log": [
    fn("debug", "(message, metadata?)"),
    fn("info", "(message, metadata?)"),
    fn("warn", "(message, metadata?)"),
    fn("error", "(message, metadata?)"),
  ],
  events: [fn("publish", "(eventType, payload) → Promise<boolean>")],
};
