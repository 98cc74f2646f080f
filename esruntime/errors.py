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
    └── SubscriptionError
        ├── SubscriptionClosed        the subscription was closed while waiting
        └── SubscriptionTimeout       (also TimeoutError) no event arrived within the timeout

Driver errors are translated into these at the store boundary; a driver's own exception never
escapes an ``EventStore`` method.
"""

from __future__ import annotations

__all__ = [
    "ConfigurationError",
    "DuplicateEventIdError",
    "EsruntimeError",
    "EventStoreError",
    "EventTooLargeError",
    "IntegrityError",
    "InvalidEventError",
    "InvalidQueryError",
    "StoreUnavailableError",
    "SubscriptionClosed",
    "SubscriptionError",
    "SubscriptionTimeout",
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
