"""Where durable consumers keep their place: the protocol, its values and the memory backend.

A consumer is a name per tenant with a checkpoint (the position of the last event whose work is
recorded) and a lease: an owner and an expiry. Only the owner of a live lease may advance the
checkpoint, so when several processes share a database exactly one of them works for a consumer
at a time, and a process that died is replaced once its lease lapses. An event whose work kept
failing is kept as a :class:`DeadLetter`, written with the checkpoint that moves past it.
"""

from __future__ import annotations

import threading
import time
import uuid
from datetime import UTC, datetime
from typing import Protocol, runtime_checkable

from attrs import evolve, frozen

__all__ = [
    "SCRIPT_CONSUMER_PREFIX",
    "ConsumerStore",
    "DeadLetter",
    "DeadLetterPage",
    "InMemoryConsumerStore",
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
        self, tenant: str, consumer: str, owner: str, *, ttl: float, start: int
    ) -> int | None:
        """Take (or renew) the lease for ``ttl`` seconds when it is free, lapsed or ``owner``'s.

        The consumer is created with checkpoint ``start`` when missing. Returns the checkpoint
        when ``owner`` holds the lease now, None when another owner does.
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
        """Forget a consumer's checkpoint, lease and dead letters."""
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


@frozen
class _Row:
    position: int
    owner: str | None = None
    expires: float = 0.0


class InMemoryConsumerStore:
    """A :class:`ConsumerStore` in process memory, under one lock."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rows: dict[tuple[str, str], _Row] = {}
        self._letters: dict[tuple[str, str], DeadLetter] = {}

    def ensure(self, tenant: str, consumer: str, start: int) -> int:
        with self._lock:
            return self._rows.setdefault((tenant, consumer), _Row(start)).position

    def checkpoint(self, tenant: str, consumer: str) -> int | None:
        with self._lock:
            row = self._rows.get((tenant, consumer))
            return None if row is None else row.position

    def acquire(
        self, tenant: str, consumer: str, owner: str, *, ttl: float, start: int
    ) -> int | None:
        now = time.time()
        with self._lock:
            row = self._rows.setdefault((tenant, consumer), _Row(start))
            if row.owner not in (None, owner) and row.expires >= now:
                return None
            self._rows[tenant, consumer] = evolve(row, owner=owner, expires=now + ttl)
            return row.position

    def renew(self, tenant: str, consumer: str, owner: str, *, ttl: float) -> bool:
        with self._lock:
            row = self._rows.get((tenant, consumer))
            if row is None or row.owner != owner:
                return False
            self._rows[tenant, consumer] = evolve(row, expires=time.time() + ttl)
            return True

    def release(self, tenant: str, consumer: str, owner: str) -> None:
        with self._lock:
            row = self._rows.get((tenant, consumer))
            if row is not None and row.owner == owner:
                self._rows[tenant, consumer] = evolve(row, owner=None, expires=0.0)

    def advance(
        self,
        tenant: str,
        consumer: str,
        owner: str,
        position: int,
        *,
        dead_letter: DeadLetter | None = None,
    ) -> bool:
        with self._lock:
            row = self._rows.get((tenant, consumer))
            if row is None or row.owner != owner:
                return False
            self._rows[tenant, consumer] = evolve(row, position=max(row.position, position))
            if dead_letter is not None:
                self._letters[tenant, dead_letter.id] = dead_letter
            return True

    def delete(self, tenant: str, consumer: str) -> None:
        with self._lock:
            self._rows.pop((tenant, consumer), None)
            for key, letter in list(self._letters.items()):
                if letter.tenant == tenant and letter.consumer == consumer:
                    del self._letters[key]

    def dead_letters(
        self, tenant: str, *, consumer: str | None = None, offset: int = 0, limit: int = 20
    ) -> tuple[list[DeadLetter], int]:
        with self._lock:
            found = [
                letter
                for (owner, _), letter in self._letters.items()
                if owner == tenant and (consumer is None or letter.consumer == consumer)
            ]
        found.sort(key=lambda letter: (letter.position, letter.consumer, letter.id))
        return found[offset : offset + limit], len(found)

    def get_dead_letter(self, tenant: str, letter_id: str) -> DeadLetter | None:
        with self._lock:
            return self._letters.get((tenant, letter_id))

    def save_dead_letter(self, letter: DeadLetter) -> bool:
        with self._lock:
            if (letter.tenant, letter.id) not in self._letters:
                return False
            self._letters[letter.tenant, letter.id] = letter
            return True

    def remove_dead_letter(self, tenant: str, letter_id: str) -> bool:
        with self._lock:
            return self._letters.pop((tenant, letter_id), None) is not None
