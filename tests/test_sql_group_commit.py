"""Group commit in the SQL event store: appends queued behind a commit are written together.

The contract suite (tests/test_store_contract.py) races writers through the public API; these
tests form groups deterministically: a group written directly by the dialect, and writers held
in the queue behind a leader that waits until they are all there.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy

from esruntime import Event
from esruntime.backends.sql import SqlBackend, SqlEventStore, create_store_engine
from esruntime.backends.sql.groups import GroupCommit, PendingAppend
from esruntime.encoding import EncodedEvent, encode_events
from esruntime.errors import (
    DuplicateEventIdError,
    IntegrityError,
    StoreUnavailableError,
)
from esruntime.events import AppendCondition, Query, QueryItem
from esruntime.idempotency import DuplicateIdempotencyKey, IdempotencyRecord

WAIT = 60.0  # seconds: only a deadlock gets near it


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, sqlite_url: str) -> Iterator[sqlalchemy.Engine]:
    if request.param == "sqlite":
        engine = create_store_engine(sqlite_url)
        yield engine
        engine.dispose()
    else:
        yield request.getfixturevalue("postgres_engine")


@pytest.fixture
def store(engine: sqlalchemy.Engine) -> SqlEventStore:
    return SqlEventStore(engine)


def on_lane(lane: str, after: int | None) -> AppendCondition:
    return AppendCondition(Query([QueryItem(tags=(f"lane:{lane}",))]), after)


def long_condition(type_: str, after: int | None) -> AppendCondition:
    """A condition of more items than one statement takes: checked before the write."""
    items = [QueryItem(types=(f"Other{n}",)) for n in range(150)] + [QueryItem(types=(type_,))]
    return AppendCondition(Query(items), after)


def pending(store: SqlEventStore, events: list[Event], **options: Any) -> PendingAppend:
    return PendingAppend(
        store, store_encoded(store, events), options.get("condition"), options.get("record")
    )


def store_encoded(store: SqlEventStore, events: list[Event]) -> list[EncodedEvent]:
    return encode_events(events, store.max_event_bytes)


def outcome(p: PendingAppend) -> int | type[BaseException]:
    return type(p.error) if p.error is not None else p.head


def test_each_append_of_a_group_has_its_own_outcome(store: SqlEventStore) -> None:
    """Conditions see the appends before them in the group; a failed condition, a reused
    idempotency key or event id fails its own append only, writing none of it."""
    store.append(Event("Start", id="evt_start"))
    record = IdempotencyRecord("k1", "fp", {"outcome": "ok"})
    group = [
        pending(store, [Event("A", {"i": 1}, ["lane:x"], id="evt_a")], condition=on_lane("x", 1)),
        pending(store, [Event("B", {"i": 2}, ["lane:x"])], condition=on_lane("x", 1)),
        pending(store, [Event("C", {"i": 3}, ["lane:y"])], condition=on_lane("y", 1)),
        pending(store, [Event("D", {"i": 4}), Event("D", {"i": 5})], record=record),
        pending(store, [Event("E", {"i": 6})], record=IdempotencyRecord("k1", "fp2", {})),
        pending(store, [Event("F", {"i": 7}), Event("F", {"i": 8}, id="evt_a")]),
        pending(store, [Event("G", {"i": 9})], condition=long_condition("Start", 1)),
        pending(store, [Event("H", {"i": 10})], condition=long_condition("A", 1)),
        pending(store, [Event("I", {"i": 11})], condition=AppendCondition(Query(), 5)),
        pending(store, [Event("J", {"i": 12})], condition=AppendCondition(Query(), 6)),
    ]
    store._paths.append_group(group)
    assert [outcome(p) for p in group] == [
        2,
        IntegrityError,
        3,
        5,
        DuplicateIdempotencyKey,
        DuplicateEventIdError,
        6,
        IntegrityError,
        IntegrityError,
        7,
    ]
    error = group[4].error
    assert isinstance(error, DuplicateIdempotencyKey)
    assert error.existing == record
    assert [(e.position, e.type) for e in store.read()] == [
        (1, "Start"),
        (2, "A"),
        (3, "C"),
        (4, "D"),
        (5, "D"),
        (6, "G"),
        (7, "J"),
    ]
    assert store.recall("k1") == record


def test_a_group_of_conditional_appends_is_written_in_one_transaction(
    store: SqlEventStore,
) -> None:
    """No append of the group fails on its own: PostgreSQL writes them in one round trip."""
    group = [
        pending(store, [Event("A", tags=[f"lane:{n}"])], condition=on_lane(str(n), None))
        for n in range(10)
    ]
    group.append(pending(store, [Event("A", tags=["lane:3"])], condition=on_lane("3", None)))
    store._paths.append_group(group)
    assert [outcome(p) for p in group] == [*range(1, 11), IntegrityError]
    assert store.head() == 10


def hold_the_lead(group_commit: GroupCommit) -> tuple[threading.Event, threading.Event]:
    """Make a leader that appends nothing until released: (entered, release)."""
    entered, release = threading.Event(), threading.Event()

    def leader() -> None:
        def wait_alone(*_: Any) -> int:
            entered.set()
            assert release.wait(WAIT)
            return 0

        group_commit.append(None, [], None, None, wait_alone, lambda _: None)

    threading.Thread(target=leader, daemon=True).start()
    assert entered.wait(WAIT)
    return entered, release


def queue_behind(
    group_commit: GroupCommit, writers: list[Callable[[], Any]]
) -> list[threading.Thread]:
    """Start the writers and return once every one of them is queued."""
    threads = [threading.Thread(target=writer, daemon=True) for writer in writers]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + WAIT
    while len(group_commit._queue) < len(writers):  # a condition polled, not a timed wait
        assert time.monotonic() < deadline, "the writers never queued"
        time.sleep(0.001)
    return threads


def test_writers_queued_behind_a_commit_are_written_in_one_group(store: SqlEventStore) -> None:
    group_commit = GroupCommit()
    groups: list[int] = []

    def together(group: list[PendingAppend]) -> None:
        groups.append(len(group))
        store._paths.append_group(group)

    _, release = hold_the_lead(group_commit)
    results: dict[int, int | str] = {}

    def writer(n: int) -> Callable[[], None]:
        def write() -> None:
            condition = on_lane("shared" if n % 3 == 0 else str(n), None)
            events = [Event("W", {"n": n}, ["lane:shared" if n % 3 == 0 else f"lane:{n}"])]
            encoded = store_encoded(store, events)
            try:
                results[n] = group_commit.append(
                    store, encoded, condition, None, store._paths.append, together
                )
            except IntegrityError:
                results[n] = "failed"

        return write

    threads = queue_behind(group_commit, [writer(n) for n in range(12)])
    release.set()
    for thread in threads:
        thread.join(WAIT)
    assert groups == [12]
    # Exactly one of the writers of the shared lane wins; every other writer wins.
    failed = sorted(n for n, r in results.items() if r == "failed")
    assert len(failed) == 3
    assert set(failed) < {0, 3, 6, 9}
    heads = sorted(r for r in results.values() if r != "failed")
    assert heads == list(range(1, 10))
    by_writer = {e.data["n"]: e.position for e in store.read()}
    assert by_writer == {n: r for n, r in results.items() if r != "failed"}


def test_a_failed_group_transaction_writes_nothing_and_fails_every_writer(
    sqlite_url: str,
) -> None:
    """The database is locked by another connection for longer than the busy timeout: every
    writer of the group gets its own error, and none of their events is written."""
    engine = create_store_engine(sqlite_url, sqlite_busy_timeout=0.2)
    store = SqlEventStore(engine)
    group_commit = GroupCommit()
    _, release = hold_the_lead(group_commit)
    errors: dict[int, BaseException] = {}

    def writer(n: int) -> Callable[[], None]:
        def write() -> None:
            encoded = store_encoded(store, [Event("W", {"n": n})])
            paths = store._paths
            try:
                group_commit.append(store, encoded, None, None, paths.append, paths.append_group)
            except Exception as exc:
                errors[n] = exc

        return write

    blocker = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"), isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    threads = queue_behind(group_commit, [writer(n) for n in range(5)])
    release.set()
    for thread in threads:
        thread.join(WAIT)
    blocker.execute("ROLLBACK")
    blocker.close()
    assert sorted(errors) == list(range(5))
    assert all(isinstance(e, StoreUnavailableError) for e in errors.values())
    assert len({id(e) for e in errors.values()}) == 5  # each writer raises its own object
    assert store.read().events == []
    assert store.append(Event("After")) == 1  # the store works on once the lock is free
    engine.dispose()


def test_group_commit_is_on_by_default_and_can_be_turned_off(engine: sqlalchemy.Engine) -> None:
    assert SqlEventStore(engine).group_commit
    store = SqlEventStore(engine, "solo", group_commit=False)
    assert not store.group_commit
    assert not store.for_tenant("other").group_commit
    assert store.append(Event("A")) == 1
    assert store.append(Event("B"), on_lane("x", 1)) == 2
    backend = SqlBackend(engine, group_commit=False)
    assert not backend.event_store("t").group_commit
    assert SqlBackend(engine).event_store("t").group_commit


def test_refused_appends_leave_the_connection_usable(engine: sqlalchemy.Engine) -> None:
    """Appends refused inside a pipeline (PostgreSQL) leave no statement psycopg believes
    prepared but the server never saw: one pooled connection serves on after a dozen."""
    url = engine.url.render_as_string(hide_password=False)
    single = create_store_engine(url, pool_size=1, max_overflow=0)
    store = SqlEventStore(single)
    store.append(Event("S", id="evt_taken"))
    for _ in range(12):
        with pytest.raises(DuplicateEventIdError):
            store.append([Event("F"), Event("F", id="evt_taken")])
    assert store.append(Event("G"), long_condition("S", 1)) == 2
    assert store.append(Event("H"), on_lane("x", None)) == 3
    single.dispose()
