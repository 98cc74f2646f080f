"""The errors esruntime raises, all under one root.

::

    EsruntimeError
    ├── ConfigurationError            (also ValueError) a bad URL, option or tenant name
    ├── EventStoreError
    │   ├── IntegrityError            an append condition matched: the decision used stale facts
    │   ├── DuplicateEventIdError     an event id already exists in the tenant's store
    │   ├── InvalidEventError         (also ValueError) malformed type, tags, id, data or metadata
    │   │   └── EventTooLargeError    an encoded event exceeds the store's size limit
    │   ├── InvalidQueryError         (also ValueError) malformed query, start, limit or condition,
    │   │                             or another store argument (a consumer's, a schedule's)
    │   ├── StoreQueryError           the backend can never run the call (a limit, data, bad SQL)
    │   └── StoreUnavailableError     the backend cannot be reached or timed out waiting for a lock
    ├── SubscriptionError
    │   ├── SubscriptionClosed        the subscription was closed while waiting
    │   └── SubscriptionTimeout       (also TimeoutError) no event arrived within the timeout
    ├── InvalidManifestError          (also ValueError) a malformed handler manifest
    ├── HandlerRejectedError          (also ValueError) a handler in code does not fit the schema
    ├── InvalidCommandInput           (also ValueError) command input the runtime cannot use
    ├── UnknownCommandError           (also LookupError) no handler is registered for the command
    ├── HandlerFault                  a handler faulted: trap, fuel, ABI violation, bad events
    ├── IdempotencyKeyReused          (also ValueError) a key's first use was another request
    ├── SchemaError                   (also ValueError) an ESDL schema or event data is refused
    │   ├── SchemaSyntaxError         the text does not parse: line, column, found, expected
    │   ├── SchemaSemanticError       it parses but is inconsistent: every problem, all at once
    │   ├── SchemaTooLargeError       the text exceeds the parser's size limit
    │   ├── EventValidationError      event data does not match its event type: every violation
    │   └── SchemaRejectedError       a push would break stored events: every breaking change
    ├── InvalidWasmModuleError        (also ValueError) a WebAssembly handler module is refused
    ├── AuthenticationError           a missing, malformed, unknown or revoked API key
    ├── PermissionDeniedError         the principal lacks the permission an operation needs
    ├── ScriptError                   a script operation is refused, or a called script failed
    │   ├── ScriptValidationError     (also ValueError) invalid script fields: every field's problem
    │   ├── ScriptConflictError       another script of the tenant has the name or HTTP path
    │   ├── ScriptNotFoundError       (also LookupError) no such script, version or execution
    │   ├── ScriptStateError          the script's type or status does not allow the operation
    │   ├── ScriptExecutionError      a called script failed: its error, line and column
    │   │   ├── ScriptTimeoutError    (also TimeoutError) the script ran out of time
    │   │   └── ScriptBusyError       not run: max_concurrent_runs, or the tenant's share, is busy
    │   └── ScriptRunnerError         a runner refused a run: closed, or an unusable context
    ├── SdkError                      an SDK call of a script failed; the message is the JS Error's
    │   └── RedisReplyError           the Redis server of ``sdk.cache`` answered with an error reply
    └── ClientError                   a call through ``esruntime.client`` failed
        ├── ApiError                  the server answered with an error: status, code, request_id
        │   ├── BadRequestError       (also ValueError) 400: a malformed or invalid request
        │   ├── UnauthorizedError     401: a missing, unknown or revoked API key
        │   ├── ForbiddenError        403: the API key lacks the permission
        │   ├── NotFoundError         (also LookupError) 404: no such handler, event or schema
        │   ├── RequestConflictError  409 with an error body (not a command's conflict outcome)
        │   ├── PayloadTooLargeError  413: the body exceeds the server's limit
        │   ├── UnprocessableError    422 with an error body: e.g. an idempotency key reused
        │   └── ServerError           5xx: an internal error, a handler fault, a store down
        ├── ConnectionFailedError     (also ConnectionError) the server cannot be reached
        ├── RequestTimeoutError       (also TimeoutError) no answer within the timeout
        └── MalformedResponseError    the answer is not the API's: not HTTP, not JSON, cut short

Driver errors are translated into these at the store boundary; a driver's own exception never
escapes an ``EventStore`` method.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from attrs import frozen

if TYPE_CHECKING:
    from esruntime.schema.changes import BreakingChange
    from esruntime.schema.outcomes import SchemaRejected

__all__ = [
    "ApiError",
    "AuthenticationError",
    "BadRequestError",
    "ClientError",
    "ConfigurationError",
    "ConnectionFailedError",
    "DuplicateEventIdError",
    "EsruntimeError",
    "EventStoreError",
    "EventTooLargeError",
    "EventValidationError",
    "ForbiddenError",
    "HandlerFault",
    "HandlerRejectedError",
    "IdempotencyKeyReused",
    "IntegrityError",
    "InvalidCommandInput",
    "InvalidEventError",
    "InvalidManifestError",
    "InvalidQueryError",
    "InvalidWasmModuleError",
    "MalformedResponseError",
    "NotFoundError",
    "PayloadTooLargeError",
    "PermissionDeniedError",
    "RedisReplyError",
    "RequestConflictError",
    "RequestTimeoutError",
    "SchemaError",
    "SchemaProblem",
    "SchemaRejectedError",
    "SchemaSemanticError",
    "SchemaSyntaxError",
    "SchemaTooLargeError",
    "ScriptBusyError",
    "ScriptConflictError",
    "ScriptError",
    "ScriptExecutionError",
    "ScriptNotFoundError",
    "ScriptRunnerError",
    "ScriptStateError",
    "ScriptTimeoutError",
    "ScriptValidationError",
    "SdkError",
    "ServerError",
    "StoreQueryError",
    "StoreUnavailableError",
    "SubscriptionClosed",
    "SubscriptionError",
    "SubscriptionTimeout",
    "UnauthorizedError",
    "UnknownCommandError",
    "UnprocessableError",
]


class EsruntimeError(Exception):
    """The root of every error esruntime raises on purpose."""


class ConfigurationError(EsruntimeError, ValueError):
    """A store or runtime was set up with a bad URL, option or tenant name."""


class EventStoreError(EsruntimeError):
    """A failure of an event store operation."""


class IntegrityError(EventStoreError):
    """An append condition failed: an event matching its query exists after ``after``."""


class DuplicateEventIdError(EventStoreError):
    """An appended event reuses an id that the tenant's store already holds."""


