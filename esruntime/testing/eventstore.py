"""The event store contract: one suite that every backend passes (needs pytest)."""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from esruntime.errors import (
    DuplicateEventIdError,
    EventTooLargeError,
    IntegrityError,
    InvalidEventError,
    InvalidQueryError,
    SubscriptionTimeout,
)
from esruntime.events import AppendCondition, Event, Query, QueryItem
from esruntime.idempotency import DuplicateIdempotencyKey, IdempotencyRecord
from esruntime.protocols import EventStore
from esruntime.testing.threads import run_together

__all__ = ["EventStoreContract"]

StoreFactory = Callable[..., EventStore]


def item(types: tuple[str, ...] = (), tags: tuple[str, ...] = ()) -> QueryItem:
    return QueryItem(types=types, tags=tags)


def query(*items: QueryItem) -> Query:
    return Query(items)


def positions(store: EventStore, q: Query | None = None, **kwargs: Any) -> list[int]:
    return [e.position for e in store.read(q, **kwargs)]


_types = st.sampled_from(["A", "B", "C"])
_tags = st.sampled_from(["k:1", "k:2", "j:1", "j:2"])
_events = st.builds(
    lambda type_, tags: Event(type_, {"n": 1}, tags),
    _types,
    st.lists(_tags, max_size=3),
)
_items = st.builds(
    lambda types, tags: QueryItem(types=types, tags=tags),
    st.lists(_types, max_size=2),
    st.lists(_tags, max_size=2),
)
_queries = st.builds(Query, st.lists(_items, max_size=4))


def _expected_positions(
    history: dict[int, Event], q: Query, start: int | None, backwards: bool, limit: int | None
) -> list[int]:
    """The DCB definition, transcribed: what a read must return."""
    matching = [p for p, event in sorted(history.items()) if q.matches(event)]
    if backwards:
        matching = [p for p in reversed(matching) if start is None or p <= start]
    else:
        matching = [p for p in matching if start is None or p >= start]
    return matching if limit is None else matching[:limit]


