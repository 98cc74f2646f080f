"""Serving processes on PostgreSQL: deposits/s of ``esruntime serve --workers N`` for N = 1, 2, 4,
and of the Flask app under gunicorn's threaded workers, in one run, load from ``wrk``.

Run: ``python benchmarks/bench_processes.py`` (``--quick`` for a smoke run; ``apt-get install wrk``
and ``pip install 'esruntime[bench]'`` for gunicorn). Every server gets a fresh private database
(``--database``, created and dropped through ``--postgres-url``; never the shared one) holding,
in each of ``--tenants`` tenants, the example bank's schema, 100 open accounts and an admin key;
``wrk`` then posts ``/v1/commands/deposit`` to a random account of a random tenant per request
(deposits read only the account's opening, so they do not conflict with each other; a tenant's
appends take turns on its lock, which several tenants avoid), then gets ``/v1/health`` (no
database write: what the server's processes alone can do). Rounds are interleaved, so each
server sees the same machine noise; the table shows medians.

Besides the rate, each row gives the CPU the server's processes and the database's backends
used during the run, in cores: a server that uses about a core per worker is CPU-bound, and
more workers can only help while cores are free (``wrk`` and PostgreSQL share them).
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import sqlalchemy
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import wrk  # noqa: E402
from esruntime.runtime import Runtime  # noqa: E402
from examples.bank.python_handlers import HANDLERS, SCHEMA  # noqa: E402

ACCOUNTS = 100
CLK_TCK = os.sysconf("SC_CLK_TCK")


def deposits(keys: list[str]) -> str:
    """Lua for ``wrk``: a deposit of 1 to a random account of a random tenant (its key)."""
    quoted = ", ".join(f'"{key}"' for key in keys)
    return f"""
local keys = {{{quoted}}}
local headers = {{}}
for i, key in ipairs(keys) do
  headers[i] = {{["Authorization"] = "Bearer " .. key, ["Content-Type"] = "application/json"}}
