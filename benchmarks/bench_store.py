"""Event store benchmark: esruntime's backends beside UmaDB, eventsourcing and a bare-sqlite3 floor.

Run: ``python benchmarks/bench_store.py`` (``--quick`` for a smoke run, ``--sizes 10000`` to skip
the 1M-event store). Needs ``pip install -e '.[bench]'`` and PostgreSQL at 127.0.0.1:5432
(``--postgres-url`` to change). Every figure is the median of ``--runs`` runs (``--reads`` reads)
in this process, and the stores take turns within each run, so that a noisy moment of the
machine falls on all of them alike; ratios compare stores measured in the same run.

Workloads (identical for every store):

- conditional append: one ~100-byte event per append, tagged with one of 100 accounts, on the
  condition that no event of that type and tag follows the account's previous position;
- batch append: 100 such events in one unconditional append;
- tagged read: the 100 events of one tag, read with limit 100, from stores of 10k and 1M events
  (the tag's events are spread evenly; the others have 1,000 other tags).

A section of its own measures group commit (``--section group-commit`` runs only that one):
conditional appends per second by 1 and 16 writer threads on one tenant of SQLite (``FULL``)
and PostgreSQL, each writer on its own account, with group commit and without.
"""

from __future__ import annotations

import argparse
import functools
import json
import shutil
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.peers import Peer, UmaDBServer, available_peers
from esruntime import (
    AppendCondition,
    Event,
    EventStore,
    InMemoryEventStore,
    IntegrityError,
    Query,
    QueryItem,
    SqlEventStore,
    create_store_engine,
)
from esruntime.backends.sql import statements

EVENT_TYPE = "Deposited"
ACCOUNTS = 100


def event_data(tag: str) -> dict[str, Any]:
    return {"account": tag, "amount": 10, "note": "x" * 60}


class EsruntimePeer:
    """An esruntime store behind the peers' interface."""

    integrity_error: type[Exception] = IntegrityError

    def __init__(self, name: str, factory: Callable[[], EventStore]) -> None:
        self.name = name
        self._factory = factory
        self._store = factory()

    def reset(self) -> None:
        self._store.close()
        self._store = self._factory()

    def conditional_append(self, tag: str, after: int | None) -> int:
        query = Query([QueryItem(types=[EVENT_TYPE], tags=[tag])])
        event = Event(EVENT_TYPE, event_data(tag), [tag])
        return self._store.append(event, AppendCondition(query, after=after))

    def batch_append(self, tags: list[str]) -> int:
        return self._store.append([Event(EVENT_TYPE, event_data(tag), [tag]) for tag in tags])

    def read_tagged(self, tag: str, limit: int) -> int:
        return len(self._store.read(Query([QueryItem(tags=[tag])]), limit=limit).events)

    def close(self) -> None:
        self._store.close()


class SqliteFloor:
    """The floor for Python on SQLite: bare ``sqlite3`` running esruntime's own statements.

    The same schema, pragmas and statements as ``SqlEventStore``'s conditional and batch
    appends, with the SQL, ids and JSON prepared ahead: only the driver calls are timed.
    """

    integrity_error: type[Exception] = IntegrityError

    def __init__(self, synchronous: str, directory: Path) -> None:
        self.name = f"bare sqlite3 floor ({synchronous})"
        self._synchronous = synchronous
        self._directory = directory
        self._count = 0
        self._open()

    def _open(self) -> None:
        self._count += 1
        path = self._directory / f"floor-{self._synchronous}-{self._count}.db"
        store = SqlEventStore(f"sqlite:///{path}")  # creates the schema and the tenant row
        store.close()
        self._conn = sqlite3.connect(path, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute(f"PRAGMA synchronous={self._synchronous}")
        self._head_unless = statements.head_unless_sql(((1, 1),))
        self._data = json.dumps(event_data("x"), separators=(",", ":"))
        self._id = 0

    def reset(self) -> None:
        self._conn.close()
        self._open()

    def _next_id(self) -> str:
        self._id += 1
        return f"evt_{self._id}"

    def conditional_append(self, tag: str, after: int | None) -> int:
        conn = self._conn
        conn.execute("BEGIN IMMEDIATE")
        rows = conn.execute(self._head_unless, (1, 1, tag, EVENT_TYPE, after or 0)).fetchall()
        if not rows:
            conn.execute("ROLLBACK")
            raise IntegrityError("condition failed")
        ((head,),) = rows
        head += 1
        conn.execute(
            "INSERT INTO esr_events (tenant_id, position, event_id, type, tags, data, metadata,"
            " recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (1, head, self._next_id(), EVENT_TYPE, tag, self._data, "{}", 0),
        )
        conn.execute(
            "INSERT INTO esr_event_tags (tenant_id, tag, position, type) VALUES (?, ?, ?, ?)",
            (1, tag, head, EVENT_TYPE),
        )
        conn.execute("COMMIT")
        return int(head)

    def batch_append(self, tags: list[str]) -> int:
        conn = self._conn
        conn.execute("BEGIN IMMEDIATE")
        ((head,),) = conn.execute(statements.HEAD, (1,)).fetchall()
        first = head + 1
        conn.executemany(
            "INSERT INTO esr_events (tenant_id, position, event_id, type, tags, data, metadata,"
            " recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (1, first + i, self._next_id(), EVENT_TYPE, tag, self._data, "{}", 0)
                for i, tag in enumerate(tags)
            ],
        )
        conn.executemany(
            "INSERT INTO esr_event_tags (tenant_id, tag, position, type) VALUES (?, ?, ?, ?)",
            [(1, tag, first + i, EVENT_TYPE) for i, tag in enumerate(tags)],
        )
        conn.execute("COMMIT")
        return int(head) + len(tags)

    def read_tagged(self, tag: str, limit: int) -> int:
        raise RuntimeError("the floor measures appends only; main() leaves it out of the reads")

    def close(self) -> None:
        self._conn.close()