class EventStoreContract:
    """Behaviour shared by every :class:`~esruntime.protocols.EventStore`.

    Subclasses provide a ``make_store`` fixture: a callable taking ``tenant`` (and optionally
    ``max_event_bytes``) that returns an empty store for that tenant, where stores made for the
    same tenant by one factory share their events.

    Two capabilities say where a backend cannot keep a promise, and the tests check the weaker
    promise instead:

    - ``gapless_positions``: each tenant's positions are 1, 2, 3, ... When False (tenants share
      one sequence), a tenant's positions only increase, each append's events are consecutive,
      and the first store a factory makes for a test is still empty, so it starts at 1.
    - ``largest_event_bytes``: the largest ``max_event_bytes`` the backend takes (None: any).
    - ``largest_tag_count``: how many tags one event may carry (None: any).
    """

    gapless_positions: bool = True
    largest_event_bytes: int | None = None
    largest_tag_count: int | None = None

    @pytest.fixture
    def store(self, make_store: StoreFactory) -> EventStore:
        return make_store()

    @pytest.fixture
    def sample(self, store: EventStore) -> EventStore:
        """Positions 1-6: a course/student history with overlapping tags."""
        store.append(
            [
                Event("CourseDefined", {"course": "c1", "capacity": 2}, ["course:c1"]),
                Event("CourseDefined", {"course": "c2", "capacity": 5}, ["course:c2"]),
                Event("StudentSubscribed", {"s": "s1"}, ["course:c1", "student:s1"]),
                Event("StudentSubscribed", {"s": "s2"}, ["course:c1", "student:s2"]),
                Event("StudentSubscribed", {"s": "s1"}, ["course:c2", "student:s1"]),
                Event("CourseRenamed", {"course": "c1"}, ["course:c1"]),
            ]
        )
        return store

    # -- matching ------------------------------------------------------------------------------

    def test_empty_store_reads_nothing_and_has_no_head(self, store: EventStore) -> None:
        result = store.read()
        assert result.events == []
        assert result.head is None
        assert store.head() is None

    def test_empty_query_matches_every_event(self, sample: EventStore) -> None:
        assert positions(sample) == [1, 2, 3, 4, 5, 6]
        assert positions(sample, Query()) == [1, 2, 3, 4, 5, 6]
        assert positions(sample, query(item())) == [1, 2, 3, 4, 5, 6]

    def test_types_of_an_item_are_alternatives(self, sample: EventStore) -> None:
        q = query(item(types=("CourseDefined", "CourseRenamed")))
        assert positions(sample, q) == [1, 2, 6]

    def test_tags_of_an_item_must_all_be_present(self, sample: EventStore) -> None:
        assert positions(sample, query(item(tags=("course:c1",)))) == [1, 3, 4, 6]
        assert positions(sample, query(item(tags=("course:c1", "student:s1")))) == [3]
        assert positions(sample, query(item(tags=("course:c2", "student:s2")))) == []

    def test_types_and_tags_of_an_item_must_both_match(self, sample: EventStore) -> None:
        q = query(item(types=("StudentSubscribed",), tags=("student:s1",)))
        assert positions(sample, q) == [3, 5]
        q = query(item(types=("CourseDefined", "CourseRenamed"), tags=("course:c1",)))
        assert positions(sample, q) == [1, 6]

    def test_items_are_alternatives_without_duplicates(self, sample: EventStore) -> None:
        q = query(
            item(tags=("student:s1",)),
            item(types=("StudentSubscribed",), tags=("course:c1",)),
            item(tags=("course:c1", "student:s1")),
        )
        assert positions(sample, q) == [3, 4, 5]

    def test_results_are_in_position_order_whatever_the_item_order(
        self, sample: EventStore
    ) -> None:
        a = item(types=("CourseRenamed",))
        b = item(tags=("course:c2",))
        c = item(types=("CourseDefined",), tags=("course:c1",))
        expected = [1, 2, 5, 6]
        assert positions(sample, query(a, b, c)) == expected
        assert positions(sample, query(c, b, a)) == expected
        assert positions(sample, query(b, a, c), backwards=True) == expected[::-1]

    def test_unknown_type_or_tag_matches_nothing(self, sample: EventStore) -> None:
        assert positions(sample, query(item(types=("Nope",)))) == []
        assert positions(sample, query(item(tags=("course:none",)))) == []

    def test_the_type_is_not_a_tag(self, sample: EventStore) -> None:
        assert positions(sample, query(item(tags=("type:CourseDefined",)))) == []

    # -- start, backwards, limit and head ------------------------------------------------------

    def test_start_is_inclusive_forwards(self, sample: EventStore) -> None:
        assert positions(sample, start=4) == [4, 5, 6]
        assert positions(sample, query(item(tags=("course:c1",))), start=4) == [4, 6]
        assert positions(sample, start=7) == []

    def test_backwards_reads_from_the_end_or_from_start_inclusive(self, sample: EventStore) -> None:
        assert positions(sample, backwards=True) == [6, 5, 4, 3, 2, 1]
        assert positions(sample, backwards=True, start=4) == [4, 3, 2, 1]
        assert positions(sample, query(item(tags=("course:c1",))), backwards=True, start=5) == [
            4,
            3,
            1,
        ]
        assert positions(sample, backwards=True, start=100) == [6, 5, 4, 3, 2, 1]

    def test_limit_bounds_the_selection_in_either_direction(self, sample: EventStore) -> None:
        q = query(item(tags=("course:c1",)))
        assert positions(sample, q, limit=2) == [1, 3]
        assert positions(sample, q, limit=2, backwards=True) == [6, 4]
        assert positions(sample, q, limit=2, start=4) == [4, 6]
        assert positions(sample, q, limit=100) == [1, 3, 4, 6]

    def test_head_is_the_store_head_without_a_limit(self, sample: EventStore) -> None:
        assert sample.read(query(item(types=("CourseDefined",)))).head == 6
        assert sample.read(query(item(types=("Nope",)))).head == 6
        assert sample.read(start=100).head == 6
        assert sample.head() == 6

    def test_head_is_the_last_selected_position_with_a_limit(self, sample: EventStore) -> None:
        q = query(item(tags=("course:c1",)))
        assert sample.read(q, limit=2).head == 3
        assert sample.read(q, limit=2, backwards=True).head == 4
        assert sample.read(query(item(types=("Nope",))), limit=5).head is None
        assert sample.read(limit=0).events == []

    def test_bad_read_arguments_are_refused(self, sample: EventStore) -> None:
        with pytest.raises(InvalidQueryError, match="'start'"):
            sample.read(start=-1)
        with pytest.raises(InvalidQueryError, match="'limit'"):
            sample.read(limit=-5)
        with pytest.raises(InvalidQueryError, match="'limit'"):
            sample.read(limit="10")  # type: ignore[arg-type]

    def test_positions_and_limits_beyond_64_bits_mean_the_largest(self, sample: EventStore) -> None:
        huge = 2**70
        c1 = query(item(tags=("course:c1",)))
        assert positions(sample, limit=huge) == [1, 2, 3, 4, 5, 6]
        assert positions(sample, c1, limit=huge) == [1, 3, 4, 6]
        assert positions(sample, c1, start=huge) == []
        assert positions(sample, c1, start=huge, backwards=True, limit=huge) == [6, 4, 3, 1]
        assert sample.append(Event("X", tags=["course:c1"]), AppendCondition(c1, after=huge)) == 7
        assert sample.append(Event("Y"), AppendCondition(Query(), after=huge)) == 8

    # -- appending and conditions --------------------------------------------------------------

    def test_positions_start_at_one_and_are_gapless(self, store: EventStore) -> None:
        assert store.append(Event("A")) == 1
        assert store.append([Event("B"), Event("C"), Event("D")]) == 4
        assert store.append([Event("E")]) == 5
        assert positions(store) == [1, 2, 3, 4, 5]
        assert [e.type for e in store.read()] == ["A", "B", "C", "D", "E"]

    def test_an_empty_append_is_refused(self, store: EventStore) -> None:
        with pytest.raises(InvalidEventError, match="at least one event"):
            store.append([])
        with pytest.raises(InvalidEventError, match="at least one event"):
            store.append(())
        assert store.head() is None

    def test_append_takes_one_event_or_any_sequence(self, store: EventStore) -> None:
        assert store.append(Event("A")) == 1
        assert store.append((Event("B"), Event("C"))) == 3
        with pytest.raises(InvalidEventError, match="an Event or a sequence"):
            store.append(e for e in [Event("D")])  # type: ignore[arg-type]
        with pytest.raises(InvalidEventError, match="event 1 is not an esruntime Event"):
            store.append([Event("D"), {"type": "D"}])  # type: ignore[list-item]
        with pytest.raises(InvalidQueryError, match="must be an AppendCondition"):
            store.append(Event("D"), Query())  # type: ignore[arg-type]
        assert store.head() == 3

    def test_events_round_trip_with_their_id_data_tags_and_metadata(
        self, store: EventStore
    ) -> None:
        event = Event(
            "Deposited",
            {"amount": 12.5, "nested": {"list": [1, None, True, "x"]}, "n": 2**53},
            ["account:a1", "bank:b"],
            id="evt_custom",
            metadata={"correlation_id": "c-1"},
        )
        store.append(event)
        (stored,) = store.read().events
        assert stored.event == event
        assert stored.position == 1
        assert stored.timestamp.tzinfo is not None
        assert store.get("evt_custom") == stored
        assert store.get("evt_missing") is None

    def test_tags_are_a_set(self, store: EventStore) -> None:
        store.append(Event("A", tags=["b:2", "a:1", "b:2"]))
        (stored,) = store.read().events
        assert stored.tags == ("a:1", "b:2")
        assert positions(store, query(item(tags=("b:2", "a:1")))) == [1]

    def test_unicode_is_kept_everywhere(self, store: EventStore) -> None:
        data = {"name": "Zoë ✓ 日本語 😀", "emoji_key_😀": "\u2028\u00e9", "quote": "\"'\\"}
        store.append(Event("Ünïcode.Ëvent", data, ["name:Zoë-😀", "city:東京"]))
        (stored,) = store.read(query(item(types=("Ünïcode.Ëvent",), tags=("city:東京",)))).events
        assert stored.data == data
        assert stored.tags == ("city:東京", "name:Zoë-😀")

    def test_large_payloads_round_trip(self, make_store: StoreFactory) -> None:
        largest = min(8 * 1024 * 1024, self.largest_event_bytes or 8 * 1024 * 1024)
        store = make_store(max_event_bytes=largest)
        data = {"blob": "x" * (largest * 5 // 8), "items": list(range(10_000))}
        store.append(Event("Big", data))
        assert store.read().events[0].data == data

    def test_condition_passes_when_the_last_match_is_at_or_below_after(
        self, sample: EventStore
    ) -> None:
        q = query(item(tags=("course:c2",)))  # matches 2 and 5
        assert sample.append(Event("X"), AppendCondition(q, after=5)) == 7
        assert sample.append(Event("X"), AppendCondition(q, after=6)) == 8

    def test_condition_fails_when_a_match_is_above_after(self, sample: EventStore) -> None:
        q = query(item(tags=("course:c2",)))
        with pytest.raises(IntegrityError):
            sample.append(Event("X"), AppendCondition(q, after=4))
        with pytest.raises(IntegrityError):
            sample.append(Event("X"), AppendCondition(q, after=None))
        assert sample.head() == 6

    def test_condition_with_no_after_fails_on_any_match(self, store: EventStore) -> None:
        q = query(item(types=("Registered",), tags=("user:u1",)))
        assert store.append(Event("Registered", tags=["user:u1"]), AppendCondition(q)) == 1
        with pytest.raises(IntegrityError):
            store.append(Event("Registered", tags=["user:u1"]), AppendCondition(q))
        assert store.append(Event("Registered", tags=["user:u2"]), AppendCondition(q, after=1)) == 2

    def test_condition_on_the_empty_query_fails_on_any_later_event(
        self, sample: EventStore
    ) -> None:
        with pytest.raises(IntegrityError):
            sample.append(Event("X"), AppendCondition(Query(), after=5))
        assert sample.append(Event("X"), AppendCondition(Query(), after=6)) == 7

    def test_a_failed_condition_writes_nothing(self, sample: EventStore) -> None:
        q = query(item(types=("CourseDefined",)))
        with pytest.raises(IntegrityError):
            sample.append([Event("Y", tags=["y:1"]), Event("Z")], AppendCondition(q, after=0))
        assert sample.head() == 6
        assert positions(sample, query(item(tags=("y:1",)))) == []
        assert sample.append(Event("W")) == 7

    def test_condition_with_many_items(self, sample: EventStore) -> None:
        items = [item(types=(f"T{n}",), tags=(f"k:{n}",)) for n in range(300)]
        q = Query([*items, item(types=("CourseRenamed",))])
        with pytest.raises(IntegrityError):
            sample.append(Event("X"), AppendCondition(q, after=5))
        assert sample.append(Event("X"), AppendCondition(q, after=6)) == 7

    def test_duplicate_event_ids_are_refused_atomically(self, store: EventStore) -> None:
        store.append(Event("A", id="evt_1"))
        with pytest.raises(DuplicateEventIdError):
            store.append([Event("B", id="evt_2"), Event("C", id="evt_1")])
        with pytest.raises(DuplicateEventIdError):
            store.append([Event("B", id="evt_3"), Event("C", id="evt_3")])
        assert positions(store) == [1]
        assert store.get("evt_2") is None

    # -- bad input -----------------------------------------------------------------------------

    @pytest.mark.parametrize(
        ("data", "message"),
        [
            ({"when": object()}, "not JSON-serializable"),
            ({1, 2}, "not JSON-serializable"),
            ({"x": float("nan")}, "not JSON-serializable"),
            ({"x": float("inf")}, "not JSON-serializable"),
            ({"bad": "nul\u0000char"}, r"U\+0000"),
            ({"bad": "\ud800"}, "surrogate"),
            (b"{not json", "not UTF-8 JSON"),
            (b"\xff\xfe", "not UTF-8 JSON"),
        ],
    )
    def test_data_that_is_not_json_is_refused(
        self, store: EventStore, data: Any, message: str
    ) -> None:
        with pytest.raises(InvalidEventError, match=message) as caught:
            store.append([Event("Ok", {"fine": 1}), Event("Bad", data)])
        assert "event 1 ('Bad')" in str(caught.value)
        assert store.head() is None

    def test_deeply_nested_or_circular_data_is_refused(self, store: EventStore) -> None:
        circular: list[Any] = []
        circular.append(circular)
        deep: Any = 0
        for _ in range(100_000):
            deep = [deep]
        for data in (circular, deep):
            with pytest.raises(InvalidEventError, match="not JSON-serializable"):
                store.append(Event("Bad", data))
        assert store.head() is None

    def test_bytes_data_is_stored_as_the_json_it_holds(self, store: EventStore) -> None:
        store.append(Event("Raw", b'{"a": [1, 2]}'))
        assert store.read().events[0].data == {"a": [1, 2]}

    def test_metadata_that_is_not_json_is_refused(self, store: EventStore) -> None:
        with pytest.raises(InvalidEventError, match="metadata is not JSON-serializable"):
            store.append(Event("Bad", metadata={"x": object()}))

    @pytest.mark.parametrize(
        "tag", ["nokey", ":value", "key:", "1key:v", "ke y:v", "key:va\nlue", "", 42, "k:\x00"]
    )
    def test_tags_that_are_not_key_value_are_refused(self, tag: Any) -> None:
        with pytest.raises(InvalidEventError, match="not 'key:value'"):
            Event("A", tags=[tag])
        with pytest.raises(InvalidQueryError, match="not 'key:value'"):
            QueryItem(tags=[tag])

    def test_a_single_string_is_not_a_list_of_tags(self) -> None:
        with pytest.raises(InvalidEventError, match="single string"):
            Event("A", tags="account:1")
        with pytest.raises(InvalidQueryError, match="single string"):
            QueryItem(types="Deposited")

    @pytest.mark.parametrize("type_", ["", None, "x" * 201, "A\nB", 5])
    def test_bad_event_types_are_refused(self, type_: Any) -> None:
        with pytest.raises(InvalidEventError, match="event type"):
            Event(type_)

    def test_oversized_events_are_refused_with_their_size(self, make_store: StoreFactory) -> None:
        store = make_store(max_event_bytes=1000)
        store.append(Event("Fits", {"x": "a" * 900}))
        with pytest.raises(
            EventTooLargeError, match=r"event 0 \('Huge'\) is 1,0\d\d bytes.*limit is 1,000"
        ):
            store.append(Event("Huge", {"x": "a" * 1000}))
        with pytest.raises(EventTooLargeError):
            store.append(Event("Huge", {"x": "é" * 600}))  # 1,200 bytes in UTF-8
        assert store.head() == 1

    def test_a_query_with_thousands_of_items_works(self, sample: EventStore) -> None:
        items = [item(types=("StudentSubscribed",), tags=(f"student:s{n}",)) for n in range(3000)]
        items.append(item(types=("CourseRenamed",)))
        q = Query(items)
        assert positions(sample, q) == [3, 4, 5, 6]
        assert positions(sample, q, limit=2) == [3, 4]
        assert positions(sample, q, backwards=True, limit=3) == [6, 5, 4]
        assert sample.read(q, limit=2).head == 4

    # -- wide query items ----------------------------------------------------------------------

    @pytest.fixture(params=[4, 65, 300], ids=lambda n: f"{n}-tags")
    def slots(self, request: pytest.FixtureRequest) -> tuple[str, ...]:
        """The tags of a wide item: more than a few, more than SQLite's 64-table join."""
        return tuple(sorted(f"slot:{n:03}" for n in range(request.param)))

    @pytest.fixture
    def booked(self, store: EventStore, slots: tuple[str, ...]) -> EventStore:
        """1: every slot booked at once; 2: all but the last; 3: every slot held (another type);
        4: a booking of every slot and one more; 5-7: the first, the last and no slot."""
        store.append(
            [
                Event("Booked", {}, slots),
                Event("Booked", {}, slots[:-1]),
                Event("Held", {}, slots),
                Event("Booked", {}, [*slots, "slot:extra"]),
                Event("Booked", {}, slots[:1]),
                Event("Held", {}, slots[-1:]),
                Event("Booked", {}, ["other:1"]),
            ]
        )
        return store

    def test_a_wide_item_matches_the_events_that_carry_all_its_tags(
        self, booked: EventStore, slots: tuple[str, ...]
    ) -> None:
        assert positions(booked, query(item(tags=slots))) == [1, 3, 4]
        assert positions(booked, query(item(types=("Booked",), tags=slots))) == [1, 4]
        assert positions(booked, query(item(types=("Held", "Other"), tags=slots))) == [3]
        assert positions(booked, query(item(tags=slots[:-1]))) == [1, 2, 3, 4]
        assert positions(booked, query(item(tags=(*slots, "slot:extra")))) == [4]
        assert positions(booked, query(item(tags=(*slots, "slot:none")))) == []

    def test_wide_items_read_forwards_backwards_and_limited(
        self, booked: EventStore, slots: tuple[str, ...]
    ) -> None:
        q = query(item(tags=slots))
        assert positions(booked, q, start=2) == [3, 4]
        assert positions(booked, q, limit=2) == [1, 3]
        assert positions(booked, q, backwards=True) == [4, 3, 1]
        assert positions(booked, q, backwards=True, limit=1) == [4]
        assert positions(booked, q, backwards=True, start=3, limit=5) == [3, 1]
        assert booked.read(q, limit=2).head == 3
        assert booked.read(q).head == 7

    def test_wide_items_mix_with_narrow_items(
        self, booked: EventStore, slots: tuple[str, ...]
    ) -> None:
        wide = item(types=("Booked",), tags=slots)
        narrow = item(types=("Held",), tags=slots[-1:])
        q = query(wide, narrow, item(tags=("other:1",)))
        assert positions(booked, q) == [1, 3, 4, 6, 7]
        assert positions(booked, q, backwards=True, limit=4) == [7, 6, 4, 3]
        assert positions(booked, query(wide, item(tags=slots[:-1]))) == [1, 2, 3, 4]

    def test_conditions_on_a_wide_item(self, booked: EventStore, slots: tuple[str, ...]) -> None:
        booked_slots = item(types=("Booked",), tags=slots)
        every_slot = query(booked_slots)
        booking = Event("Booked", {}, slots)
        # Positions 1 and 4 book every slot: a decision made before 4 is stale.
        for after in (None, 0, 3):
            with pytest.raises(IntegrityError):
                booked.append(booking, AppendCondition(every_slot, after=after))
        assert booked.head() == 7
        # After 4, only partial bookings and holds follow: none matches the item.
        assert booked.append(booking, AppendCondition(every_slot, after=4)) == 8
        with pytest.raises(IntegrityError):
            booked.append(booking, AppendCondition(every_slot, after=7))
        # Mixed with other items, any of which may fail the condition.
        held = item(types=("Held",), tags=slots)
        assert booked.append(Event("Noted"), AppendCondition(query(held), after=3)) == 9
        with pytest.raises(IntegrityError):
            booked.append(Event("Noted"), AppendCondition(query(booked_slots, held), after=2))
        assert (
            booked.append(Event("Noted"), AppendCondition(query(booked_slots, held), after=8)) == 10
        )
        assert booked.head() == 10

    def test_a_condition_on_a_wide_item_in_an_empty_store(
        self, store: EventStore, slots: tuple[str, ...]
    ) -> None:
        every_slot = query(item(tags=slots))
        assert store.append(Event("Booked", {}, slots[:-1]), AppendCondition(every_slot)) == 1
        assert store.append(Event("Booked", {}, slots), AppendCondition(every_slot)) == 2
        with pytest.raises(IntegrityError):
            store.append(Event("Booked", {}, slots), AppendCondition(every_slot))
        assert store.head() == 2

    def test_items_beyond_the_drivers_parameter_limits_work(self, store: EventStore) -> None:
        # More types than SQLite (32,766) or PostgreSQL (65,535) take as parameters, and tags.
        tags = tuple(f"seat:{n}" for n in range(min(2_000, self.largest_tag_count or 2_000)))
        types = tuple(f"T{n}" for n in range(70_000))
        store.append([Event("T5", {}, tags), Event("T6", {}, tags[1:]), Event("Other", {}, tags)])
        wide = query(item(types=types, tags=tags))
        assert positions(store, wide) == [1]
        assert positions(store, query(item(types=types, tags=tags[1:3]))) == [1, 2]
        assert positions(store, wide, backwards=True, limit=1) == [1]
        with pytest.raises(IntegrityError):
            store.append(Event("T7"), AppendCondition(wide, after=0))
        assert store.append(Event("T7"), AppendCondition(wide, after=1)) == 4

    def test_many_wide_items_in_one_query(self, store: EventStore) -> None:
        # 300 items of 120 tags each: 36,000 tags in all, more than one statement's parameters.
        items = [item(tags=tuple(f"row{r}:{n}" for n in range(120))) for r in range(300)]
        store.append([Event("Full", {}, items[7].tags), Event("Full", {}, items[250].tags)])
        store.append(Event("Partial", {}, items[9].tags[1:]))
        q = Query(items)
        assert positions(store, q) == [1, 2]
        assert positions(store, q, backwards=True, limit=1) == [2]
        with pytest.raises(IntegrityError):
            store.append(Event("X"), AppendCondition(q, after=1))
        assert store.append(Event("X"), AppendCondition(q, after=2)) == 4

    def test_a_query_needs_query_items(self) -> None:
        with pytest.raises(InvalidQueryError, match="QueryItem"):
            Query(["course:c1"])  # type: ignore[list-item]
        with pytest.raises(InvalidQueryError, match="'after'"):
            AppendCondition(Query(), after=-1)

    # -- helpers for the schema registry -------------------------------------------------------

    def test_counts_by_type_and_by_presence_of_a_field(self, sample: EventStore) -> None:
        sample.append(Event("StudentSubscribed", {"other": 1}))
        sample.append(Event("StudentSubscribed", {"s": None}))
        sample.append(Event("StudentSubscribed", ["not", "an", "object"]))
        assert sample.count("StudentSubscribed") == 6
        assert sample.count("StudentSubscribed", having_field="s") == 4
        assert sample.count("StudentSubscribed", having_field="other") == 1
        assert sample.count("StudentSubscribed", having_field="missing") == 0
        assert sample.count("Nope") == 0
        assert sample.type_counts() == {
            "CourseDefined": 2,
            "StudentSubscribed": 6,
            "CourseRenamed": 1,
        }

    def test_field_names_with_odd_characters_are_counted_literally(self, store: EventStore) -> None:
        store.append(Event("A", {'we"ird.key': 1, "$x": 2}))
        assert store.count("A", having_field='we"ird.key') == 1
        assert store.count("A", having_field="$x") == 1
        assert store.count("A", having_field="we") == 0

    # -- idempotency records -------------------------------------------------------------------

    def test_a_record_is_written_with_the_events_it_describes(self, store: EventStore) -> None:
        record = IdempotencyRecord("key-1", "fp", {"outcome": "ok", "event_ids": ["evt_a"]})
        assert store.recall("key-1") is None
        store.append(Event("A", id="evt_a"), record=record)
        assert store.recall("key-1") == record
        with pytest.raises(DuplicateIdempotencyKey) as duplicate:
            store.append(Event("B"), record=IdempotencyRecord("key-1", "other", {}))
        assert duplicate.value.existing == record
        assert positions(store) == [1]

    def test_a_record_is_not_written_when_the_condition_fails(self, store: EventStore) -> None:
        store.append(Event("A"))
        record = IdempotencyRecord("key-2", "fp", {"outcome": "ok"})
        with pytest.raises(IntegrityError):
            store.append(Event("B"), AppendCondition(Query(), after=0), record=record)
        assert store.recall("key-2") is None
        assert store.append(Event("B"), AppendCondition(Query(), after=1), record=record) == 2
        assert store.recall("key-2") == record

    def test_remember_keeps_the_first_record_of_a_key(self, make_store: StoreFactory) -> None:
        store, other = make_store(tenant="records-a"), make_store(tenant="records-b")
        first = IdempotencyRecord("k", "fp-1", {"outcome": "rejected", "code": "x"})
        assert store.remember(first) == first
        assert store.remember(IdempotencyRecord("k", "fp-2", {})) == first
        assert other.recall("k") is None  # records are per tenant
        with pytest.raises(InvalidQueryError, match="idempotency key"):
            IdempotencyRecord("", "fp", {})

    # -- tenancy -------------------------------------------------------------------------------

    def test_tenants_never_see_each_other(self, make_store: StoreFactory) -> None:
        a, b = make_store(tenant="tenant-a"), make_store(tenant="tenant-b")
        a.append([Event("A", {"t": "a"}, ["k:1"], id="evt_shared"), Event("A", tags=["k:1"])])
        first = b.append(Event("B", tags=["k:1"], id="evt_shared"))
        assert first == 1 if self.gapless_positions else first > 2
        assert positions(b) == [first]
        assert positions(b, query(item(tags=("k:1",)))) == [first]
        assert positions(a) == [1, 2]
        assert b.count("A") == 0
        assert b.type_counts() == {"B": 1}
        shared = b.get("evt_shared")
        assert shared is not None
        assert shared.type == "B"
        assert a.get("evt_shared") == a.read().events[0]
        second = b.append(Event("B"), AppendCondition(query(item(types=("A",)))))
        assert second == first + 1
        assert a.head() == 2
        assert b.head() == second
        assert make_store(tenant="tenant-a").head() == 2

    # -- subscriptions -------------------------------------------------------------------------

    def test_subscription_catches_up_then_follows_live(self, sample: EventStore) -> None:
        q = query(item(tags=("course:c1",)))
        with sample.subscribe(q) as sub:
            assert [sub.next(timeout=5).position for _ in range(4)] == [1, 3, 4, 6]
            sample.append([Event("Other"), Event("CourseRenamed", tags=["course:c1"])])
            assert sub.next(timeout=5).position == 8
            with pytest.raises(SubscriptionTimeout):
                sub.next(timeout=0.05)

    def test_subscription_after_is_exclusive(self, sample: EventStore) -> None:
        with sample.subscribe(after=4) as sub:
            assert [sub.next(timeout=5).position for _ in range(2)] == [5, 6]

    def test_closing_a_subscription_ends_a_blocked_iteration(self, store: EventStore) -> None:
        sub = store.subscribe()
        seen: list[int] = []
        consumer = threading.Thread(target=lambda: seen.extend(e.position for e in sub))
        consumer.start()
        store.append(Event("A"))
        while not seen:
            consumer.join(0.01)
        sub.close()
        consumer.join(10)
        assert not consumer.is_alive()
        assert seen == [1]

    def test_subscription_sees_every_event_once_in_order_under_concurrent_writers(
        self, store: EventStore
    ) -> None:
        writers, batches = 4, 25
        q = query(item(types=("Tick",)))
        with store.subscribe(q) as sub:

            def write(w: int) -> None:
                for b in range(batches):
                    store.append([Event("Tick", {"w": w, "b": b}), Event("Noise")])

            threads = [threading.Thread(target=write, args=(w,)) for w in range(writers)]
            for thread in threads:
                thread.start()
            received = [sub.next(timeout=30) for _ in range(writers * batches)]
            for thread in threads:
                thread.join()
            with pytest.raises(SubscriptionTimeout):
                sub.next(timeout=0.1)
        got = [e.position for e in received]
        assert got == sorted(set(got))
        assert got == positions(store, q)
        assert {(e.data["w"], e.data["b"]) for e in received} == {
            (w, b) for w in range(writers) for b in range(batches)
        }

    def test_async_subscription(self, sample: EventStore) -> None:
        async def consume() -> list[int]:
            seen = []
            async with sample.subscribe(query(item(types=("CourseDefined", "Late")))) as sub:
                async for event in sub:
                    seen.append(event.position)
                    if len(seen) == 2:
                        await asyncio.to_thread(sample.append, Event("Late"))
                    if len(seen) == 3:
                        break
                with pytest.raises(SubscriptionTimeout):
                    await sub.anext(timeout=0.05)
            return seen

        assert asyncio.run(consume()) == [1, 2, 7]

    # -- every read and condition agrees with the definition ------------------------------------

    @settings(
        max_examples=60,
        deadline=None,
        # Each backend's subclass runs this same method (the executors differ on purpose), and
        # every example uses a fresh tenant, so the function-scoped store factory is safe.
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.differing_executors,
        ],
    )
    @given(data=st.data())
    def test_reads_and_conditions_agree_with_the_dcb_definition(
        self, make_store: StoreFactory, data: st.DataObject
    ) -> None:
        store = make_store(tenant=f"prop-{uuid.uuid4().hex}")
        history: dict[int, Event] = {}  # position -> event, as the appends placed them
        for batch in data.draw(st.lists(st.lists(_events, min_size=1, max_size=6), max_size=5)):
            last = store.append(batch)
            history.update(zip(range(last - len(batch) + 1, last + 1), batch, strict=True))
        if self.gapless_positions:
            assert list(history) == list(range(1, len(history) + 1))
        top = max(history, default=0)
        # Draws pick the n-th position, so that they do not depend on where the events landed.
        at = [0, *history, top + 1, top + 2]
        q = data.draw(_queries, label="query")
        start = data.draw(st.none() | st.integers(0, len(history) + 2).map(at.__getitem__))
        backwards = data.draw(st.booleans(), label="backwards")
        limit = data.draw(st.none() | st.integers(0, 8), label="limit")

        result = store.read(q, start=start, backwards=backwards, limit=limit)
        expected = _expected_positions(history, q, start, backwards, limit)
        assert [e.position for e in result] == expected
        assert [e.event.id for e in result] == [history[p].id for p in expected]
        if limit is not None:
            assert result.head == (expected[-1] if expected else None)
        elif self.gapless_positions:
            assert result.head == (top or None)
        else:  # the head of the shared sequence: at or past the tenant's last event
            assert (result.head or 0) >= top

        after = data.draw(st.none() | st.integers(0, len(history)).map(at.__getitem__))
        conflicting = [
            p for p in _expected_positions(history, q, None, False, None) if p > (after or 0)
        ]
        if conflicting:
            with pytest.raises(IntegrityError):
                store.append(Event("Z"), AppendCondition(q, after=after))
            assert store.head() == (top or None)
        else:
            position = store.append(Event("Z"), AppendCondition(q, after=after))
            assert position == top + 1 if self.gapless_positions else position > top

    # -- concurrency ---------------------------------------------------------------------------

    def test_racing_conditional_appends_have_exactly_one_winner(self, store: EventStore) -> None:
        """Threads decide on the same facts and race; each round has exactly one winner."""
        threads_count, rounds = 8, 15
        q = query(item(types=("Claimed",), tags=("seat:1",)))
        for round_ in range(rounds):
            head = store.read(q).head
            barrier = threading.Barrier(threads_count)
            outcomes: list[str] = []

            def contend(
                n: int,
                head: int | None = head,
                barrier: threading.Barrier = barrier,
                outcomes: list[str] = outcomes,
            ) -> None:
                barrier.wait()
                try:
                    store.append(
                        Event("Claimed", {"by": n}, ["seat:1"]), AppendCondition(q, after=head)
                    )
                    outcomes.append("won")
                except IntegrityError:
                    outcomes.append("lost")

            threads = [threading.Thread(target=contend, args=(n,)) for n in range(threads_count)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            assert sorted(outcomes) == ["lost"] * (threads_count - 1) + ["won"], round_
        assert positions(store) == list(range(1, rounds + 1))

    def test_racing_appends_with_disjoint_conditions_all_win(self, store: EventStore) -> None:
        """Writers of separate lanes race: every append wins, and the position each writer is
        told is where its own two events are, whatever the order the store chose."""
        writers, rounds = 16, 3
        for round_ in range(rounds):
            head = store.head()

            def write(n: int, round_: int = round_, head: int | None = head) -> int:
                lane = f"lane:{n}"
                events = [Event("Moved", {"n": n, "r": round_, "i": i}, [lane]) for i in range(2)]
                return store.append(events, AppendCondition(query(item(tags=(lane,))), head))

            heads = run_together(writers, write)
            assert len(set(heads)) == writers, round_
            for n, position in enumerate(heads):
                own = store.read(start=position - 1, limit=2).events
                assert [(e.data["n"], e.data["r"], e.data["i"]) for e in own] == [
                    (n, round_, 0),
                    (n, round_, 1),
                ]
                assert own[-1].position == position
        if self.gapless_positions:
            assert positions(store) == list(range(1, 2 * writers * rounds + 1))

    def test_a_failing_condition_among_racing_appends_fails_alone(self, store: EventStore) -> None:
        """Half of the writers' conditions fail whatever the order: only those appends fail,
        and nothing of them is written."""
        store.append(Event("Taken", tags=["seat:1"]))
        taken = query(item(types=("Taken",)))
        writers = 16

        def write(n: int) -> str:
            lane = f"lane:{n}"
            condition = (
                AppendCondition(taken, after=0)
                if n % 2
                else AppendCondition(query(item(tags=(lane,))), after=None)
            )
            try:
                store.append(
                    [Event("Moved", {"n": n}, [lane]), Event("Moved", {"n": n})], condition
                )
            except IntegrityError:
                return "failed"
            return "won"

        outcomes = run_together(writers, write)
        assert outcomes == ["won", "failed"] * (writers // 2)
        written = sorted(e.data["n"] for e in store.read(query(item(types=("Moved",)))))
        assert written == sorted([n for n in range(writers) if n % 2 == 0] * 2)

    def test_racing_appends_with_one_idempotency_key_write_one_record(
        self, store: EventStore
    ) -> None:
        """Writers race with the same key: one append and its record are written; every other
        writer is told of that record, and none of its events is written."""
        writers = 12

        def write(n: int) -> IdempotencyRecord | None:
            record = IdempotencyRecord("race-key", f"fp-{n}", {"n": n})
            try:
                store.append([Event("Paid", {"n": n}), Event("Paid", {"n": n})], record=record)
            except DuplicateIdempotencyKey as duplicate:
                return duplicate.existing
            return None

        outcomes = run_together(writers, write)
        winners = [n for n, existing in enumerate(outcomes) if existing is None]
        assert len(winners) == 1
        winner = IdempotencyRecord("race-key", f"fp-{winners[0]}", {"n": winners[0]})
        assert store.recall("race-key") == winner
        assert all(existing == winner for existing in outcomes if existing is not None)
        assert [e.data["n"] for e in store.read()] == [winners[0]] * 2

    def test_racing_appends_with_a_shared_event_id_write_it_once(self, store: EventStore) -> None:
        """Writers race to append the same event id, each with an event of its own: one
        append is written whole, the others not at all."""
        writers = 12

        def write(n: int) -> bool:
            events = [Event("Own", {"n": n}), Event("Shared", {"n": n}, id="evt_shared")]
            try:
                store.append(events)
            except DuplicateEventIdError:
                return False
            return True

        outcomes = run_together(writers, write)
        assert outcomes.count(True) == 1
        winner = outcomes.index(True)
        assert [(e.type, e.data["n"]) for e in store.read()] == [
            ("Own", winner),
            ("Shared", winner),
        ]
