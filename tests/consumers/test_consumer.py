"""A durable consumer on real stores: in order, once, across stops, between two owners, with
retries and dead letters; and PostgreSQL's LISTEN/NOTIFY waking it for another engine's appends."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy

from esruntime.backends.memory import InMemoryConsumerStore, InMemoryEventStore
from esruntime.backends.sql import SqlEventStore, create_store_engine
from esruntime.backends.sql.consumers import SqlConsumerStore
from esruntime.backends.sql.notifications import PostgresListener
from esruntime.consumers import Consumer, ConsumerStore, Halt, RetryPolicy
from esruntime.events import Event, Query, QueryItem, SequencedEvent
from esruntime.protocols import EventStore
from esruntime.triggers import EventTriggerOptions
from tests.triggers.helpers import wait_for

QUICK = RetryPolicy(retries=2, first_delay=0.01)


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def stores(
    request: pytest.FixtureRequest, tmp_path: Any
) -> Iterator[tuple[EventStore, ConsumerStore]]:
    if request.param == "memory":
        yield InMemoryEventStore("acme"), InMemoryConsumerStore()
        return
    if request.param == "sqlite":
        engine = create_store_engine(f"sqlite:///{tmp_path}/consumers.db")
    else:
        engine = request.getfixturevalue("postgres_engine")
    yield SqlEventStore(engine, "acme"), SqlConsumerStore(engine)
    if request.param == "sqlite":
        engine.dispose()


class Recorder:
    """A handler that keeps what it was given, and fails for the values it is told to."""

    def __init__(self, failing: set[int] | None = None) -> None:
        self.seen: list[int] = []
        self.failing = failing or set()
        self.lock = threading.Lock()

    def __call__(self, event: SequencedEvent) -> None:
        with self.lock:
            self.seen.append(event.data["n"])
        if event.data["n"] in self.failing:
            raise RuntimeError(f"cannot take {event.data['n']}")


def append(store: EventStore, numbers: range, event_type: str = "tick") -> None:
    store.append([Event(event_type, {"n": n}) for n in numbers])


def consumer(
    stores: tuple[EventStore, ConsumerStore], handler: Any, owner: str = "p1", **options: Any
) -> Consumer:
    events, checkpoints = stores
    options.setdefault("retry", QUICK)
    options.setdefault("start", 0)
    return Consumer("tally", events, checkpoints, handler, owner=owner, **options)


def test_events_are_handled_in_order_once_and_the_checkpoint_follows(
    stores: tuple[EventStore, ConsumerStore],
) -> None:
    events, checkpoints = stores
    events.append(Event("other", {"n": -1}))
    append(events, range(5))
    recorder = Recorder()
    worker = consumer(stores, recorder, query=Query.of(QueryItem(types=("tick",))))
    worker.start()
    try:
        wait_for(lambda: len(recorder.seen) == 5)
        append(events, range(5, 8))
        wait_for(lambda: checkpoints.checkpoint("acme", "tally") == 9)
    finally:
        worker.stop()
    assert recorder.seen == list(range(8))


def test_a_stopped_consumer_resumes_after_the_last_recorded_event(
    stores: tuple[EventStore, ConsumerStore],
) -> None:
    events, _ = stores
    append(events, range(50))
    first = Recorder()
    worker = consumer(stores, first)
    worker.start()
    wait_for(lambda: len(first.seen) >= 10)
    worker.stop()
    second = Recorder()
    worker = consumer(stores, second, owner="p2")
    worker.start()
    try:
        wait_for(lambda: len(first.seen) + len(second.seen) >= 50)
    finally:
        worker.stop()
    assert first.seen + second.seen == list(range(50))


def test_a_new_consumer_starts_at_the_head_by_default(
    stores: tuple[EventStore, ConsumerStore],
) -> None:
    events, _ = stores
    append(events, range(3))
    recorder = Recorder()
    worker = consumer(stores, recorder, start=None)
    worker.start()
    try:
        wait_for(lambda: worker.owns_lease)
        append(events, range(3, 5))
        wait_for(lambda: len(recorder.seen) == 2)
    finally:
        worker.stop()
    assert recorder.seen == [3, 4]


def test_of_two_consumers_of_one_name_one_works_and_the_other_takes_over_when_it_stops(
    stores: tuple[EventStore, ConsumerStore],
) -> None:
    events, _ = stores
    append(events, range(20))
    one, two = Recorder(), Recorder()
    first = consumer(stores, one, owner="p1", lease_ttl=30.0)
    second = consumer(stores, two, owner="p2", lease_ttl=30.0)
    first.start()
    wait_for(lambda: len(one.seen) == 20)
    second.start()
    append(events, range(20, 30))
    wait_for(lambda: len(one.seen) == 30)
    assert two.seen == []
    assert not second.owns_lease
    first.stop()  # gives the lease up: the other takes it at its next try
    append(events, range(30, 35))
    try:
        wait_for(lambda: len(two.seen) == 5)
    finally:
        second.stop()
    assert one.seen + two.seen == list(range(35))


def test_a_failing_event_is_retried_then_dead_lettered_and_the_rest_go_on(
    stores: tuple[EventStore, ConsumerStore],
) -> None:
    events, checkpoints = stores
    append(events, range(4))
    recorder = Recorder(failing={1})
    worker = consumer(stores, recorder)
    worker.start()
    try:
        wait_for(lambda: checkpoints.checkpoint("acme", "tally") == 4)
    finally:
        worker.stop()
    assert recorder.seen == [0, 1, 1, 1, 2, 3]
    (letter,), total = checkpoints.dead_letters("acme")
    assert (total, letter.position, letter.attempts, letter.consumer) == (1, 2, 3, "tally")
    assert letter.error == "RuntimeError: cannot take 1"
    assert letter.script_id is None


def test_a_handler_that_halts_leaves_its_event_for_the_next_run(
    stores: tuple[EventStore, ConsumerStore],
) -> None:
    events, checkpoints = stores
    append(events, range(3))
    halted = threading.Event()

    def handler(event: SequencedEvent) -> None:
        if event.data["n"] == 1 and not halted.is_set():
            halted.set()
            raise Halt

    worker = consumer(stores, handler)
    worker.start()
    wait_for(lambda: halted.is_set() and not worker.alive)
    assert checkpoints.checkpoint("acme", "tally") == 1
    recorder = Recorder()
    worker = consumer(stores, recorder)
    worker.start()
    try:
        wait_for(lambda: len(recorder.seen) == 2)
    finally:
        worker.stop()
    assert recorder.seen == [1, 2]


def test_a_consumer_whose_place_is_deleted_during_a_run_stops_and_writes_nothing_back(
    stores: tuple[EventStore, ConsumerStore],
) -> None:
    # As when its script is deleted while this process (or another) still runs its consumer:
    # the run ends after the delete, its dead letter and checkpoint must not come back.
    events, checkpoints = stores
    append(events, range(2))
    running, deleted = threading.Event(), threading.Event()

    def handler(event: SequencedEvent) -> None:
        running.set()
        assert deleted.wait(60)
        raise RuntimeError("fails for good")

    worker = consumer(stores, handler, retry=RetryPolicy(retries=0))
    worker.start()
    try:
        assert running.wait(60)
        checkpoints.delete("acme", "tally")
        deleted.set()
        wait_for(lambda: not worker.alive or checkpoints.checkpoint("acme", "tally") is not None)
        assert checkpoints.checkpoint("acme", "tally") is None
        wait_for(lambda: not worker.alive)
    finally:
        deleted.set()
        worker.stop()
    assert checkpoints.checkpoint("acme", "tally") is None
    assert checkpoints.dead_letters("acme") == ([], 0)


def test_an_idle_consumer_whose_place_is_deleted_stops_at_its_next_renewal(
    stores: tuple[EventStore, ConsumerStore],
) -> None:
    events, checkpoints = stores
    recorder = Recorder()
    worker = consumer(stores, recorder, lease_ttl=0.3)  # renewed every 0.1 s
    worker.start()
    try:
        wait_for(lambda: worker.owns_lease)
        checkpoints.delete("acme", "tally")
        wait_for(lambda: not worker.alive)
    finally:
        worker.stop()
    append(events, range(1))
    assert checkpoints.checkpoint("acme", "tally") is None
    assert recorder.seen == []


@pytest.mark.postgres
def test_postgres_notifies_a_waiting_consumer_of_another_engines_appends(
    postgres_url: str, postgres_engine: sqlalchemy.Engine
) -> None:
    # Polling every 60 s: only a notification can bring the event within the wait below.
    events = SqlEventStore(postgres_engine, "acme", poll_interval=60.0)
    listener = PostgresListener(postgres_engine, fallback_poll=60.0)
    listener.start()
    recorder = Recorder()
    worker = Consumer(
        "tally",
        events,
        SqlConsumerStore(postgres_engine),
        recorder,
        owner="p1",
        start=0,
        idle_timeout=60.0,
    )
    other = create_store_engine(postgres_url)
    try:
        wait_for(lambda: listener.listening.is_set())
        worker.start()
        wait_for(lambda: worker.owns_lease)
        append(SqlEventStore(other, "acme", create_tables=False), range(1))
        wait_for(lambda: recorder.seen == [0], limit=20.0)
    finally:
        worker.stop()
        listener.stop()
        other.dispose()


def test_the_default_retry_policy_tries_three_more_times_after_2_4_and_8_seconds() -> None:
    policy = RetryPolicy()
    assert policy.retries == 3
    assert [policy.delay(retry) for retry in range(1, policy.retries + 1)] == [2.0, 4.0, 8.0]
    # Event triggers and consumers use it unless told otherwise.
    assert EventTriggerOptions().retry == policy
    worker = Consumer("c", InMemoryEventStore(), InMemoryConsumerStore(), print, owner="me")
    assert worker.retry == policy
