"""An in-memory, thread-safe event store for tests, demos and embedding without a database."""

from __future__ import annotations

import bisect
import heapq
import threading
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime

from esruntime.checks import check_lookup, check_read_args, check_tenant
from esruntime.encoding import DEFAULT_MAX_EVENT_BYTES, check_condition, decode, encode_events
from esruntime.errors import DuplicateEventIdError, IntegrityError
from esruntime.events import (
    AppendCondition,
    Event,
    Query,
    QueryItem,
    ReadResult,
    SequencedEvent,
)
from esruntime.idempotency import DuplicateIdempotencyKey, IdempotencyRecord
from esruntime.subscriptions import AppendSignal, Subscription

__all__ = ["InMemoryEventStore"]


class InMemoryEventStore:
    """One tenant's events in process memory, indexed by type, tag and id.

    Stored data is the JSON round trip of what was appended (as the SQL stores return it), and
    is shared between readers: treat it as read-only.
    """

    reads_back_as_appended = True
    """An appended event reads back as its data's JSON text decoded, stamped with this
    process's clock during the append (``esruntime.web.commands``)."""

    def __init__(self, tenant: str = "default", *, max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES):
        self._tenant = check_tenant(tenant)
        self.max_event_bytes = max_event_bytes
        self._events: list[SequencedEvent] = []
        self._by_type: dict[str, list[int]] = {}
        self._by_tag: dict[str, list[int]] = {}
        self._by_id: dict[str, int] = {}
        self._records: dict[str, IdempotencyRecord] = {}
        self._lock = threading.RLock()
        self._signal = AppendSignal()

    @property
    def tenant(self) -> str:
        return self._tenant

    def append(
        self,
        events: Event | Sequence[Event],
        condition: AppendCondition | None = None,
        *,
        record: IdempotencyRecord | None = None,
    ) -> int:
        encoded = encode_events(events, self.max_event_bytes)
        check_condition(condition)
        with self._lock:
            if condition is not None:
                after = condition.after or 0
                if next(self._positions(condition.fail_if_events_match, after + 1), None):
                    raise IntegrityError(
                        f"append condition failed: an event matching the query exists after "
                        f"position {condition.after}"
                    )
            if record is not None and record.key in self._records:
                raise DuplicateIdempotencyKey(self._records[record.key])
            batch_ids = set()
            for event, _, _ in encoded:
                if event.id in self._by_id or event.id in batch_ids:
                    raise DuplicateEventIdError(f"event id {event.id!r} already exists")
                batch_ids.add(event.id)
            now = datetime.now(UTC)
            for event, data, metadata in encoded:
                position = len(self._events) + 1
                stored = Event(
                    type=event.type,
                    data=decode(data),
                    tags=event.tags,
                    id=event.id,
                    metadata=decode(metadata),
                )
                self._events.append(SequencedEvent(position, stored, now))
                self._by_type.setdefault(event.type, []).append(position)
                for tag in event.tags:
                    self._by_tag.setdefault(tag, []).append(position)
                self._by_id[event.id] = position
            if record is not None:
                self._records[record.key] = record
            head = len(self._events)
        self._signal.notify()
        return head

    def read(
        self,
        query: Query | None = None,
        *,
        start: int | None = None,
        backwards: bool = False,
        limit: int | None = None,
    ) -> ReadResult:
        check_read_args(start, limit)
        query = query if query is not None else Query()
        if limit == 0:
            return ReadResult([], None)
        with self._lock:
            head = len(self._events) or None
            if backwards:
                upper = (head or 0) if start is None else min(start, head or 0)
                positions: Iterable[int] = self._positions_backwards(query, upper)
            elif limit is None and not query.matches_all:  # a command's read: every match
                events = self._events
                return ReadResult(
                    [events[p - 1] for p in self._all_positions(query, start or 1)], head
                )
            else:
                positions = self._positions(query, start or 1)
            selected = []
            for position in positions:
                selected.append(self._events[position - 1])
                if limit is not None and len(selected) >= limit:
                    break
        if limit is not None:
            head = selected[-1].position if selected else None
        return ReadResult(selected, head)

    def head(self) -> int | None:
        return len(self._events) or None

    def subscribe(self, query: Query | None = None, *, after: int | None = None) -> Subscription:
        return Subscription(self._read_from, self._signal, query, after=after)

    def _read_from(self, query: Query, start: int, limit: int) -> ReadResult:
        return self.read(query, start=start, limit=limit)

    def get(self, event_id: str) -> SequencedEvent | None:
        check_lookup("event_id", event_id)
        with self._lock:
            position = self._by_id.get(event_id)
            return None if position is None else self._events[position - 1]

    def count(self, event_type: str, *, having_field: str | None = None) -> int:
        check_lookup("event_type", event_type)
        if having_field is not None:
            check_lookup("having_field", having_field)
        with self._lock:
            positions = self._by_type.get(event_type, [])
            if having_field is None:
                return len(positions)
            return sum(
                1
                for p in positions
                if isinstance(data := self._events[p - 1].event.data, dict) and having_field in data
            )

    def type_counts(self) -> dict[str, int]:
        with self._lock:
            return {t: len(positions) for t, positions in self._by_type.items()}

    def recall(self, key: str) -> IdempotencyRecord | None:
        with self._lock:
            return self._records.get(key)

    def remember(self, record: IdempotencyRecord) -> IdempotencyRecord:
        with self._lock:
            return self._records.setdefault(record.key, record)

    def close(self) -> None:
        self._signal.notify()

    # Matching: each item walks its most selective index; items are merged in position order.

    def _candidates(self, item: QueryItem) -> list[int] | None:
        """Positions that may match ``item`` in ascending order; None for every position."""
        if item.tags:
            return min((self._by_tag.get(tag, []) for tag in item.tags), key=len)
        if item.types:
            lists = [self._by_type.get(t, []) for t in item.types]
            return lists[0] if len(lists) == 1 else list(heapq.merge(*lists))
        return None

    def _all_positions(self, query: Query, start: int) -> list[int]:
        """Every matching position from ``start``, ascending: what ``_positions`` yields, built
        with set and list operations instead of merging generators."""
        found: set[int] = set()
        events = self._events
        for item in query.items:
            candidates = self._candidates(item)
            assert candidates is not None
            first = bisect.bisect_left(candidates, start)
            if item.tags and item.types:
                types, tags = item.types, item.tags
                found.update(
                    p
                    for p in candidates[first:]
                    if (event := events[p - 1].event).type in types
                    and all(tag in event.tags for tag in tags)
                )
            elif item.tags and len(item.tags) > 1:
                tags = item.tags
                found.update(
                    p
                    for p in candidates[first:]
                    if all(t in events[p - 1].event.tags for t in tags)
                )
            else:  # the index alone decides: one tag and no type, or types alone
                found.update(candidates[first:])
        return sorted(found)

    def _positions(self, query: Query, start: int) -> Iterator[int]:
        if query.matches_all:
            return iter(range(max(start, 1), len(self._events) + 1))
        streams = [self._item_positions(item, start) for item in query.items]
        return _unique(heapq.merge(*streams))

    def _item_positions(self, item: QueryItem, start: int) -> Iterator[int]:
        candidates = self._candidates(item)
        assert candidates is not None
        for i in range(bisect.bisect_left(candidates, start), len(candidates)):
            position = candidates[i]
            if item.matches(self._events[position - 1].event):
                yield position

    def _positions_backwards(self, query: Query, upper: int) -> Iterator[int]:
        if query.matches_all:
            return iter(range(upper, 0, -1))
        streams = [self._item_positions_backwards(item, upper) for item in query.items]
        return _unique(heapq.merge(*streams, reverse=True))

    def _item_positions_backwards(self, item: QueryItem, upper: int) -> Iterator[int]:
        candidates = self._candidates(item)
        assert candidates is not None
        for i in range(bisect.bisect_right(candidates, upper) - 1, -1, -1):
            position = candidates[i]
            if item.matches(self._events[position - 1].event):
                yield position


def _unique(positions: Iterable[int]) -> Iterator[int]:
    previous = None
    for position in positions:
        if position != previous:
            yield position
            previous = position
