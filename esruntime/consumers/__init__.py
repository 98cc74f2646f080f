"""Durable consumers: named per tenant, with a checkpoint and a lease kept in the database.

:class:`Consumer` hands each new event to a handler once, in store order, across restarts and
across processes sharing a database; :class:`ConsumerStore` is where checkpoints, leases and
dead letters are kept (:class:`InMemoryConsumerStore`, or
``esruntime.backends.sql.consumers.SqlConsumerStore``). Event triggers of scripts run on them.
"""

from esruntime.consumers.store import (
    SCRIPT_CONSUMER_PREFIX,
    ConsumerStore,
    DeadLetter,
    DeadLetterPage,
    InMemoryConsumerStore,
)
from esruntime.consumers.worker import Consumer, Halt, RetryPolicy

__all__ = [
    "SCRIPT_CONSUMER_PREFIX",
    "Consumer",
    "ConsumerStore",
    "DeadLetter",
    "DeadLetterPage",
    "Halt",
    "InMemoryConsumerStore",
    "RetryPolicy",
]
