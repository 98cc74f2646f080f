"""HTTP benchmark: end-to-end commands/s and latency percentiles through FastAPI and Flask.

Run: ``python benchmarks/bench_http.py`` (``--quick`` for a smoke run). The example bank's
Python handlers behind a server in a process of its own (uvicorn for FastAPI, Werkzeug's threaded
server for Flask), on SQLite and PostgreSQL; ``--clients`` client threads (httpx, one keep-alive
connection each) each transfer around their own ``PAIRS`` pairs of accounts in turn, so there
are no conflicts and histories stay short (a pair holds at most 2 + 2 x commands / PAIRS
events of its own). Baseline in the same run: ``runtime.execute`` in this process on the same
kind of database, one thread, the same transfers; the ratio is what HTTP adds per command.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import sqlalchemy

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from esruntime.backends.sql.tables import metadata
from esruntime.runtime import Runtime
from examples.bank.python_handlers import HANDLERS, SCHEMA

HERE = Path(__file__).resolve().parent
PAIRS = 20


@contextmanager
def server(framework: str, url: str) -> Iterator[tuple[str, str]]:
    process = subprocess.Popen(
        [sys.executable, str(HERE / "http_server.py"), framework, url],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    port, key = process.stdout.readline().split()
    try:
        yield f"http://127.0.0.1:{port}/v1", key
    finally:
        process.terminate()
        process.wait(timeout=30)
        process.stdout.close()


def open_accounts(http: httpx.Client, accounts: list[str]) -> None:
    for account in accounts:
        body = {"account_id": account, "owner": "o", "currency": "EUR"}
        assert http.post("/commands/open_account", json=body).status_code == 200
        deposit = {"account_id": account, "amount": 1_000_000}
        assert http.post("/commands/deposit", json=deposit).status_code == 200


def http_run(base_url: str, key: str, clients: int, commands: int) -> tuple[float, list[float]]:
    """(commands/s, latencies in ms) of ``clients`` threads doing ``commands`` transfers each."""
    headers = {"Authorization": f"Bearer {key}"}
    sessions = [
        httpx.Client(base_url=base_url, headers=headers, timeout=60) for _ in range(clients)
    ]
    for n, http in enumerate(sessions):
        open_accounts(http, [f"c{n}p{p}{side}" for p in range(PAIRS) for side in "ab"])
    latencies: list[float] = []
    lock = threading.Lock()
    start = threading.Barrier(clients + 1)

    def work(n: int, http: httpx.Client) -> None:
        mine = []
        start.wait()
        for i in range(commands):
            pair = f"c{n}p{i % PAIRS}"
            body = {"source_account": pair + "a", "dest_account": pair + "b", "amount": 1}
            began = time.perf_counter()
            response = http.post("/commands/transfer_funds", json=body)
            mine.append((time.perf_counter() - began) * 1000)
            assert response.status_code == 200, response.text
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=work, args=(n, s)) for n, s in enumerate(sessions)]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    for http in sessions:
        http.close()
    return clients * commands / elapsed, latencies


def in_process(url: str, commands: int) -> float:
    """Commands/s of ``runtime.execute`` for the same transfers, in this process."""
    runtime = Runtime.from_url(url)
    for handler in HANDLERS:
        runtime.register(handler)
    runtime.tenant().schema_registry.push(SCHEMA.read_text())
    for account in [f"p{p}{side}" for p in range(PAIRS) for side in "ab"]:
        runtime.execute("open_account", {"account_id": account, "owner": "o", "currency": "EUR"})
        runtime.execute("deposit", {"account_id": account, "amount": 1_000_000})
    began = time.perf_counter()
    for i in range(commands):
        body = {"source_account": f"p{i % PAIRS}a", "dest_account": f"p{i % PAIRS}b", "amount": 1}
        assert runtime.execute("transfer_funds", body).outcome == "ok"
    rate = commands / (time.perf_counter() - began)
    runtime.close()
    return rate


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--commands", type=int, default=200, help="per client")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--postgres-url", default="postgresql+psycopg://postgres@127.0.0.1/test")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.commands, args.runs = 30, 1
    directory = Path(tempfile.mkdtemp(prefix="esruntime-bench-http-"))
    counter = iter(range(1_000_000))

    def database(kind: str) -> str:
        if kind == "SQLite":
            return f"sqlite:///{directory}/http{next(counter)}.db"
        engine = sqlalchemy.create_engine(args.postgres_url)
        metadata.drop_all(engine)
        engine.dispose()
        return str(args.postgres_url)

    print(f"{args.clients} clients x {args.commands} transfers, median of {args.runs} runs\n")
    print(
        "| database | server | commands/s | p50 ms | p95 ms | p99 ms | in-process/s | HTTP cost |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for kind in ("SQLite", "PostgreSQL"):
        rates: dict[str, list[float]] = {"fastapi": [], "flask": []}
        latencies: dict[str, list[float]] = {"fastapi": [], "flask": []}
        baseline = []
        for _ in range(args.runs):  # interleaved: the same machine noise for each
            baseline.append(in_process(database(kind), args.commands))
            for framework in ("fastapi", "flask"):
                with server(framework, database(kind)) as (base_url, key):
                    rate, lat = http_run(base_url, key, args.clients, args.commands)
                rates[framework].append(rate)
                latencies[framework].extend(lat)
        base = statistics.median(baseline)
        for framework in ("fastapi", "flask"):
            rate = statistics.median(rates[framework])
            lat = latencies[framework]
            print(
                f"| {kind} | {framework} | {rate:,.0f} | {percentile(lat, 50):.2f} "
                f"| {percentile(lat, 95):.2f} | {percentile(lat, 99):.2f} | {base:,.0f} "
                f"| {base / rate:.2f}x |",
                flush=True,
            )


if __name__ == "__main__":
    main()
