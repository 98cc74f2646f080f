"""esruntime: an embeddable event-sourcing runtime built on a DCB event store.

The public surface is what this module exports; submodules are implementation unless documented.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from esruntime.errors import (
    ConfigurationError,
    DuplicateEventIdError,
    EsruntimeError,
    EventStoreError,
    EventTooLargeError,
    EventValidationError,
    IntegrityError,
    InvalidEventError,
    InvalidQueryError,
    SchemaError,
    SchemaRejectedError,
    SchemaSemanticError,
    SchemaSyntaxError,
    StoreQueryError,
    StoreUnavailableError,
    SubscriptionClosed,
    SubscriptionError,
    SubscriptionTimeout,
)
from esruntime.events import (
    AppendCondition,
    Event,
    Query,
    QueryItem,
    ReadResult,
    SequencedEvent,
    new_event_id,
)
from esruntime.lazy import lazy_exports
from esruntime.protocols import EventStore

if TYPE_CHECKING:
    from esruntime.backends import open_event_store
    from esruntime.backends.memory import InMemoryEventStore, InMemorySchemaRegistry
    from esruntime.backends.sql import SqlEventStore, SqlSchemaRegistry, create_store_engine
    from esruntime.commands.executor import CommandResult
    from esruntime.handlers.python import Decision, Emit, PythonHandler, Rejection
    from esruntime.runtime import Runtime
    from esruntime.schema import (
        Schema,
        SchemaRegistry,
        format_schema,
        parse_schema,
        upcast,
        validate_event,
    )
    from esruntime.subscriptions import Subscription

# Imported on first use: SQLAlchemy, the schema parser and the runtime take most of a second to
# load, which every command-line call would pay (PEP 562). The handler and command names are
# here too: their modules import the schema parser.
_LAZY = {
    "CommandResult": "esruntime.commands.executor",
    "Decision": "esruntime.handlers.python",
    "Emit": "esruntime.handlers.python",
    "PythonHandler": "esruntime.handlers.python",
    "Rejection": "esruntime.handlers.python",
    "InMemoryEventStore": "esruntime.backends.memory",
    "SqlEventStore": "esruntime.backends.sql",
    "SqlSchemaRegistry": "esruntime.backends.sql",
    "create_store_engine": "esruntime.backends.sql",
    "Runtime": "esruntime.runtime",
    "InMemorySchemaRegistry": "esruntime.backends.memory",
    "Schema": "esruntime.schema",
    "SchemaRegistry": "esruntime.schema",
    "format_schema": "esruntime.schema",
    "parse_schema": "esruntime.schema",
    "upcast": "esruntime.schema",
    "validate_event": "esruntime.schema",
    "open_event_store": "esruntime.backends",
    "Subscription": "esruntime.subscriptions",
}


if not TYPE_CHECKING:  # type checkers see the imports above, and flag misspelt names
    __getattr__, __dir__ = lazy_exports(__name__, _LAZY)


__version__ = "0.1.0"

# The library logs under "esruntime"; the host decides where that goes (nowhere by default).
logging.getLogger("esruntime").addHandler(logging.NullHandler())

__all__ = [
    "AppendCondition",
    "CommandResult",
    "ConfigurationError",
    "Decision",
    "DuplicateEventIdError",
    "Emit",
    "EsruntimeError",
    "Event",
    "EventStore",
    "EventStoreError",
    "EventTooLargeError",
    "EventValidationError",
    "InMemoryEventStore",
    "InMemorySchemaRegistry",
    "IntegrityError",
    "InvalidEventError",
    "InvalidQueryError",
    "PythonHandler",
    "Query",
    "QueryItem",
    "ReadResult",
    "Rejection",
    "Runtime",
    "Schema",
    "SchemaError",
    "SchemaRegistry",
    "SchemaRejectedError",
    "SchemaSemanticError",
    "SchemaSyntaxError",
    "SequencedEvent",
    "SqlEventStore",
    "SqlSchemaRegistry",
    "StoreQueryError",
    "StoreUnavailableError",
    "Subscription",
    "SubscriptionClosed",
    "SubscriptionError",
    "SubscriptionTimeout",
    "__version__",
    "create_store_engine",
    "format_schema",
    "new_event_id",
    "open_event_store",
    "parse_schema",
    "upcast",
    "validate_event",
]
