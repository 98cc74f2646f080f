"""Value types of the DCB event store: events, queries and append conditions.

Matching follows the DCB specification: a :class:`QueryItem` matches an event when its ``types``
are empty or contain the event's type, **and** every one of its tags is among the event's tags.
A :class:`Query` ORs its items; an empty query matches every event.
"""

from __future__ import annotations

import os
import random
import re
import time
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from functools import lru_cache
from typing import Any

from attrs import frozen
from ulid_transform import bytes_to_ulid

from esruntime.checks import CONTROL_CHARACTERS, is_name
from esruntime.errors import InvalidEventError, InvalidQueryError

__all__ = [
    "AppendCondition",
    "Event",
    "Query",
    "QueryItem",
    "ReadResult",
    "SequencedEvent",
    "new_event_id",
    "new_id",
    "stored_event",
]

MAX_TYPE_LENGTH = 200
MAX_TAG_LENGTH = 500
MAX_ID_LENGTH = 200

_TAG = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*:[^\x00-\x1f\ud800-\udfff]+")
_CONTROL = CONTROL_CHARACTERS
_LIST_OR_TUPLE = (list, tuple)  # a tuple of types: ``list | tuple`` would build a union per call


# A private generator: a host's random.seed() cannot make ids repeat. Reseeded in forked
# children so that parent and child never share a sequence (ulid-transform's own generator is
# copied by fork, so only its C base32 encoder is used).
_random = random.Random(os.urandom(32))
os.register_at_fork(after_in_child=lambda: _random.seed(os.urandom(32)))


_time_ns = time.time_ns


_getrandbits = _random.getrandbits  # the same generator: seed() reseeds it in place


