"""Wide query items: reads and conditional appends whose query item carries many tags.

Run: ``python benchmarks/bench_wide_items.py`` (``--tags 1,2,3,65,300`` for the item widths,
``--backends sqlite,postgres``). Needs PostgreSQL at 127.0.0.1:5432 for the PostgreSQL rows
(``--postgres-url`` to change; each run uses a tenant of its own, and analyzes the tables once
populated, as autovacuum would, so that the planner knows the tenant's rows).

Each store first holds 10,000 background events (two tags each, from 1,000 seats and 37 rows).
For every width ``n``, one ``Booked`` event carries the ``n`` tags of the item and each of those
tags is also on one ``Held`` event of its own, so every tag of the item has matches that the
item must not return. Timed (median of ``--runs``, milliseconds):

- read: ``read(Query([QueryItem(types=["Booked"], tags=the n tags)]))``;
- limited: the same read backwards with ``limit=1``;
- refused: an append of a ``Booked`` event with the ``n`` tags, on the condition that no
  event matches the item after position 0 (it fails: the first booking matches);
- append ok: the same append on the condition that no event matches after the head (it
  succeeds, and commits the event with its ``n`` tag rows).

A width that a backend cannot run prints the error instead of a figure.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from esruntime import (
    AppendCondition,
    Event,
    EventStore,
    EventStoreError,
    IntegrityError,
    Query,
    QueryItem,
    SqlEventStore,
)

BACKGROUND = 10_000


def populate(store: EventStore, widths: list[int]) -> None:
    for start in range(0, BACKGROUND, 500):
        store.append(
            [
                Event("Noise", {"i": i}, [f"seat:{i % 1000}", f"row:{i % 37}"])
                for i in range(start, start + 500)
            ]
        )
    for n in widths:
        tags = item_tags(n)
        store.append([Event("Held", {}, [tag]) for tag in tags])
        store.append(Event("Booked", {"n": n}, tags))


def item_tags(n: int) -> list[str]:
    return [f"slot{n}:{k}" for k in range(n)]


def median_ms(action: Callable[[], object], runs: int) -> float:
    timings = []
    for _ in range(runs):
        began = time.perf_counter()
        action()
        timings.append((time.perf_counter() - began) * 1000)
    return statistics.median(timings)


def measure(store: EventStore, n: int, runs: int) -> dict[str, str]:
    tags = item_tags(n)
    query = Query([QueryItem(types=["Booked"], tags=tags)])

    def read() -> None:
        assert len(store.read(query).events) >= 1

    def limited() -> None:
        assert len(store.read(query, backwards=True, limit=1).events) == 1

    def append_ok() -> None:
        head = store.head()
        store.append(Event("Booked", {"n": n}, tags), AppendCondition(query, after=head))

    def append_refused() -> None:
        try:
            store.append(Event("Booked", {"n": n}, tags), AppendCondition(query, after=0))
        except IntegrityError:
            return
        raise AssertionError("the condition should have failed")

    figures: dict[str, str] = {}
    for name, action in [
        ("read", read),
        ("limited", limited),
        ("append refused", append_refused),
        ("append ok", append_ok),
    ]:
        try:
            action()  # warm the statement caches
            figures[name] = f"{median_ms(action, runs):.2f}"
        except EventStoreError as exc:
            figures[name] = f"error: {str(exc).splitlines()[0][:60]}"
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tags", default="1,2,3,65,300")
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    widths = [int(n) for n in args.tags.split(",")]
    with tempfile.TemporaryDirectory() as directory:
        urls = {
            "sqlite": f"sqlite:///{Path(directory) / 'wide.db'}",
            "postgres": args.postgres_url,
        }
        print(
            f"{'backend':<10} {'tags':>5} {'read':>10} {'limited':>10} {'append ok':>10} "
            f"{'refused':>10}  (ms, median of {args.runs})"
        )
        for backend in args.backends.split(","):
            store = SqlEventStore(urls[backend], tenant=f"bench-wide-{uuid.uuid4().hex[:8]}")
            populate(store, widths)
            if backend == "postgres":  # statistics of the new tenant, as autovacuum would
                with store.engine.connect() as conn:
                    conn.exec_driver_sql("ANALYZE esr_events, esr_event_tags")
            for n in widths:
                f = measure(store, n, args.runs)
                print(
                    f"{backend:<10} {n:>5} {f['read']:>10} {f['limited']:>10} "
                    f"{f['append ok']:>10} {f['append refused']:>10}",
                    flush=True,
                )
            store.close()


if __name__ == "__main__":
    main()
