/**
 * Every failure of the client is an {@link ESRuntimeError}:
 *
 * ```text
 * ESRuntimeError
 * ├── ConfigurationError        invalid options: the client's, or a call's retries or timeout
 * ├── InvalidArgumentError      a call's argument HTTP cannot carry; nothing was sent
 * ├── ApiError                  the server answered with an error status
 * │   ├── BadRequestError       400
 * │   ├── UnauthorizedError     401
 * │   ├── ForbiddenError        403
 * │   ├── NotFoundError         404
 * │   ├── RequestConflictError  409 with an error body (a command's conflict is a result)
 * │   ├── PayloadTooLargeError  413
 * │   ├── UnprocessableError    422 with an error body (a rejection is a result)
 * │   └── ServerError           5xx
 * ├── ConnectionFailedError     no connection, or it broke before an answer
 * ├── RequestTimeoutError       no whole answer within the timeout
 * ├── RequestAbortedError       the caller's AbortSignal fired
 * └── MalformedResponseError    an answer that is not the API's
 * ```
 *
 * Outcomes a caller is expected to handle (a command rejected or still conflicting, a schema or
 * module refused) are results with a `status`, never errors.
 *
 * @module
 */

/** The root of the client's errors. `code` and `requestId` are the API's when the server
 * answered with its error body, otherwise null. */
export class ESRuntimeError extends Error {
  readonly code: string | null;
  readonly requestId: string | null;

  constructor(message: string, options?: { code?: string | null; requestId?: string | null; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = options?.code ?? null;
    this.requestId = options?.requestId ?? null;
  }
}

/** Invalid options: the constructor's, or a call's `retries` or `timeout`; nothing was sent. */
export class ConfigurationError extends ESRuntimeError {}

/** An argument HTTP cannot carry (an empty name, input that is not JSON, a bad idempotency
 * key): thrown before anything is sent. */
export class InvalidArgumentError extends ESRuntimeError {}

/** The server answered with an error status. `code`, `message` and `requestId` come from the
 * API's error body `{"error": {"code", "message", "request_id"}}`; when the body is not one
 * (a proxy's page), `code` is null and `requestId` is the `X-Request-ID` header, if any. */
export class ApiError extends ESRuntimeError {
  /** The HTTP status. */
  readonly status: number;

  constructor(status: number, code: string | null, message: string, requestId: string | null) {
    super(message, { code, requestId });
    this.status = status;
  }
}

/** 400: a malformed request, invalid ESDL (`invalid_schema`), bad query values. */
export class BadRequestError extends ApiError {}
/** 401: a missing, malformed, unknown or revoked API key. */
export class UnauthorizedError extends ApiError {}
/** 403: the key lacks the route's permission. */
export class ForbiddenError extends ApiError {}
/** 404: `handler_not_found`, `event_not_found`, `schema_not_found`, `version_not_found`, `route_not_found`. */
export class NotFoundError extends ApiError {}
/** 409 with an error body, e.g. `handler_in_code`. */
export class RequestConflictError extends ApiError {}
/** 413: `body_too_large`. */
export class PayloadTooLargeError extends ApiError {}
/** 422 with an error body, e.g. `idempotency_key_reused`. */
export class UnprocessableError extends ApiError {}
/** 5xx: `handler_fault`, `store_unavailable`, `internal_error`, or a proxy's page. */
export class ServerError extends ApiError {}

/** The server could not be reached, or the connection closed before a whole answer. */
export class ConnectionFailedError extends ESRuntimeError {}

/** No whole answer within the request's timeout. */
export class RequestTimeoutError extends ESRuntimeError {}

/** The caller's `AbortSignal` fired; `cause` is the signal's reason. */
export class RequestAbortedError extends ESRuntimeError {}

/** The answer is not the API's: not HTTP, cut short, not JSON, of the wrong shape (the
 * message names the JSON path), a page that does not advance, or over `maxResponseBytes`. */
export class MalformedResponseError extends ESRuntimeError {}

const BY_STATUS: Record<number, typeof ApiError> = {
  400: BadRequestError,
  401: UnauthorizedError,
  403: ForbiddenError,
  404: NotFoundError,
  409: RequestConflictError,
  413: PayloadTooLargeError,
  422: UnprocessableError,
};

/** The {@link ApiError} subclass of an HTTP status. */
export function apiErrorClass(status: number): typeof ApiError {
  return status >= 500 ? ServerError : (BY_STATUS[status] ?? ApiError);
}