end
request = function()
  local body = '{{"account_id": "a' .. math.random(0, {ACCOUNTS - 1}) .. '", "amount": 1}}'
  return wrk.format("POST", nil, headers[math.random(1, #keys)], body)
end
"""


Config = tuple[str, int, int]  # server, processes, tenants


@dataclass(frozen=True)
class Measured:
    rate: float
    p50_ms: float
    p99_ms: float
    server_cores: float
    database_cores: float
    health_rate: float


@contextmanager
def private_database(admin_url: str, name: str) -> Iterator[str]:
    """A fresh database ``name`` on the server of ``admin_url``, dropped afterwards."""
    admin = sqlalchemy.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.dispose()


def prepare(url: str, tenants: int) -> list[str]:
    """The bank's schema and accounts in ``tenants`` tenants; returns an admin key of each."""
    runtime = Runtime.from_url(url)
    keys = []
    try:
        for handler in HANDLERS:
            runtime.register(handler)
        for t in range(tenants):
            tenant = runtime.default_tenant if t == 0 else f"bank{t}"
            runtime.tenant(tenant).schema_registry.push(SCHEMA.read_text())
            for n in range(ACCOUNTS):
                opened = {"account_id": f"a{n}", "owner": "o", "currency": "EUR"}
                assert runtime.execute("open_account", opened, tenant=tenant).outcome == "ok"
            keys.append(runtime.api_keys.create(tenant, "bench", ["admin"]).secret)
        return keys
    finally:
        runtime.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def serve_workers(url: str, workers: int) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """``esruntime serve --workers N`` (FastAPI under uvicorn) on the database."""
    handlers = [f"--handler=examples.bank.python_handlers:{h.__name__}" for h in HANDLERS]
    port = free_port()
    command = [
        *(sys.executable, "-m", "esruntime", "serve", "--database-url", url),
        *("--port", str(port), "--workers", str(workers)),
        *("--log-level", "warning", "--pages-prefix", "", *handlers),
    ]
    with _process(command) as process:
        yield process, f"http://127.0.0.1:{port}/v1"


@contextmanager
def gunicorn_flask(
    url: str, workers: int, threads: int
) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """The Flask app under gunicorn, ``workers`` processes of ``threads`` threads each."""
    port = free_port()
    command = [
        *(sys.executable, "-m", "gunicorn", "benchmarks.wsgi_bank:app"),
        *("--bind", f"127.0.0.1:{port}", "--workers", str(workers)),
        *("--worker-class", "gthread", "--threads", str(threads), "--log-level", "warning"),
    ]
    with _process(command, ESRUNTIME_DATABASE_URL=url) as process:
        yield process, f"http://127.0.0.1:{port}/v1"


@contextmanager
def _process(command: list[str], **env: str) -> Iterator[subprocess.Popen[bytes]]:
    environment = {**os.environ, "PYTHONPATH": str(ROOT), **env}
    process = subprocess.Popen(
        command, cwd=ROOT, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        yield process
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        assert process.stderr is not None
        errors = process.stderr.read().decode()
        process.stderr.close()
        if "Traceback" in errors:
            print(errors, file=sys.stderr)


def ready(process: subprocess.Popen[bytes], base_url: str, key: str) -> None:
    """Wait until the server answers a deposit (every worker is started by the warm-up)."""
    deadline = time.monotonic() + 120
    body = {"account_id": "a0", "amount": 1}
    headers = {"Authorization": f"Bearer {key}"}
    while True:
        if process.poll() is not None:
            assert process.stderr is not None
            raise SystemExit(f"the server exited {process.returncode}: {process.stderr.read()!r}")
        try:
            answer = httpx.post(f"{base_url}/commands/deposit", json=body, headers=headers)
            if answer.status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise SystemExit(f"{base_url} did not answer within 120 s")
        time.sleep(0.1)


def tree(pid: int) -> list[int]:
    """``pid`` and its descendants."""
    found = [pid]
    for each in found:
        try:
            tasks = Path(f"/proc/{each}/task").iterdir()
            for task in tasks:
                found.extend(int(c) for c in (task / "children").read_text().split())
        except FileNotFoundError:
            continue
    return found


def cpu_seconds(pids: list[int]) -> dict[int, float]:
    """The CPU time (user and system) of each process still running, by pid."""
    used = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        used[pid] = (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime, stime
    return used


def cores(before: dict[int, float], after: dict[int, float], elapsed: float) -> float:
    """The cores the processes seen both times used in between."""
    return sum(after[pid] - before[pid] for pid in before.keys() & after.keys()) / elapsed


def backends(admin_url: str, name: str) -> list[int]:
    engine = sqlalchemy.create_engine(admin_url)
    try:
        with engine.connect() as conn:
            rows = conn.exec_driver_sql(
                "SELECT pid FROM pg_stat_activity WHERE datname = %(name)s", {"name": name}
            )
            return [int(row[0]) for row in rows]
    finally:
        engine.dispose()


def measure(
    process: subprocess.Popen[bytes],
    base_url: str,
    keys: list[str],
    args: argparse.Namespace,
) -> Measured:
    ready(process, base_url, keys[0])
    lua = wrk.script("POST", request=deposits(keys))
    url = f"{base_url}/commands/deposit"
    wrk.run(url, lua, duration=args.warmup, connections=args.connections)
    servers, databases = tree(process.pid), backends(args.postgres_url, args.database)
    began, server_cpu, database_cpu = time.monotonic(), cpu_seconds(servers), cpu_seconds(databases)
    result = wrk.run(url, lua, duration=args.duration, connections=args.connections)
    elapsed = time.monotonic() - began
    server_cores = cores(server_cpu, cpu_seconds(servers), elapsed)
    database_cores = cores(database_cpu, cpu_seconds(databases), elapsed)
    health = wrk.run(
        f"{base_url}/health", wrk.script(), duration=args.duration, connections=args.connections
    )
    return Measured(
        rate=result.rate,
        p50_ms=result.p50_ms,
        p99_ms=result.p99_ms,
        server_cores=server_cores,
        database_cores=database_cores,
        health_rate=health.rate,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres-url", default="postgresql+psycopg://postgres@127.0.0.1/test")
    parser.add_argument("--database", default="esruntime_bench", help="created and dropped")
    parser.add_argument("--workers", default="1,2,4", help="serve --workers, comma-separated")
    parser.add_argument("--flask-workers", default="1,2", help="gunicorn --workers")
    parser.add_argument("--threads", type=int, default=8, help="gunicorn --threads")
    parser.add_argument(
        "--tenants",
        default="1,8",
        help="tenants the deposits spread over, comma-separated (a tenant's appends take turns)",
    )
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per measure")
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.duration, args.warmup, args.runs = 2.0, 1.0, 1
    wrk.require_wrk("bench_processes.py")
    if make_url(args.postgres_url).database == args.database:
        raise SystemExit("--database must differ from the database of --postgres-url")
    configs = [
        (kind, count, tenants)
        for tenants in map(int, args.tenants.split(","))
        for kind, counts in (("serve", args.workers), ("gunicorn", args.flask_workers))
        for count in map(int, counts.split(","))
    ]
    measured: dict[Config, list[Measured]] = {config: [] for config in configs}
    load = [os.getloadavg()[0]]
    for _ in range(args.runs):  # interleaved: the same machine noise for each
        for kind, count, tenants in configs:
            with private_database(args.postgres_url, args.database) as url:
                keys = prepare(url, tenants)
                if kind == "serve":
                    server = serve_workers(url, count)
                else:
                    server = gunicorn_flask(url, count, args.threads)
                with server as (process, base_url):
                    result = measure(process, base_url, keys, args)
                    measured[(kind, count, tenants)].append(result)
            load.append(os.getloadavg()[0])
    report(configs, measured, args, load)


def report(
    configs: list[Config],
    measured: dict[Config, list[Measured]],
    args: argparse.Namespace,
    load: list[float],
) -> None:
    cores = os.cpu_count()
    print(
        f"wrk -c{args.connections} -t2, {args.duration:.0f} s per measure, median of "
        f"{args.runs} runs; {cores} cores; load average (1 min) {min(load):.1f}-{max(load):.1f}\n"
    )
    print(
        "| server | processes | tenants | deposits/s | p50 ms | p99 ms | server cores "
        "| database cores | `GET /v1/health`/s |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    rates: dict[Config, float] = {}
    for config in configs:
        kind, count, tenants = config
        runs = measured[config]
        rates[config] = rate = statistics.median(m.rate for m in runs)
        name = "`serve` (FastAPI, uvicorn)" if kind == "serve" else "Flask, gunicorn gthread"
        print(
            f"| {name} | {count} | {tenants} | {rate:,.0f} "
            f"| {statistics.median(m.p50_ms for m in runs):.1f} "
            f"| {statistics.median(m.p99_ms for m in runs):.1f} "
            f"| {statistics.median(m.server_cores for m in runs):.2f} "
            f"| {statistics.median(m.database_cores for m in runs):.2f} "
            f"| {statistics.median(m.health_rate for m in runs):,.0f} |"
        )
    print()
    for kind, count, tenants in configs:
        if kind == "serve" and count > 1 and ("serve", 1, tenants) in rates:
            ratio = rates[(kind, count, tenants)] / rates[("serve", 1, tenants)]
            health = statistics.median(m.health_rate for m in measured[(kind, count, tenants)])
            alone = statistics.median(m.health_rate for m in measured[("serve", 1, tenants)])
            print(
                f"{tenants} tenants: serve --workers {count} / --workers 1: deposits "
                f"{ratio:.2f}x, health {health / alone:.2f}x"
            )
    for kind, count, tenants in configs:
        if kind == "gunicorn" and ("serve", count, tenants) in rates:
            ratio = rates[(kind, count, tenants)] / rates[("serve", count, tenants)]
            print(
                f"{tenants} tenants: Flask (gunicorn, {count} processes) / "
                f"FastAPI (serve --workers {count}): {ratio:.2f}x"
            )


if __name__ == "__main__":
    main()
