"""esruntime: an embeddable event-sourcing runtime built on a DCB event store.

The public surface is what this module exports; submodules are implementation unless documented.
"""

from esruntime.backends.memory import InMemoryEventStore
from esruntime.backends.sql import SqlEventStore, create_store_engine
from esruntime.errors import (
    ConfigurationError,
    DuplicateEventIdError,
    EsruntimeError,
    EventStoreError,
    EventTooLargeError,
    IntegrityError,
    InvalidEventError,
    InvalidQueryError,
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
from esruntime.store_url import open_event_store
from esruntime.subscriptions import Subscription

__version__ = "0.1.0"

__all__ = [
    "AppendCondition",
    "ConfigurationError",
    "DuplicateEventIdError",
    "EsruntimeError",
    "Event",
    "EventStore",
    "EventStoreError",
    "EventTooLargeError",
    "InMemoryEventStore",
    "IntegrityError",
    "InvalidEventError",
    "InvalidQueryError",
    "Query",
    "QueryItem",
    "ReadResult",
    "SequencedEvent",
    "SqlEventStore",
    "StoreUnavailableError",
    "Subscription",
    "SubscriptionClosed",
    "SubscriptionError",
    "SubscriptionTimeout",
    "__version__",
    "create_store_engine",
    "new_event_id",
    "open_event_store",
]
