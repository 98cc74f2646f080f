"""Where durable consumers keep their place: the protocol and its values.

A consumer is a name per tenant with a checkpoint (the position of the last event whose work is
recorded) and a lease: an owner and an expiry. Only the owner of a live lease may advance the
checkpoint, so when several processes share a database exactly one of them works for a consumer
at a time, and a process that died is replaced once its lease lapses. An event whose work kept
failing is kept as a :class:`DeadLetter`, written with the checkpoint that moves past it.

The ``check_*`` functions are the refusals every :class:`ConsumerStore` makes (see its
docstring); a store calls them first, so that bad input is refused the same way by every backend
and before anything is written.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Protocol, runtime_checkable

from attrs import frozen

from esruntime.checks import (
    check_count,
    check_moment,
    check_name,
    check_seconds,
    check_tenant,
)
from esruntime.errors import InvalidQueryError

__all__ = [
    "MAX_ERROR_CHARS",
    "MAX_LEASE_SECONDS",
    "MAX_LETTER_ID_LENGTH",
    "SCRIPT_CONSUMER_PREFIX",
    "ConsumerStore",
    "DeadLetter",
    "DeadLetterPage",
    "check_consumer",
    "check_dead_letter",
    "check_ttl",
    "new_dead_letter",
    "storable_error",
]

SCRIPT_CONSUMER_PREFIX = "script:"
"""Event triggers name the consumer of script ``s`` ``script:s``."""

MAX_LEASE_SECONDS = 365 * 24 * 3600
"""The longest lease a store grants: a year (a longer one is a mistake in seconds or units)."""

MAX_LETTER_ID_LENGTH = 36
"""A dead letter's id is a UUID's 36 characters at most."""

_MAX_ATTEMPTS = 2**31 - 1  # an INTEGER column
MAX_ERROR_CHARS = 4000
"""How much of an error :func:`storable_error` keeps."""

_UNSTORABLE = re.compile(r"[\x00\ud800-\udfff]")
"""What no backend stores in text: NUL (PostgreSQL) and unpaired surrogates (UTF-8)."""


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
    """A dead letter with a fresh id, created now; ``error`` is made storable
    (:func:`storable_error`)."""
    return DeadLetter(
        str(uuid.uuid4()),
        tenant,
        consumer,
        event_id,
        event_type,
        position,
        attempts,
        storable_error(error),
        datetime.now(UTC),
    )


def storable_error(text: str) -> str:
    """``text`` as every store keeps it: its first :data:`MAX_ERROR_CHARS` characters, with NUL
    and unpaired surrogates replaced by U+FFFD. A handler's error may hold anything; a dead
    letter that could not be written would leave its consumer stuck on the event."""
    return _UNSTORABLE.sub("\ufffd", text[:MAX_ERROR_CHARS])


def check_consumer(tenant: object, consumer: object, owner: object = None) -> None:
    """Refuse a tenant that is not a name (:class:`~esruntime.errors.ConfigurationError`), and a
    ``consumer`` or (when given) ``owner`` that is not one
    (:class:`~esruntime.errors.InvalidQueryError`)."""
    check_tenant(tenant)
    check_name("consumer", consumer)
    if owner is not None:
        check_name("owner", owner)


def check_ttl(ttl: object) -> float:
    """A lease's length: seconds above 0, at most :data:`MAX_LEASE_SECONDS`."""
    return check_seconds("ttl", ttl, MAX_LEASE_SECONDS)


def check_dead_letter(
    letter: object, tenant: str | None = None, consumer: str | None = None
) -> DeadLetter:
    """``letter``, when it is a :class:`DeadLetter` every store can keep (and, given ``tenant``
    and ``consumer``, is theirs); else :class:`~esruntime.errors.InvalidQueryError` (or
    :class:`~esruntime.errors.ConfigurationError` for its tenant)."""
    if not isinstance(letter, DeadLetter):
        raise InvalidQueryError(f"dead_letter must be a DeadLetter, got {type(letter).__name__}")
    check_tenant(letter.tenant)
    check_name("the dead letter's id", letter.id, MAX_LETTER_ID_LENGTH)
    check_name("the dead letter's consumer", letter.consumer)
    check_name("the dead letter's event_id", letter.event_id)
    check_name("the dead letter's event_type", letter.event_type)
    check_count("the dead letter's position", letter.position)
    check_count("the dead letter's attempts", letter.attempts, 1, _MAX_ATTEMPTS)
    if not isinstance(letter.error, str) or _UNSTORABLE.search(letter.error):
        raise InvalidQueryError(
            "the dead letter's error must be a string without NUL or unpaired surrogates "
            "(storable_error makes one)"
        )
    check_moment("the dead letter's created_at", letter.created_at)
    if tenant is not None and (letter.tenant, letter.consumer) != (tenant, consumer):
        raise InvalidQueryError(
            f"dead_letter belongs to consumer {letter.consumer!r} of tenant {letter.tenant!r}, "
            f"not to {consumer!r} of {tenant!r}"
        )
    return letter


@runtime_checkable
class ConsumerStore(Protocol):
    """Checkpoints, leases and dead letters of named consumers, per tenant.

    Times are seconds; an expiry is compared with the clock of the process asking, so the
    processes sharing a database need clocks that agree to well within a lease's length.

    Bad arguments are refused before anything is read or written, the same way by every store
    (the ``check_*`` functions of this module):

    - a ``tenant`` that is not a name (a non-empty string of at most 200 characters without
      control characters) raises :class:`~esruntime.errors.ConfigurationError`, as everywhere
      in esruntime;
    - every other malformed argument raises :class:`~esruntime.errors.InvalidQueryError`,
      whose message names it: a ``consumer`` or ``owner`` that is not a name; a ``start`` or
      ``position`` that is not an integer from 0 to 2**63 - 1; a ``ttl`` that is not a number
      of seconds above 0 and at most :data:`MAX_LEASE_SECONDS`; an ``offset`` below 0 or a
      ``limit`` below 1; a ``letter_id`` that is not a string without control characters (any
      other string finds nothing); a dead letter (of ``advance`` or ``save_dead_letter``) that
      :func:`check_dead_letter` refuses: not a :class:`DeadLetter`, not of the ``tenant`` and
      ``consumer`` advanced, or holding what no store keeps (an id over 36 characters, an
      error with NUL: :func:`storable_error` makes any error storable).
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