class InvalidEventError(EventStoreError, ValueError):
    """An event cannot be stored as given; the message names the event and the field."""


class EventTooLargeError(InvalidEventError):
    """An event's encoded data and metadata exceed the store's ``max_event_bytes``."""


class InvalidQueryError(EventStoreError, ValueError):
    """A query, read window or append condition is malformed; or another argument of a store
    call (a consumer or schedule store's name, position, lease or time), named by the message."""


class StoreQueryError(EventStoreError):
    """The backend refused the call for good: a limit of the database exceeded, data it cannot
    store, or a statement it cannot run. Retrying the same call cannot succeed (unlike
    :class:`StoreUnavailableError`); over HTTP it is a 400 ``store_query_error``."""


class StoreUnavailableError(EventStoreError):
    """The backend could not be reached, or a lock could not be taken in time: a transient
    failure, worth retrying (HTTP 503 ``store_unavailable``).

    The message keeps the backend's own words (its address, its driver's error) for the log and
    the traceback; ``summary`` is the short sentence a remote caller gets instead, in the HTTP
    API's 503 body (the message itself when the backend gives none)."""

    def __init__(self, message: str, *, summary: str | None = None) -> None:
        super().__init__(message)
        self.summary = message if summary is None else summary


class SubscriptionError(EsruntimeError):
    """A failure while consuming a subscription."""


class SubscriptionClosed(SubscriptionError):
    """The subscription was closed."""


class SubscriptionTimeout(SubscriptionError, TimeoutError):
    """No event arrived within the requested timeout."""


class SchemaError(EsruntimeError, ValueError):
    """An ESDL schema, or event data checked against one, is refused."""


@frozen
class SchemaProblem:
    """One problem in a schema text: where it is and what is wrong."""

    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}, column {self.column}: {self.message}"


class SchemaSyntaxError(SchemaError):
    """The text does not follow the grammar.

    ``line`` and ``column`` are 1-based; ``found`` is the offending text (empty at the end of
    the input) and ``expected`` what would have been accepted there, in words.
    """

    def __init__(
        self, message: str, *, line: int, column: int, found: str, expected: Sequence[str]
    ) -> None:
        super().__init__(message)
        self.line = line
        self.column = column
        self.found = found
        self.expected = tuple(expected)


