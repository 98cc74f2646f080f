"""The event store protocol: what every backend's event store does, idempotency records too."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from esruntime.events import AppendCondition, Event, Query, ReadResult, SequencedEvent
from esruntime.idempotency import IdempotencyRecord
from esruntime.subscriptions import Subscription

__all__ = ["EventStore"]


@runtime_checkable
class EventStore(Protocol):
    """One tenant's DCB event store: gapless positions from 1, conditional appends.

    Semantics (shared by every backend and checked by ``esruntime.testing``):

    - ``append`` writes all events or none, atomically with its condition check, and returns the
      position of the last one. An empty append is an error.
    - ``read`` returns matching events in position order with the head from the same snapshot.
      Forwards, ``start`` is the first position considered; backwards, the last one.
    - ``subscribe`` yields every matching event after ``after``, exactly once and in order:
      first the stored ones, then new ones as they are appended.
    """

    @property
    def tenant(self) -> str: ...

    def append(
        self,
        events: Event | Sequence[Event],
        condition: AppendCondition | None = None,
        *,
        record: IdempotencyRecord | None = None,
    ) -> int:
        """Append events atomically; raise IntegrityError when the condition matches.

        With ``record``, the idempotency record is written in the same transaction (only when
        the condition passes); DuplicateIdempotencyKey when its key already has one.
        """
        ...

    def read(
        self,
        query: Query | None = None,
        *,
        start: int | None = None,
        backwards: bool = False,
        limit: int | None = None,
    ) -> ReadResult:
        """Read the events matching ``query`` (all events when None)."""
        ...

    def head(self) -> int | None:
        """The position of the last event, or None when the store is empty."""
        ...

    def subscribe(self, query: Query | None = None, *, after: int | None = None) -> Subscription:
        """Follow the events matching ``query`` after position ``after`` (exclusive)."""
        ...

    def get(self, event_id: str) -> SequencedEvent | None:
        """The event with this id, or None."""
        ...

    def count(self, event_type: str, *, having_field: str | None = None) -> int:
        """How many events of ``event_type`` exist (whose data has the top-level field)."""
        ...

    def type_counts(self) -> dict[str, int]:
        """The number of events of each type in the store."""
        ...

    def recall(self, key: str) -> IdempotencyRecord | None:
        """The idempotency record of ``key``, or None."""
        ...

    def remember(self, record: IdempotencyRecord) -> IdempotencyRecord:
        """Keep ``record`` unless its key has one already; return the one that is kept."""
        ...

    def close(self) -> None:
        """Release the store's resources; open subscriptions are closed."""
        ...
