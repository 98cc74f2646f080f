"""Concurrency across OS processes, on a SQLite file and on PostgreSQL."""

from __future__ import annotations

import multiprocessing
import queue
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import closing
from multiprocessing.process import BaseProcess
from typing import Any

import pytest

from esruntime import Query, QueryItem, SequencedEvent, SqlEventStore, SubscriptionTimeout
from tests import store_workers
from tests.store_workers import WAIT_SECONDS

PROCESSES = 4
ctx = multiprocessing.get_context("spawn")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, sqlite_url: str) -> str:
    """An empty database (SQLite file or PostgreSQL) that other processes can open."""
    if request.param == "sqlite":
        return sqlite_url
    url: str = request.getfixturevalue("clean_postgres_url")
    return url


@pytest.fixture
def store(db_url: str) -> Iterator[SqlEventStore]:
    """The default tenant's store; opening it creates the tables before any child starts."""
    store = SqlEventStore(db_url)
    yield store
    store.close()


class Children:
    """Processes running one worker function, and the queue they report on."""

    def __init__(self) -> None:
        self.outcomes: Any = ctx.Queue()
        self.processes: list[BaseProcess] = []
        self.pending: list[tuple[Any, ...]] = []

    def start(self, target: Callable[..., None], *args: Any) -> None:
        process = ctx.Process(target=target, args=(*args, self.outcomes), daemon=True)
        process.start()
        self.processes.append(process)

    def _take(self, block: bool) -> tuple[Any, ...]:
        if not block:
            outcome: tuple[Any, ...] = self.outcomes.get_nowait()
        else:
            try:
                outcome = self.outcomes.get(timeout=WAIT_SECONDS)
            except queue.Empty:
                alive = [process.name for process in self.processes if process.is_alive()]
                pytest.fail(f"no word from the workers in {WAIT_SECONDS} s; alive: {alive}")
        if outcome[0] == "error":
            self._fail([outcome])
        return outcome

    def _fail(self, errors: list[tuple[Any, ...]]) -> None:
        """Fail with every child's error: the first one reported may be a consequence."""
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            try:  # drain while waiting: a child does not exit before its queue is flushed
                outcome = self.outcomes.get(timeout=0.1)
            except queue.Empty:
                if not any(process.is_alive() for process in self.processes):
                    break
                continue
            if outcome[0] == "error":
                errors.append(outcome)
        pytest.fail("\n".join(f"worker {error[1]} failed:\n{error[2]}" for error in errors))

    def check(self) -> None:
        """Fail at once if a child reported an error; keep other outcomes for :meth:`collect`."""
        while True:
            try:
                self.pending.append(self._take(block=False))
            except queue.Empty:
                return

    def collect(self, count: int) -> list[tuple[Any, ...]]:
        """``count`` outcomes; fail at once with a child's traceback when one reports an error."""
        outcomes, self.pending = self.pending, []
        outcomes.extend(self._take(block=True) for _ in range(count - len(outcomes)))
        return outcomes

    def join(self) -> None:
        for process in self.processes:
            process.join(WAIT_SECONDS)
            assert process.exitcode == 0, f"{process.name} exited with {process.exitcode}"

    def kill(self) -> None:
        for process in self.processes:
            if process.is_alive():
                process.kill()
                process.join()


@pytest.fixture
def children() -> Iterator[Children]:
    children = Children()
    yield children
    children.kill()


def positions(store: SqlEventStore, query: Query | None = None) -> list[int]:
    return [event.position for event in store.read(query)]


def test_racing_conditional_appends_have_exactly_one_winner_per_round(
    db_url: str, store: SqlEventStore, children: Children
) -> None:
    rounds = 20
    barrier = ctx.Barrier(PROCESSES)
    for worker in range(PROCESSES):
        children.start(store_workers.claim_seat, db_url, worker, rounds, barrier)
    outcomes = children.collect(PROCESSES * rounds)
    children.join()

    by_round: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    for outcome in outcomes:
        by_round[outcome[2]].append(outcome)
    assert sorted(by_round) == list(range(rounds))
    for round_, results in by_round.items():
        assert len(results) == PROCESSES
        winners = [result for result in results if result[0] == "won"]
        assert len(winners) == 1, f"round {round_}: {results}"
        # Every worker saw the previous rounds' claims (and only those) before deciding, and
        # the winner's claim went right after them.
        assert {result[3] for result in results} == {round_ or None}
        assert winners[0][4] == round_ + 1

    claims = store.read(store_workers.SEAT).events
    assert positions(store) == list(range(1, rounds + 1))
    assert len(claims) == rounds
    wins = sorted((o[2], o[1]) for o in outcomes if o[0] == "won")
    assert [(e.data["round"], e.data["worker"]) for e in claims] == wins


