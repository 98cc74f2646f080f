"""esruntime: an embeddable event-sourcing runtime built on a DCB event store.

The public surface is what this module exports; submodules are implementation unless documented.
"""

import logging

from esruntime.backends.memory import InMemoryEventStore
from esruntime.backends.sql import SqlEventStore, SqlSchemaRegistry, create_store_engine
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
from esruntime.protocols import EventStore
from esruntime.runtime import Runtime
from esruntime.schema import (
    InMemorySchemaRegistry,
    Schema,
    SchemaRegistry,
    format_schema,
    parse_schema,
    upcast,
    validate_event,
)
from esruntime.store_url import open_event_store
from esruntime.subscriptions import Subscription

__version__ = "0.1.0"

# The library logs under "esruntime"; the host decides where that goes (nowhere by default).
logging.getLogger("esruntime").addHandler(logging.NullHandler())

__all__ = [
    "AppendCondition",
    "ConfigurationError",
    "DuplicateEventIdError",
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
    "Query",
    "QueryItem",
    "ReadResult",
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