def umadb_store() -> Callable[[], EventStore]:
    """esruntime's UmaDB backend on a server of its own, emptied for every store it makes."""
    from esruntime.backends.umadb import UmaDbEventStore

    server = UmaDBServer()

    def make() -> EventStore:
        server.stop()
        server.wipe()
        server.start()
        return UmaDbEventStore(server.url.replace("http://", "umadb://"))

    return make


def conditional_appends(peer: Peer, count: int) -> float:
    """Appends per second: ``count`` conditional appends over 100 accounts."""
    peer.reset()
    tags = [f"account:{i:04d}" for i in range(ACCOUNTS)]
    heads: dict[str, int | None] = dict.fromkeys(tags)
    started = time.perf_counter()
    for i in range(count):
        tag = tags[i % ACCOUNTS]
        heads[tag] = peer.conditional_append(tag, heads[tag])
    return count / (time.perf_counter() - started)


def batch_appends(peer: Peer, batches: int) -> float:
    """Events per second appended in batches of 100."""
    peer.reset()
    tags = [f"account:{i % ACCOUNTS:04d}" for i in range(100)]
    started = time.perf_counter()
    for _ in range(batches):
        peer.batch_append(tags)
    return batches * 100 / (time.perf_counter() - started)


def populate(peer: Peer, size: int) -> None:
    """``size`` events: every (size/100)th has tag account:target, the rest 1,000 others."""
    peer.reset()
    stride = size // 100
    batch: list[str] = []
    for position in range(1, size + 1):
        batch.append("account:target" if position % stride == 0 else f"account:{position % 1000}")
        if len(batch) == 1000:
            peer.batch_append(batch)
            batch = []
    if batch:
        peer.batch_append(batch)


GROUP_WRITERS = 16


def concurrent_appends(store: SqlEventStore, writers: int, appends: int) -> float:
    """Conditional appends per second: ``appends`` in all by ``writers`` threads released at
    once, each appending to its own account on the condition that nothing else did."""
    per_writer = appends // writers
    barrier = threading.Barrier(writers + 1)
    errors: list[BaseException] = []

    def write(writer: int) -> None:
        tag = f"writer:{writer:02d}"
        query = Query([QueryItem(types=[EVENT_TYPE], tags=[tag])])
        head: int | None = None
        barrier.wait()
        try:
            for _ in range(per_writer):
                event = Event(EVENT_TYPE, event_data(tag), [tag])
                head = store.append(event, AppendCondition(query, after=head))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(writers)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise errors[0]
    return per_writer * writers / elapsed