def new_id(prefix: str) -> str:
    """A fresh, time-ordered id: ``prefix``, ``_`` and a ULID (48 bits of Unix milliseconds and
    80 random bits, encoded by ulid-transform in C: about 16 times faster than python-ulid)."""
    value = (time.time_ns() // 1_000_000) << 80 | _random.getrandbits(80)
    return f"{prefix}_{bytes_to_ulid(value.to_bytes(16, 'big'))}"


def new_event_id() -> str:
    """A fresh, time-ordered event id: ``evt_`` followed by a ULID (see :func:`new_id`)."""
    return new_id("evt")


@lru_cache(maxsize=4096)
def _type_problem(value: str) -> str | None:
    """Why a string is no valid event type, or None (memoized: types repeat)."""
    if not value:
        return "must be a non-empty string"
    if len(value) > MAX_TYPE_LENGTH:
        return f"is {len(value)} characters long; the limit is {MAX_TYPE_LENGTH}"
    if _CONTROL.search(value):
        return "contains a control character or an unpaired surrogate"
    return None


def _check_type(value: object, error: type[ValueError], what: str) -> str:
    if not isinstance(value, str):
        raise error(f"{what} must be a non-empty string, got {value!r}")
    problem = _type_problem(value)
    if problem is not None:
        shown = repr(value) if len(value) <= MAX_TYPE_LENGTH else f"{value[:40]!r}..."
        raise error(f"{what} {shown} {problem}")
    return value


@lru_cache(maxsize=65536)
def _tag_problem(tag: str) -> str | None:
    """Why a string is no valid tag, or None (memoized: tags repeat)."""
    if not _TAG.fullmatch(tag):
        return (
            "is not 'key:value' (a key of letters, digits, '_', '.' or '-' starting with a "
            "letter or '_', a colon, and a non-empty value without control characters)"
        )
    if len(tag) > MAX_TAG_LENGTH:
        return f"is {len(tag)} characters; the limit is {MAX_TAG_LENGTH}"
    return None


def _normalize_tags(tags: Iterable[str], error: type[ValueError]) -> tuple[str, ...]:
    if isinstance(tags, str | bytes):
        raise error(f"tags must be a sequence of 'key:value' strings, not a single string {tags!r}")
    tags = tuple(tags)
    for tag in tags:
        problem = _tag_problem(tag) if isinstance(tag, str) else "is not 'key:value'"
        if problem is not None:
            shown = repr(tag) if not isinstance(tag, str) or len(tag) <= 60 else f"{tag[:40]!r}..."
            raise error(f"tag {shown} {problem}")
    if len(tags) == 1:
        return tags
    return tuple(sorted(set(tags)))


def _event_tags(tags: Iterable[str]) -> tuple[str, ...]:
    return _normalize_tags(tags, InvalidEventError)


def _item_tags(tags: Iterable[str]) -> tuple[str, ...]:
    if isinstance(tags, _LIST_OR_TUPLE) and len(tags) == 1:
        (tag,) = tags
        if tag.__class__ is str and _tag_problem(tag) is None:  # a single known tag
            return (tag,)
    return _normalize_tags(tags, InvalidQueryError)


def _item_types(types: Iterable[str]) -> tuple[str, ...]:
    if isinstance(types, _LIST_OR_TUPLE) and len(types) == 1:
        (type_,) = types
        if type_.__class__ is str and _type_problem(type_) is None:  # a single known type
            return (type_,)
    if isinstance(types, str | bytes):
        raise InvalidQueryError(
            f"types must be a sequence of strings, not a single string {types!r}"
        )
    types = tuple(types)
    if len(types) == 1:
        return (_check_type(types[0], InvalidQueryError, "event type"),)
    return tuple(sorted({_check_type(t, InvalidQueryError, "event type") for t in types}))


def _check_id(value: object) -> str:
    if not is_name(value, MAX_ID_LENGTH):
        raise InvalidEventError(
            f"event id must be a non-empty string of at most {MAX_ID_LENGTH} characters "
            f"without control characters, got {value!r}"
        )
    return value


def _check_metadata(value: object) -> Mapping[str, Any]:
    if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
        raise InvalidEventError(f"event metadata must be a mapping with string keys, got {value!r}")
    return value


_GENERATED: Any = object()
"""The default of ``Event(id=...)``: a fresh id, which needs no checking."""


@frozen(init=False)
class Event:
    """An event to append: its type, JSON data, ``key:value`` tags, id and metadata.

    ``data`` is any JSON-able value, or ``bytes`` holding UTF-8 JSON text (stored as given,
    read back decoded). Tags are a set: they are deduplicated and sorted. A fresh id is
    generated unless one is given.
    """

    type: str
    data: Any
    tags: tuple[str, ...]
    id: str
    metadata: Mapping[str, Any]

    def __init__(
        self,
        type: str,
        data: Any = None,
        tags: Iterable[str] = (),
        id: str = _GENERATED,
        metadata: Mapping[str, Any] | None = None,
    ) -> None:
        # Written by hand rather than generated by attrs: events are built in batches on the
        # append path, and the checks that cannot fail (a generated id, no metadata, a known
        # type or tag) are skipped here, which halves the cost of constructing one.
        set_ = object.__setattr__
        if type.__class__ is not str or _type_problem(type) is not None:
            _check_type(type, InvalidEventError, "event type")
        set_(self, "type", type)
        set_(self, "data", data)
        if isinstance(tags, _LIST_OR_TUPLE) and len(tags) == 1 and tags[0].__class__ is str:
            if _tag_problem(tags[0]) is not None:
                _event_tags(tags)  # raises, naming the problem
            set_(self, "tags", (tags[0],))
        else:
            set_(self, "tags", () if tags == () else _event_tags(tags))
        if id is _GENERATED:  # new_event_id(), inlined: events are built in batches
            value = (_time_ns() // 1_000_000) << 80 | _getrandbits(80)
            id = f"evt_{bytes_to_ulid(value.to_bytes(16, 'big'))}"
        elif not is_name(id, MAX_ID_LENGTH):
            _check_id(id)  # raises, naming the problem
        set_(self, "id", id)
        set_(self, "metadata", {} if metadata is None else _check_metadata(metadata))

    @classmethod
    def from_storage(
        cls, type: str, data: Any, tags: tuple[str, ...], id: str, metadata: Mapping[str, Any]
    ) -> Event:
        """Rebuild an event read back from a store, skipping the checks it passed on append."""
        event = _new(cls)
        _set_type(event, type)
        _set_data(event, data)
        _set_tags(event, tags)
        _set_id(event, id)
        _set_metadata(event, metadata)
        return event


@frozen
class SequencedEvent:
    """An event as stored: its position in the tenant's store and when it was recorded."""

    position: int
    event: Event
    timestamp: datetime

    @property
    def type(self) -> str:
        return self.event.type

    @property
    def data(self) -> Any:
        return self.event.data

    @property
    def tags(self) -> tuple[str, ...]:
        return self.event.tags

    @property
    def id(self) -> str:
        return self.event.id

    @property
    def metadata(self) -> Mapping[str, Any]:
        return self.event.metadata


# The slots' own setters: what a frozen class's generated __init__ does, without looking each
# one up by name (the read path builds every event it returns through these).
_new = object.__new__
_set_type, _set_data, _set_tags, _set_id, _set_metadata = (
    Event.__dict__[name].__set__ for name in ("type", "data", "tags", "id", "metadata")
)
_set_position, _set_event, _set_timestamp = (
    SequencedEvent.__dict__[name].__set__ for name in ("position", "event", "timestamp")
)


def stored_event(
    position: int,
    type: str,
    data: Any,
    tags: tuple[str, ...],
    id: str,
    metadata: Mapping[str, Any],
    timestamp: datetime,
) -> SequencedEvent:
    """An event read back from a store, at its position: the checks it passed on append are
    not made again."""
    event = _new(Event)
    _set_type(event, type)
    _set_data(event, data)
    _set_tags(event, tags)
    _set_id(event, id)
    _set_metadata(event, metadata)
    sequenced = _new(SequencedEvent)
    _set_position(sequenced, position)
    _set_event(sequenced, event)
    _set_timestamp(sequenced, timestamp)
    return sequenced


@frozen(init=False)
class QueryItem:
    """Matches events of any of ``types`` (any type when empty) carrying all of ``tags``."""

    types: tuple[str, ...]
    tags: tuple[str, ...]

    def __init__(self, types: Iterable[str] = (), tags: Iterable[str] = ()) -> None:
        # Written by hand rather than generated by attrs (as Event's): one type and one tag,
        # already known good by the memoized checks, take no further work.
        if (
            types.__class__ is list
            and len(types) == 1
            and types[0].__class__ is str
            and _type_problem(types[0]) is None
        ):
            _set_item_types(self, (types[0],))
        else:
            _set_item_types(self, () if types == () else _item_types(types))
        if (
            tags.__class__ is list
            and len(tags) == 1
            and tags[0].__class__ is str
            and _tag_problem(tags[0]) is None
        ):
            _set_item_tags(self, (tags[0],))
        else:
            _set_item_tags(self, () if tags == () else _item_tags(tags))

    def matches(self, event: Event) -> bool:
        if self.types and event.type not in self.types:
            return False
        return all(tag in event.tags for tag in self.tags)

    @property
    def matches_all(self) -> bool:
        return not self.types and not self.tags


_set_item_types, _set_item_tags = (QueryItem.__dict__[n].__set__ for n in ("types", "tags"))


def _items(items: Iterable[QueryItem]) -> tuple[QueryItem, ...]:
    if isinstance(items, QueryItem):
        return (items,)
    if isinstance(items, _LIST_OR_TUPLE) and len(items) == 1 and type(items[0]) is QueryItem:
        return (items[0],)  # the common one-item query: nothing to deduplicate
    result = []
    for item in items:
        if not isinstance(item, QueryItem):
            raise InvalidQueryError(f"query items must be QueryItem instances, got {item!r}")
        result.append(item)
    # Identical items select the same events: keep the first of each, in the order given.
    return tuple(dict.fromkeys(result))


@frozen(init=False)
class Query:
    """A disjunction of :class:`QueryItem`; the empty query matches every event."""

    items: tuple[QueryItem, ...]

    def __init__(self, items: Iterable[QueryItem] = ()) -> None:
        if items.__class__ is list and len(items) == 1 and items[0].__class__ is QueryItem:
            _set_query_items(self, (items[0],))  # the common one-item query
        else:
            _set_query_items(self, _items(items))

    @classmethod
    def all(cls) -> Query:
        """The query that matches every event."""
        return cls()

    @classmethod
    def of(cls, *items: QueryItem) -> Query:
        return cls(items)

    @property
    def matches_all(self) -> bool:
        return not self.items or any(item.matches_all for item in self.items)

    def matches(self, event: Event) -> bool:
        return self.matches_all or any(item.matches(event) for item in self.items)


_set_query_items = Query.__dict__["items"].__set__


def _query(value: Query | Iterable[QueryItem]) -> Query:
    return value if isinstance(value, Query) else Query(value)


def _validate_after(_: object, __: object, value: Any) -> None:
    if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
        raise InvalidQueryError(f"'after' must be a non-negative integer or None, got {value!r}")


@frozen(init=False)
class AppendCondition:
    """Fail the append if any event after position ``after`` matches ``fail_if_events_match``.

    ``after=None`` means any event at all: the decision assumed that no matching event exists.
    """

    fail_if_events_match: Query
    after: int | None

    def __init__(
        self, fail_if_events_match: Query | Iterable[QueryItem], after: int | None = None
    ) -> None:
        _set_condition_query(
            self,
            fail_if_events_match
            if fail_if_events_match.__class__ is Query
            else _query(fail_if_events_match),
        )
        if after is not None and (after.__class__ is not int or after < 0):
            _validate_after(self, None, after)
        _set_condition_after(self, after)


_set_condition_query, _set_condition_after = (
    AppendCondition.__dict__[n].__set__ for n in ("fail_if_events_match", "after")
)


@frozen
class ReadResult:
    """The events a read selected and the head captured with them.

    ``head`` is the store's head when the read had no limit, and the last selected position when
    it had one (``None`` when a limited read selected nothing). Use it as an append condition's
    ``after``: every matching event up to ``head`` was seen.
    """

    events: list[SequencedEvent]
    head: int | None

    def __iter__(self) -> Iterator[SequencedEvent]:
        return iter(self.events)

    def __len__(self) -> int:
        return len(self.events)
