"""Script SDK benchmark: the cost of ``sdk.db``'s checks and ``sdk.http``'s protections.

Run: ``python benchmarks/bench_sdk.py`` (``--quick`` for a smoke run; ``--postgres URL`` adds
PostgreSQL). Baselines measured in the same run:

- **sdk.db**: a primary-key lookup and a 100-row read through ``ScriptDatabase`` (statement
  compiled once, then cached), against the same statement written with the tenant condition by
  hand and run with SQLAlchemy on the same engine, one transaction per call (as sdk.db does),
  rows returned as dictionaries.
  Also the cost of compiling a statement that is not cached (parse, check, rewrite, generate).
- **sdk.http**: a small JSON GET from a loopback server through ``ScriptHttpClient``, against a
  plain ``httpx.Client`` (keep-alive on both).
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
import sqlalchemy

from esruntime.scripts.sdk.db import ScriptDatabase
from esruntime.scripts.sdk.http import HttpPolicy, ScriptHttpClient
from esruntime.scripts.sdk.sqlguard import compile_statement

LOOKUP = "SELECT id, body FROM notes WHERE id = $1"
LOOKUP_BY_HAND = "SELECT id, body FROM notes WHERE tenant_id = :t AND id = :id"
RANGE = "SELECT id, body FROM notes WHERE id > $1 ORDER BY id LIMIT 100"
RANGE_BY_HAND = "SELECT id, body FROM notes WHERE tenant_id = :t AND id > :id ORDER BY id LIMIT 100"


def per_call_us(action: Callable[[int], object], calls: int, repeats: int) -> float:
    """The median over ``repeats`` of the mean time of one call, in microseconds."""
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        for n in range(calls):
            action(n)
        samples.append((time.perf_counter() - started) / calls * 1e6)
    return statistics.median(samples)


def fill(engine: sqlalchemy.Engine, rows: int) -> None:
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE IF EXISTS notes")
        connection.exec_driver_sql(
            "CREATE TABLE notes (tenant_id TEXT NOT NULL, id INTEGER NOT NULL, body TEXT,"
            " PRIMARY KEY (tenant_id, id))"
        )
        connection.execute(
            sqlalchemy.text("INSERT INTO notes VALUES (:t, :id, :body)"),
            [{"t": t, "id": i, "body": f"note {i}"} for t in ("A", "B") for i in range(rows)],
        )
        connection.exec_driver_sql("ANALYZE notes")  # fresh statistics, or plans are guesses


def bench_db(label: str, engine: sqlalchemy.Engine, calls: int, repeats: int) -> None:
    rows = 10_000
    fill(engine, rows)
    db = ScriptDatabase(engine, "A")

    def by_hand(sql: str) -> Callable[[int], object]:
        statement = sqlalchemy.text(sql)

        def run(n: int) -> object:
            with engine.begin() as connection:
                result = connection.execute(statement, {"t": "A", "id": n % rows})
                keys = list(result.keys())
                return [dict(zip(keys, row, strict=True)) for row in result]

        return run

    def through_sdk(sql: str) -> Callable[[int], object]:
        return lambda n: db.query(sql, [n % (rows - 100)])

    for name, sql, hand in (("lookup", LOOKUP, LOOKUP_BY_HAND), ("100 rows", RANGE, RANGE_BY_HAND)):
        base = per_call_us(by_hand(hand), calls, repeats)
        sdk = per_call_us(through_sdk(sql), calls, repeats)
        print(f"sdk.db {label:<10} {name:<9} {base:>10.0f} {sdk:>10.0f} {sdk / base:>7.2f}x")
    db.close()
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE notes")


def bench_compile(calls: int, repeats: int) -> None:
    sql = (
        "SELECT a.owner, count(*) AS n FROM accounts a JOIN notes n ON n.account_id = a.id"
        " WHERE a.balance > $1 AND n.id IN (SELECT id FROM notes WHERE body LIKE $2)"
        " GROUP BY a.owner ORDER BY n DESC LIMIT {}"
    )
    cached = per_call_us(lambda n: compile_statement(sql.format(1), "postgres", "query"), calls, 3)
    unseen = itertools.count(10_000_000)  # a new text every time: never in the cache
    fresh = per_call_us(
        lambda n: compile_statement(sql.format(next(unseen)), "postgres", "query"),
        max(calls // 10, 10),
        repeats,
    )
    print(f"compile (join + subquery): cached {cached:.1f} µs, uncached {fresh:.0f} µs")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # else headers and body wait on delayed ACKs

    def do_GET(self) -> None:
        body = json.dumps({"path": self.path, "ok": True}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def bench_http(calls: int, repeats: int) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/echo"
    with httpx.Client() as plain, ScriptHttpClient(HttpPolicy(allowlist=["127.0.0.1"])) as sdk:
        base = per_call_us(lambda n: plain.get(url).json(), calls, repeats)
        measured = per_call_us(lambda n: sdk.request("GET", url), calls, repeats)
    server.shutdown()
    server.server_close()
    print(
        f"sdk.http   loopback   GET json  {base:>10.0f} {measured:>10.0f} {measured / base:>7.2f}x"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--postgres", help="a PostgreSQL URL to measure too")
    args = parser.parse_args()
    calls, repeats = (100, 2) if args.quick else (args.calls, args.repeats)
    print(f"{calls} calls x {repeats} repeats, median of the mean per call (µs)")
    print(f"{'what':<28} {'baseline':>10} {'sdk':>10} {'ratio':>8}")
    engines = {"SQLite": sqlalchemy.create_engine(f"sqlite:///{tempfile.mkdtemp()}/sdk.db")}
    if args.postgres:
        engines["PostgreSQL"] = sqlalchemy.create_engine(args.postgres)
    for label, engine in engines.items():
        bench_db(label, engine, calls, repeats)
        engine.dispose()
    bench_http(calls // 2, repeats)
    bench_compile(calls, repeats)


if __name__ == "__main__":
    main()