def single_writer_pair(
    make: Callable[[bool], SqlEventStore], appends: int
) -> tuple[list[float], list[float]]:
    """Seconds per conditional append of one writer with group commit and without.

    The two stores take turns append by append (the first alternating), so that the machine's
    noise falls on both alike. Each half of the appends goes to a fresh pair of tenants,
    created in the opposite order: a tenant created later appends at the right edge of the
    tables' B-trees, which is cheaper, and neither configuration should always get it.
    """
    spent: tuple[list[float], list[float]] = ([], [])
    tag = "writer:00"
    query = Query([QueryItem(types=[EVENT_TYPE], tags=[tag])])
    for half in (0, 1):
        first, second = (True, False) if half == 0 else (False, True)
        made = {first: make(first), second: make(second)}
        stores = (made[True], made[False])
        heads: list[int | None] = [None, None]
        for i in range(appends // 2):
            for k in (0, 1) if i % 2 == 0 else (1, 0):
                event = Event(EVENT_TYPE, event_data(tag), [tag])
                started = time.perf_counter()
                heads[k] = stores[k].append(event, AppendCondition(query, after=heads[k]))
                spent[k].append(time.perf_counter() - started)
    return spent


def measure_group_commit(
    workdir: Path, postgres_url: str, runs: int, appends: int, single_appends: int
) -> dict[str, list[float]]:
    """Appends/s of each configuration in each run (and a lone writer's median microseconds
    per append); every run measures all of them in turn, each on a fresh tenant (so that every
    measurement starts from an empty history)."""
    sqlite_engine = create_store_engine(
        f"sqlite:///{workdir}/group-commit-full.db", sqlite_synchronous="FULL"
    )
    pg_engine = create_store_engine(postgres_url)
    with pg_engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE IF EXISTS esr_event_tags, esr_events, esr_tenants")
    engines = {"SQLite FULL": sqlite_engine, "PostgreSQL": pg_engine}
    rates: dict[str, list[float]] = {}
    medians: dict[str, list[float]] = {}
    tenants = iter(range(1_000_000))

    def store(backend: str, group_commit: bool) -> SqlEventStore:
        return SqlEventStore(engines[backend], f"gc-{next(tenants)}", group_commit=group_commit)

    def record(run: int, name: str, rate: float) -> None:
        rates.setdefault(name, []).append(rate)
        print(f"run {run + 1}/{runs} {name}: {rate:,.0f} appends/s", flush=True)

    try:
        for run in range(runs):
            for backend in engines:
                spent = single_writer_pair(functools.partial(store, backend), single_appends)
                for group_commit, seconds in zip((True, False), spent, strict=True):
                    name = group_commit_row(backend, 1, group_commit)
                    medians.setdefault(name, []).append(statistics.median(seconds) * 1e6)
                    record(run, name, len(seconds) / sum(seconds))
                # Alternate which goes first, so that neither always meets the same moment.
                for group_commit in (True, False) if run % 2 == 0 else (False, True):
                    rate = concurrent_appends(store(backend, group_commit), GROUP_WRITERS, appends)
                    record(run, group_commit_row(backend, GROUP_WRITERS, group_commit), rate)
    finally:
        sqlite_engine.dispose()
        pg_engine.dispose()
    for name, values in medians.items():
        rates[f"{name}, median us"] = values
    return rates


def group_commit_row(backend: str, writers: int, group_commit: bool) -> str:
    plural = "writer" if writers == 1 else "writers"
    return f"{backend}, {writers} {plural}, group commit {'on' if group_commit else 'off'}"


def report_group_commit(runs: dict[str, list[float]]) -> None:
    """The median of each figure over the runs, and each ratio as the median of its ratios
    within each run: the machine's load drifts between runs, much less within one."""
    print()
    print("| configuration | conditional appends/s | median us per append |")
    print("|---|---|---|")
    for name, values in runs.items():
        if not name.endswith("median us"):
            latency = runs.get(f"{name}, median us")
            shown = "-" if latency is None else f"{statistics.median(latency):,.0f}"
            print(f"| {name} | {statistics.median(values):,.0f} | {shown} |")
    print()
    print("Ratios (median of the ratios within each run):")

    def ratio(label: str, a: str, b: str, goal: float | None) -> None:
        value = statistics.median(x / y for x, y in zip(runs[a], runs[b], strict=True))
        verdict = (
            "" if goal is None else f" (goal >= {goal}x: {'met' if value >= goal else 'MISSED'})"
        )
        print(f"- {label}: {value:.2f}x{verdict}")

    for backend in ("SQLite FULL", "PostgreSQL"):
        many = group_commit_row(backend, GROUP_WRITERS, True)
        one = group_commit_row(backend, 1, True)
        ratio(f"{backend}, {GROUP_WRITERS} writers / 1 writer, group commit on", many, one, 4.0)
        ratio(
            f"{backend}, {GROUP_WRITERS} writers / 1 writer, group commit off",
            group_commit_row(backend, GROUP_WRITERS, False),
            group_commit_row(backend, 1, False),
            None,
        )
        # The median time per append, which the machine's stalls barely move.
        ratio(
            f"{backend}, 1 writer, speed with group commit / without (median time per append)",
            f"{group_commit_row(backend, 1, False)}, median us",
            f"{one}, median us",
            0.95,
        )
        ratio(
            f"{backend}, 1 writer, group commit on / off (appends/s over the run)",
            one,
            group_commit_row(backend, 1, False),
            None,
        )
        ratio(
            f"{backend}, {GROUP_WRITERS} writers, group commit on / off",
            many,
            group_commit_row(backend, GROUP_WRITERS, False),
            None,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--appends", type=int, default=2000)
    parser.add_argument("--batches", type=int, default=50)
    parser.add_argument("--reads", type=int, default=200)
    parser.add_argument("--sizes", default="10000,1000000")
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--quick", action="store_true", help="small counts, 10k store only")
    parser.add_argument(
        "--section",
        choices=["all", "peers", "group-commit"],
        default="all",
        help="the stores beside their peers, group commit, or both (the default)",
    )
    parser.add_argument(
        "--group-appends", type=int, default=1600, help="appends by the 16 writers, per run"
    )
    parser.add_argument(
        "--single-appends", type=int, default=800, help="appends by a lone writer, per run"
    )
    args = parser.parse_args()
    if args.quick:
        args.runs, args.appends, args.batches, args.reads, args.sizes = 1, 300, 5, 20, "10000"
        args.group_appends, args.single_appends = 320, 100
    workdir = Path(tempfile.mkdtemp(prefix="esruntime-bench-"))
    try:
        if args.section in ("all", "peers"):
            measure_peers(args, workdir)
        if args.section in ("all", "group-commit"):
            print("group commit:", flush=True)
            rates = measure_group_commit(
                workdir, args.postgres_url, args.runs, args.group_appends, args.single_appends
            )
            report_group_commit(rates)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def measure_peers(args: argparse.Namespace, workdir: Path) -> None:
    """The stores beside their peers: appends, batches and tagged reads."""
    sizes = [int(s) for s in args.sizes.split(",")]
    counter = iter(range(1_000_000))

    def sqlite_store(synchronous: str) -> Callable[[], EventStore]:
        def make() -> EventStore:
            url = f"sqlite:///{workdir}/esruntime-{synchronous}-{next(counter)}.db"
            return SqlEventStore(create_store_engine(url, sqlite_synchronous=synchronous))  # type: ignore[arg-type]

        return make

    pg_engine = create_store_engine(args.postgres_url)

    def postgres_store() -> EventStore:
        with pg_engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE IF EXISTS esr_event_tags, esr_events, esr_tenants")
        return SqlEventStore(pg_engine)

    peers: list[Peer] = [
        EsruntimePeer("esruntime memory", InMemoryEventStore),
        EsruntimePeer("esruntime SQLite (NORMAL)", sqlite_store("NORMAL")),
        EsruntimePeer("esruntime SQLite (FULL)", sqlite_store("FULL")),
        EsruntimePeer("esruntime PostgreSQL", postgres_store),
        EsruntimePeer("esruntime UmaDB", umadb_store()),
        SqliteFloor("NORMAL", workdir),
        SqliteFloor("FULL", workdir),
        *available_peers(),
    ]
    results: dict[str, dict[str, float]] = {peer.name: {} for peer in peers}
    try:
        measure_interleaved(peers, results, args.runs, args.appends, args.batches)
        readers = [peer for peer in peers if not isinstance(peer, SqliteFloor)]
        for size in sizes:
            print(f"populating {len(readers)} stores with {size:,} events...", flush=True)
            for peer in readers:
                populate(peer, size)
            timings = tagged_read_timings(readers, args.reads)
            for peer in readers:
                results[peer.name][f"read ms @{size}"] = statistics.median(timings[peer.name])
    finally:
        for peer in peers:
            peer.close()
        pg_engine.dispose()
    report(results, sizes)


def measure_interleaved(
    peers: list[Peer], results: dict[str, dict[str, float]], runs: int, appends: int, batches: int
) -> None:
    """Each run measures every store in turn, so a noisy moment hits all of them alike."""
    append_rates: dict[str, list[float]] = {peer.name: [] for peer in peers}
    batch_rates: dict[str, list[float]] = {peer.name: [] for peer in peers}
    for run in range(runs):
        for peer in peers:
            append_rates[peer.name].append(conditional_appends(peer, appends))
            batch_rates[peer.name].append(batch_appends(peer, batches))
            print(
                f"run {run + 1}/{runs} {peer.name}: {append_rates[peer.name][-1]:,.0f} "
                f"conditional appends/s, {batch_rates[peer.name][-1]:,.0f} batch events/s",
                flush=True,
            )
    for peer in peers:
        results[peer.name]["append/s"] = statistics.median(append_rates[peer.name])
        results[peer.name]["batch events/s"] = statistics.median(batch_rates[peer.name])


def tagged_read_timings(peers: list[Peer], reads: int) -> dict[str, list[float]]:
    """Milliseconds to read the 100 events of the target tag, taking turns between stores."""
    timings: dict[str, list[float]] = {peer.name: [] for peer in peers}
    for _ in range(reads):
        for peer in peers:
            started = time.perf_counter()
            count = peer.read_tagged("account:target", 100)
            timings[peer.name].append((time.perf_counter() - started) * 1000)
            assert count == 100, (peer.name, count)
    return timings


def report(results: dict[str, dict[str, float]], sizes: list[int]) -> None:
    columns = ["append/s", "batch events/s", *[f"read ms @{size}" for size in sizes]]
    print()
    print("| store | " + " | ".join(columns) + " |")
    print("|---" * (len(columns) + 1) + "|")
    for name, row in results.items():
        cells = [
            f"{row[c]:,.0f}" if "/s" in c else f"{row[c]:.3f}" if c in row else "-" for c in columns
        ]
        print(f"| {name} | " + " | ".join(cells) + " |")

    def ratio(label: str, a: str, b: str, column: str, goal: float | None = None) -> None:
        if a in results and b in results and column in results[a] and column in results[b]:
            value = results[a][column] / results[b][column]
            verdict = (
                ""
                if goal is None
                else (" (goal >= {:.1f}x: {})".format(goal, "met" if value >= goal else "MISSED"))
            )
            print(f"- {label}: {value:.2f}x{verdict}")

    print()
    print("Ratios (same run):")
    ratio(
        "SQLite NORMAL conditional appends vs UmaDB",
        "esruntime SQLite (NORMAL)",
        "UmaDB",
        "append/s",
        5,
    )
    ratio(
        "SQLite NORMAL conditional appends vs bare sqlite3 floor",
        "esruntime SQLite (NORMAL)",
        "bare sqlite3 floor (NORMAL)",
        "append/s",
        0.6,
    )
    ratio(
        "SQLite FULL conditional appends vs UmaDB",
        "esruntime SQLite (FULL)",
        "UmaDB",
        "append/s",
        1,
    )
    ratio(
        "SQLite FULL conditional appends vs bare sqlite3 floor (FULL)",
        "esruntime SQLite (FULL)",
        "bare sqlite3 floor (FULL)",
        "append/s",
    )
    ratio(
        "PostgreSQL conditional appends vs eventsourcing DCB PostgreSQL",
        "esruntime PostgreSQL",
        "eventsourcing DCB (PostgreSQL)",
        "append/s",
        1.5,
    )
    ratio(
        "PostgreSQL batch events vs eventsourcing DCB PostgreSQL",
        "esruntime PostgreSQL",
        "eventsourcing DCB (PostgreSQL)",
        "batch events/s",
    )
    ratio(
        "memory conditional appends vs eventsourcing DCB memory",
        "esruntime memory",
        "eventsourcing DCB (memory)",
        "append/s",
    )
    ratio(
        "SQLite NORMAL batch events vs bare sqlite3 floor",
        "esruntime SQLite (NORMAL)",
        "bare sqlite3 floor (NORMAL)",
        "batch events/s",
    )
    sqlite_batch = results.get("esruntime SQLite (NORMAL)", {}).get("batch events/s", 0)
    verdict = "met" if sqlite_batch >= 100_000 else "MISSED"
    print(
        f"- SQLite NORMAL batch append: {sqlite_batch:,.0f} events/s (goal >= 100,000: {verdict})"
    )
    if len(sizes) > 1:
        small, large = f"read ms @{sizes[0]}", f"read ms @{sizes[-1]}"
        for name, row in results.items():
            if small in row and large in row:
                growth = row[large] / row[small]
                print(
                    f"- {name}: tagged read at {sizes[-1]:,} events costs {growth:.2f}x"
                    f" the read at {sizes[0]:,}"
                )
    for name in ("esruntime SQLite (NORMAL)", "esruntime PostgreSQL", "esruntime memory"):
        ratio(
            f"{name} tagged read speed vs UmaDB @{sizes[-1]:,}",
            "UmaDB",
            name,
            f"read ms @{sizes[-1]}",
        )


if __name__ == "__main__":
    main()
