"""Where durable consumers keep their place: the protocol and its values.

A consumer is a name per tenant with a checkpoint (the position of the last event whose work is
recorded) and a lease: an owner and an expiry. Only the owner of a live lease may advance the
checkpoint, so when several processes share a database exactly one of them works for a consumer
at a time, and a process that died is replaced once its lease lapses. An event whose work kept
failing is kept as a :class:`DeadLetter`, written with the checkpoint that moves past it.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Protocol, runtime_checkable

from attrs import frozen

__all__ = [
    "SCRIPT_CONSUMER_PREFIX",
    "ConsumerStore",
    "DeadLetter",
    "DeadLetterPage",
    "new_dead_letter",
]

SCRIPT_CONSUMER_PREFIX = "script:"
"""Event triggers name the consumer of script ``s`` ``script:s``."""


@frozen
class DeadLetter:
    """An event a consumer gave up on: its last error after ``attempts`` tries."""

    id: str
    tenant: str
    consumer: str
    event_id: str
    event_type: str
    position: int
    attempts: int
    error: str
    created_at: datetime

    @property
    def script_id(self) -> str | None:
        """The script of an event trigger's dead letter; None for other consumers."""
        if self.consumer.startswith(SCRIPT_CONSUMER_PREFIX):
            return self.consumer[len(SCRIPT_CONSUMER_PREFIX) :]
        return None


@frozen
class DeadLetterPage:
    """A window of dead letters, oldest event first, and how many there are in all."""

    items: tuple[DeadLetter, ...]
    total: int
    offset: int
    limit: int


def new_dead_letter(
    tenant: str,
    consumer: str,
    *,
    event_id: str,
    event_type: str,
    position: int,
    attempts: int,
    error: str,
) -> DeadLetter:
    return DeadLetter(
        str(uuid.uuid4()),
        tenant,
        consumer,
        event_id,
        event_type,
        position,
        attempts,
        error,
        datetime.now(UTC),
    )


@runtime_checkable
class ConsumerStore(Protocol):
    """Checkpoints, leases and dead letters of named consumers, per tenant.

    Times are seconds; an expiry is compared with the clock of the process asking, so the
    processes sharing a database need clocks that agree to well within a lease's length.
    """

    def ensure(self, tenant: str, consumer: str, start: int) -> int:
        """Create the consumer with checkpoint ``start`` unless it exists; its checkpoint."""
        ...

    def checkpoint(self, tenant: str, consumer: str) -> int | None:
        """The position of the last event handled; None for an unknown consumer."""
        ...

    def acquire(
        self, tenant: str, consumer: str, owner: str, *, ttl: float, start: int | None = None
    ) -> int | None:
        """Take (or renew) the lease for ``ttl`` seconds when it is free, lapsed or ``owner``'s.

        Given ``start``, a missing consumer is created with that checkpoint first; without it a
        missing consumer stays missing (a deleted one is not brought back). Returns the
        checkpoint when ``owner`` holds the lease now, None when another owner does or the
        consumer does not exist.
        """
        ...

    def renew(self, tenant: str, consumer: str, owner: str, *, ttl: float) -> bool:
        """Extend ``owner``'s lease by ``ttl`` seconds from now; False when it is not theirs."""
        ...

    def release(self, tenant: str, consumer: str, owner: str) -> None:
        """Give the lease up (when ``owner`` holds it), so another process may take it at once."""
        ...

    def advance(
        self,
        tenant: str,
        consumer: str,
        owner: str,
        position: int,
        *,
        dead_letter: DeadLetter | None = None,
    ) -> bool:
        """Move the checkpoint forward to ``position`` and keep ``dead_letter``, atomically.

        Only ``owner``'s lease may do it: False, with nothing written, when another owner took
        the lease. A position at or before the checkpoint leaves it where it is.
        """
        ...

    def delete(self, tenant: str, consumer: str) -> None:
        """Forget a consumer's checkpoint, lease and dead letters.

        Its owner's later ``renew``, ``release`` and ``advance`` write nothing (nor does
        ``acquire`` without ``start``), so a consumer still running elsewhere cannot bring the
        row or a dead letter back.
        """
        ...

    def dead_letters(
        self, tenant: str, *, consumer: str | None = None, offset: int = 0, limit: int = 20
    ) -> tuple[list[DeadLetter], int]:
        """Dead letters oldest event first (of one consumer when given), and how many in all."""
        ...

    def get_dead_letter(self, tenant: str, letter_id: str) -> DeadLetter | None: ...

    def save_dead_letter(self, letter: DeadLetter) -> bool:
        """Replace a stored dead letter (after another failed try); False when it is gone."""
        ...

    def remove_dead_letter(self, tenant: str, letter_id: str) -> bool:
        """Forget a dead letter; False when there was none."""
        ...
