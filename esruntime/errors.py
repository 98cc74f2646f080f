"""The errors esruntime raises, all under one root.

::

    EsruntimeError
    ├── ConfigurationError            (also ValueError) a bad URL, option or tenant name
    ├── EventStoreError
    │   ├── IntegrityError            an append condition matched: the decision used stale facts
    │   ├── DuplicateEventIdError     an event id already exists in the tenant's store
    │   ├── InvalidEventError         (also ValueError) malformed type, tags, id, data or metadata
    │   │   └── EventTooLargeError    an encoded event exceeds the store's size limit
    │   ├── InvalidQueryError         (also ValueError) malformed query, start, limit or condition
    │   └── StoreUnavailableError     the backend cannot be reached or timed out waiting for a lock
    ├── SubscriptionError
    │   ├── SubscriptionClosed        the subscription was closed while waiting
    │   └── SubscriptionTimeout       (also TimeoutError) no event arrived within the timeout
    ├── InvalidManifestError          (also ValueError) a malformed handler manifest
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
    └── InvalidWasmModuleError        (also ValueError) a WebAssembly handler module is refused

Driver errors are translated into these at the store boundary; a driver's own exception never
escapes an ``EventStore`` method.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from attrs import frozen

__all__ = [
    "ConfigurationError",
    "DuplicateEventIdError",
    "EsruntimeError",
    "EventStoreError",
    "EventTooLargeError",
    "EventValidationError",
    "HandlerFault",
    "IdempotencyKeyReused",
    "IntegrityError",
    "InvalidCommandInput",
    "InvalidEventError",
    "InvalidManifestError",
    "InvalidQueryError",
    "InvalidWasmModuleError",
    "SchemaError",
    "SchemaProblem",
    "SchemaRejectedError",
    "SchemaSemanticError",
    "SchemaSyntaxError",
    "SchemaTooLargeError",
    "StoreUnavailableError",
    "SubscriptionClosed",
    "SubscriptionError",
    "SubscriptionTimeout",
    "UnknownCommandError",
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
    """A query, read window or append condition is malformed."""


class StoreUnavailableError(EventStoreError):
    """The backend could not be reached, or a lock could not be taken in time."""


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
    """A schema push was refused because it would break stored events.

    ``result`` is the rejection body of the HTTP API (``status``, ``breaking_changes``, ``hint``).
    """

    def __init__(self, result: Any) -> None:
        self.result = result
        super().__init__("the schema change breaks stored events; push with force=True to override")


class InvalidManifestError(EsruntimeError, ValueError):
    """A handler manifest is malformed; ``problems`` lists each with its JSON path."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("invalid handler manifest: " + "; ".join(self.problems))


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
    """A WebAssembly handler module is refused at load (ABI.md §Upload validation).

    ``problems`` lists every reason: an import (named), a missing or mistyped export, a wrong
    ABI version, a trap while describing itself, or a manifest problem with its JSON path.
    """

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("invalid WebAssembly handler module: " + "; ".join(self.problems))