def test_concurrent_batches_get_gapless_positions_and_are_never_interleaved(
    db_url: str, store: SqlEventStore, children: Children
) -> None:
    batches, size = 50, 5
    start = ctx.Barrier(PROCESSES)
    for worker in range(PROCESSES):
        children.start(store_workers.append_batches, db_url, worker, batches, size, start)
    outcomes = children.collect(PROCESSES)
    children.join()

    total = PROCESSES * batches * size
    events = store.read().events
    assert [event.position for event in events] == list(range(1, total + 1))
    keys = Counter((e.data["worker"], e.data["batch"], e.data["index"]) for e in events)
    expected = {(w, b, i) for w in range(PROCESSES) for b in range(batches) for i in range(size)}
    assert set(keys) == expected
    assert set(keys.values()) == {1}
    # Each append returned the head after its batch: the batch sits right below it, whole.
    by_position = {event.position: event for event in events}
    for _, worker, heads in outcomes:
        assert len(heads) == batches
        assert heads == sorted(heads)
        for batch, head in enumerate(heads):
            stored = [by_position[p].data for p in range(head - size + 1, head + 1)]
            assert stored == [
                {"worker": worker, "batch": batch, "index": index} for index in range(size)
            ]


@pytest.mark.postgres
def test_a_subscriber_keeps_up_with_writer_processes(
    clean_postgres_url: str, children: Children
) -> None:
    ticks = 200
    total = PROCESSES * ticks
    with closing(SqlEventStore(clean_postgres_url)) as store:
        query = Query([QueryItem(types=["Tick"])])
        subscription = store.subscribe(query)
        start = ctx.Barrier(PROCESSES)
        for worker in range(PROCESSES):
            children.start(store_workers.write_ticks, clean_postgres_url, worker, ticks, start)

        received: list[SequencedEvent] = []
        while len(received) < total:
            children.check()  # a writer that failed would leave the subscriber waiting
            writers_done = len(children.pending) == PROCESSES
            try:
                received.append(subscription.next(timeout=1))
            except SubscriptionTimeout:
                assert not writers_done, f"the subscriber stalled at {len(received)} of {total}"
        children.collect(PROCESSES)
        children.join()
        with pytest.raises(SubscriptionTimeout):
            subscription.next(timeout=0.5)  # nothing more: every event was delivered once
        subscription.close()

        received_positions = [event.position for event in received]
        assert received_positions == sorted(set(received_positions))
        assert all(event.type == "Tick" for event in received)
        for worker in range(PROCESSES):
            mine = [e.data["tick"] for e in received if e.data["worker"] == worker]
            assert mine == list(range(ticks))
        assert received == store.read(query).events
        noise = store.count("Noise")
        assert noise == PROCESSES * sum(tick % 3 for tick in range(ticks))
        assert positions(store) == list(range(1, total + noise + 1))


def test_tenants_written_concurrently_stay_apart(
    db_url: str, store: SqlEventStore, children: Children
) -> None:
    batches, size = 60, 3
    start = ctx.Barrier(2)
    for tenant in ("a", "b"):
        children.start(store_workers.write_tenant, db_url, tenant, batches, size, start)
    children.collect(2)
    children.join()

    assert store.head() is None  # the default tenant saw nothing
    for tenant in ("a", "b"):
        tenant_store = store.for_tenant(tenant)
        events = tenant_store.read().events
        assert [event.position for event in events] == list(range(1, batches * size + 1))
        assert [(e.data["tenant"], e.data["batch"], e.data["index"]) for e in events] == [
            (tenant, batch, index) for batch in range(batches) for index in range(size)
        ]
        assert tenant_store.type_counts() == {"Written": batches * size}
    other = store.for_tenant("b").read(limit=1).events[0]
    assert store.for_tenant("a").get(other.id) is None


def test_processes_opening_a_fresh_database_at_once_all_succeed(
    db_url: str, children: Children
) -> None:
    start = ctx.Barrier(PROCESSES)
    for worker in range(PROCESSES):
        children.start(store_workers.open_store, db_url, f"t{worker % 2}", start)
    children.collect(PROCESSES)
    children.join()
