"""Durable consumers: named per tenant, with a checkpoint and a lease kept in the database.

:class:`Consumer` hands each new event to a handler once, in store order, across restarts and
across processes sharing a database; :class:`ConsumerStore` is where checkpoints, leases and
dead letters are kept (a backend's ``consumer_store()``:
``esruntime.backends.memory.InMemoryConsumerStore`` or
``esruntime.backends.sql.consumers.SqlConsumerStore``). Event triggers of scripts run on them.
``InMemoryConsumerStore`` stays importable from here, resolved on first use, for code written
before the memory backend held it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from esruntime.consumers.worker import Consumer, Halt, RetryPolicy
from esruntime.lazy import lazy_exports
from esruntime.protocols.consumers import (
    SCRIPT_CONSUMER_PREFIX,
    ConsumerStore,
    DeadLetter,
    DeadLetterPage,
)

if TYPE_CHECKING:
    from esruntime.backends.memory.consumers import InMemoryConsumerStore

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

if not TYPE_CHECKING:
    __getattr__, __dir__ = lazy_exports(
        __name__, {"InMemoryConsumerStore": "esruntime.backends.memory.consumers"}
    )