class SchemaSemanticError(SchemaError):
    """The text parses but is inconsistent; ``problems`` lists every problem in source order."""

    def __init__(self, problems: Sequence[SchemaProblem]) -> None:
        self.problems = tuple(problems)
        lines = "\n".join(f"  {problem}" for problem in self.problems)
        super().__init__(f"the schema has {len(self.problems)} problem(s):\n{lines}")


class SchemaTooLargeError(SchemaError):
    """The schema text exceeds the parser's limit (its size or its nesting)."""


class EventValidationError(SchemaError):
    """Event data does not match its declared event type.

    ``violations`` maps JSON paths (``$.amount``, ``$.lines[2].sku``) to what is wrong there.
    """

    def __init__(self, event_type: str, violations: Sequence[tuple[str, str]]) -> None:
        self.event_type = event_type
        self.violations = tuple(violations)
        details = "; ".join(f"{path}: {message}" for path, message in self.violations)
        super().__init__(f"{event_type} data is invalid: {details}")


class SchemaRejectedError(SchemaError):
    """A schema push was refused because it would break stored events; raised alike by
    ``Runtime.push_schema`` and by the HTTP client's ``push_schema``.

    ``result`` is the :class:`~esruntime.schema.SchemaRejected` (the rejection body of the HTTP
    API); ``breaking_changes`` and ``hint`` are its fields.
    """

    def __init__(self, result: SchemaRejected) -> None:
        self.result = result
        super().__init__("the schema change breaks stored events; push with force=True to override")

    @property
    def breaking_changes(self) -> tuple[BreakingChange, ...]:
        """Every change that breaks stored events (``event``, ``change``, ``field``,
        ``message``)."""
        return self.result.breaking_changes

    @property
    def hint(self) -> str:
        """How to override: push again with ``force``."""
        return self.result.hint


class InvalidManifestError(EsruntimeError, ValueError):
    """A handler manifest is malformed; ``problems`` lists each with its JSON path."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("invalid handler manifest: " + "; ".join(self.problems))


@frozen
class ManifestProblem:
    """One reason a handler is refused, as the HTTP API sends it: a code and a message
    (exported by :mod:`esruntime.handlers.checks`)."""

    code: str
    message: str


class HandlerRejectedError(EsruntimeError, ValueError):
    """A handler registered in code does not fit the schema, as an upload would be refused:
    ``problems`` lists every :class:`ManifestProblem`, with the codes and messages of an upload."""

    def __init__(self, name: str, problems: Sequence[ManifestProblem]) -> None:
        self.name = name
        self.problems = tuple(problems)
        details = "; ".join(f"{p.message} [{p.code}]" for p in self.problems)
        super().__init__(f"handler '{name}' is refused: {details}")


class InvalidCommandInput(EsruntimeError, ValueError):
    """Command input the runtime cannot use (not an object, or an unusable domain id value)."""


class UnknownCommandError(EsruntimeError, LookupError):
    """No handler is registered under this command name."""


class HandlerFault(EsruntimeError):
    """A handler broke its contract: it emitted an undeclared event type or invalid data.

    ``code`` tells faults apart (``undeclared_event``, ``invalid_event``, ...).
    """

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        super().__init__(message)


class IdempotencyKeyReused(EsruntimeError, ValueError):
    """An idempotency key came back with another command or input than its first use."""


class InvalidWasmModuleError(EsruntimeError, ValueError):
    """A WebAssembly handler module is refused at load (``docs/abi.md``, "Upload validation").

    ``problems`` lists every reason: an import (named), a missing or mistyped export, a wrong
    ABI version, a trap while describing itself, or a manifest problem with its JSON path.
    """

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("invalid WebAssembly handler module: " + "; ".join(self.problems))


class SdkError(EsruntimeError):
    """An SDK call failed; its message becomes the script's Error message, verbatim."""


class RedisReplyError(SdkError):
    """The Redis server behind ``sdk.cache`` answered a command with an error reply (``-ERR``,
    ``WRONGTYPE``...); the message is the server's."""


class AuthenticationError(EsruntimeError):
    """A request's credentials are missing, malformed, unknown or revoked (HTTP 401)."""


class PermissionDeniedError(EsruntimeError):
    """The principal is authenticated but lacks the permission an operation needs (HTTP 403)."""


