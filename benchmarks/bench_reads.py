"""Tagged reads per event: what a store adds to the driver fetching the same rows.

Run: ``python benchmarks/bench_reads.py`` (``--postgres-url`` for a database of your own; the
tables are created in it). One tenant holds 1,000 events of one type and tag (~100 bytes of data
each); each round reads them through ``SqlEventStore.read`` with a one-item query (one type, one
tag) and, as the baseline, fetches the rows of the very SQL statement the store runs with the
bare driver (``sqlite3``, psycopg), which decodes nothing. Printed: microseconds per event,
median of the rounds, for both and their difference (the store's decoding into
``SequencedEvent``), with the issue's goals (≤ 2 µs per event on SQLite, ≤ 5 µs on PostgreSQL)
checked against the store's figure.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from esruntime import Event, Query, QueryItem, SqlEventStore
from esruntime.backends.sql.postgres import read_statement

EVENTS = 1000
GOALS = {"SQLite": 2.0, "PostgreSQL": 5.0}


def measure(name: str, url: str, rounds: int) -> None:
    store = SqlEventStore(url, tenant=f"reads_{time.time_ns()}")
    data = {"account_id": "a1", "currency": "EUR", "note": "x" * 40}
    store.append([Event("Deposited", {**data, "amount": i}, ["account:a1"]) for i in range(EVENTS)])
    query = Query([QueryItem(types=["Deposited"], tags=["account:a1"])])
    if name == "PostgreSQL":  # statistics for the new rows, as autovacuum would gather
        with store.engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE esr_events")
            conn.exec_driver_sql("ANALYZE esr_event_tags")
    plan = store._read_plan(query, 1, EVENTS, False, None)  # the statement the store runs
    assert plan is not None
    text, params = plan
    if name == "PostgreSQL":
        text, params = read_statement(text), [store._tenant_id, *params]

    def bare() -> int:
        with store._connection() as conn:
            return len(conn.execute(text, params).fetchall())

    def ours() -> int:
        return len(store.read(query).events)

    timings: dict[str, list[float]] = {"bare": [], "store": []}
    for round_ in range(rounds + 3):
        for label, read in (("bare", bare), ("store", ours)):
            started = time.perf_counter()
            assert read() == EVENTS
            if round_ >= 3:  # warm-up rounds are not counted
                timings[label].append((time.perf_counter() - started) / EVENTS * 1e6)
    store.close()
    floor, total = (statistics.median(timings[label]) for label in ("bare", "store"))
    verdict = "met" if total <= GOALS[name] else "MISSED"
    print(
        f"{name}: store {total:.2f} µs per event, bare driver {floor:.2f} µs, "
        f"decoding {total - floor:.2f} µs (goal <= {GOALS[name]} µs: {verdict})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        measure("SQLite", f"sqlite:///{folder}/reads.db", args.rounds)
    measure("PostgreSQL", args.postgres_url, args.rounds)


if __name__ == "__main__":
    main()
