/**
 * `@esruntime/sdk`: the client of the esruntime HTTP API, on `fetch` alone (Node 18+, Deno,
 * Bun, browsers).
 *
 * @module
 */

export { ESRuntime } from "./client.js";
export { DEFAULT_BASE_URL, type ESRuntimeOptions } from "./settings.js";
export {
  ApiError,
  BadRequestError,
  ConfigurationError,
  ConnectionFailedError,
  ESRuntimeError,
  ForbiddenError,
  InvalidArgumentError,
  MalformedResponseError,
  NotFoundError,
  PayloadTooLargeError,
  RequestAbortedError,
  RequestConflictError,
  RequestTimeoutError,
  ServerError,
  UnauthorizedError,
  UnprocessableError,
} from "./errors.js";
export type {
  BreakingChange,
  CommandConflict,
  CommandEvent,
  CommandOk,
  CommandRejected,
  CommandResult,
  EventPage,
  EventQuery,
  ExecuteOptions,
  GetEventOptions,
  HandlerDetails,
  HandlerRejected,
  HandlerSummary,
  HandlerUploaded,
  HandlerUploadResult,
  HandlerVersion,
  Health,
  IterateOptions,
  JsonObject,
  QueryOptions,
  RequestOptions,
  SchemaAccepted,
  SchemaChanges,
  SchemaEvent,
  SchemaField,
  SchemaInfo,
  SchemaOptions,
  SchemaPushResult,
  SchemaRejected,
  StoredEvent,
  UploadProblem,
} from "./types.js";