class ScriptError(EsruntimeError):
    """A script operation was refused, or a script called from Python failed."""


class ScriptValidationError(ScriptError, ValueError):
    """Script fields are invalid; ``errors`` maps every invalid field to what is wrong with it."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        self.errors = dict(errors)
        details = "; ".join(f"{name}: {message}" for name, message in self.errors.items())
        super().__init__(f"invalid script: {details}")


class ScriptConflictError(ScriptError):
    """Another script of the tenant already has this name or HTTP path.

    ``field`` is ``name`` or ``http_path``; ``errors`` maps it to the message, like
    :class:`ScriptValidationError`, so that a form can show both the same way.
    """

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.errors = {field: message}
        super().__init__(message)


class ScriptNotFoundError(ScriptError, LookupError):
    """The tenant has no such script, script version or execution."""


class ScriptStateError(ScriptError):
    """The script's type or status does not allow the operation (e.g. running an archived one)."""


class ScriptExecutionError(ScriptError):
    """A script run from Python did not complete.

    ``execution_id`` names the recorded execution; ``name``, ``script_message``, ``line``,
    ``column`` and ``stack`` are the script's error as the engine reported it.
    """

    def __init__(
        self,
        message: str,
        *,
        execution_id: str,
        name: str,
        script_message: str,
        line: int | None = None,
        column: int | None = None,
        stack: str | None = None,
    ) -> None:
        self.execution_id = execution_id
        self.name = name
        self.script_message = script_message
        self.line = line
        self.column = column
        self.stack = stack
        super().__init__(message)


class ScriptTimeoutError(ScriptExecutionError, TimeoutError):
    """A script run from Python exceeded its time limit."""


class ScriptBusyError(ScriptExecutionError):
    """A script was not run: ``max_concurrent_runs`` runs of it were already running, or the
    tenant's share of the script runner stayed busy for ``RunCapacity.wait_s``."""


class ScriptRunnerError(ScriptError):
    """A script runner refused a run: it is closed, or the context cannot be given to a script."""


class ClientError(EsruntimeError):
    """A call through :mod:`esruntime.client` failed: the server refused it or did not answer
    as the API does."""


class ApiError(ClientError):
    """The server answered with an error status.

    ``status`` is the HTTP status; ``code``, ``message`` and ``request_id`` come from the API's
    error body (``code`` is None when the body is not one, e.g. a proxy's page); ``fields``
    maps each invalid field to what is wrong with it, when the API checked a body's fields.
    """

    def __init__(
        self,
        status: int,
        code: str | None,
        message: str,
        request_id: str | None = None,
        fields: Mapping[str, str] | None = None,
    ) -> None:
        self.status = status
        self.code = code
        self.message = message
        self.request_id = request_id
        self.fields = dict(fields or {})
        shown = f" {code}" if code else ""
        suffix = f" [{request_id}]" if request_id else ""
        super().__init__(f"HTTP {status}{shown}: {message}{suffix}")


class BadRequestError(ApiError, ValueError):
    """400: the request is malformed or invalid (bad JSON, an unknown field, bad ESDL)."""


class UnauthorizedError(ApiError):
    """401: the API key is missing, unknown or revoked."""


class ForbiddenError(ApiError):
    """403: the API key is valid but lacks the permission the call needs."""


class NotFoundError(ApiError, LookupError):
    """404: no such handler, event, schema or route."""


class RequestConflictError(ApiError):
    """409 with an error body, e.g. deleting a handler registered in code (a command's conflict
    is an outcome, not this error)."""


class PayloadTooLargeError(ApiError):
    """413: the request body exceeds the server's limit."""


class UnprocessableError(ApiError):
    """422 with an error body, e.g. an idempotency key first used with another request (a
    command's rejection is an outcome, not this error)."""


class ServerError(ApiError):
    """5xx: an internal error, a handler fault (``handler_fault``) or an unavailable store."""


class ConnectionFailedError(ClientError, ConnectionError):
    """The server could not be reached, or the connection broke before an answer."""


class RequestTimeoutError(ClientError, TimeoutError):
    """The server did not answer within the client's timeout."""


class MalformedResponseError(ClientError):
    """The answer is not what the API sends: not HTTP, not JSON, cut short, or of the wrong
    shape; the message says which and shows the start of the body."""
