"""Script service benchmark: recorded runs through ``ScriptService`` on the quickjs-ng engine.

Run: ``python benchmarks/bench_scripts.py`` (``--quick`` for a smoke run; PostgreSQL at
``--postgres-url``, the test database by default, unless ``--no-postgres``). Two scripts: a
trivial one (``return context.input.n + 1``) and one making ten SDK calls (cache increments and
a log line). Baseline in the same run: the same source through ``QuickJsRunner.run`` directly,
with the same SDK host but nothing recorded; the ratio is the cost of the service (validation of
the input, the script's lookup, the execution's two writes: running, finished; the context and
host). Goals for the trivial script (printed met or MISSED): at most 1.5x on SQLite and 3x on
PostgreSQL. Floors in the same run, under the trivial script: the run's two writes alone (the
``running`` row, then the finished one, in the same table) by the bare driver, as a multiple of
the runner: what any recording of both writes costs at least.
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy
from sqlalchemy.engine import make_url

from esruntime.backends.memory import InMemoryScriptRepository
from esruntime.backends.sql import SqlBackend
from esruntime.protocols import ScriptRepository
from esruntime.scripts.engines import QuickJsRunner
from esruntime.scripts.models import ExecutionMetrics
from esruntime.scripts.runner import RunLimits
from esruntime.scripts.sdk.cache import InMemoryScriptCache, ScriptCacheView
from esruntime.scripts.sdk.host import ExecutionHost
from esruntime.scripts.sdk.logs import ExecutionLog
from esruntime.scripts.sdk.ratelimit import SlidingWindowLimiter
from esruntime.scripts.service import ScriptService

SCRIPTS = {
    "trivial": "return context.input.n + 1;",
    "10 SDK calls": (
        "for (let i = 0; i < 9; i++) await sdk.cache.increment('n');\n"
        "sdk.log.info('done');\nreturn context.input.n;"
    ),
}
BENCH_DATABASE = "esruntime_bench_scripts"
GOALS = {("trivial", "sqlite"): 1.5, ("trivial", "postgres"): 3.0}
"""The most a recorded run may cost, as a multiple of the runner alone (same run)."""
CONTEXT = {
    "tenantId": "bench",
    "userId": None,
    "organizationId": None,
    "scriptId": "s",
    "executionId": "e",
    "input": {"n": 1},
    "trigger": {
        "type": "manual",
        "eventType": None,
        "eventPayload": None,
        "httpRequest": None,
        "cronExpression": None,
    },
}


def interleaved_us(
    actions: dict[str, Callable[[], object]], runs: int, repeats: int
) -> dict[str, float]:
    """Per action, the median over ``repeats`` of the mean time of one run in microseconds;
    the actions take turns in every repeat, so that a busy machine slows them alike."""
    for action in actions.values():
        for _ in range(max(runs // 10, 1)):  # warm-up
            action()
    samples: dict[str, list[float]] = {name: [] for name in actions}
    for _ in range(repeats):
        for name, action in actions.items():
            started = time.perf_counter()
            for _ in range(runs):
                action()
            samples[name].append((time.perf_counter() - started) / runs * 1e6)
    return {name: statistics.median(values) for name, values in samples.items()}


def baseline(runner: QuickJsRunner, source: str) -> Callable[[], object]:
    cache = InMemoryScriptCache()

    def run() -> object:
        log = ExecutionLog(tenant="bench", script_id="s", execution_id="e")
        host = ExecutionHost(
            tenant="bench",
            script_id="s",
            log=log,
            cache=ScriptCacheView(cache, "bench", "s"),
            calls_per_minute=10**9,
        )
        result = runner.run(source, context=CONTEXT, host=host, limits=RunLimits())
        assert result.status == "completed", result
        host.metrics(result.duration_ms, result.memory_bytes)
        return result

    return run


def service_run(
    service: ScriptService, source: str, name: str, cleanup: list[Callable[[], None]]
) -> Callable[[], object]:
    script = service.create(name=name, source=source, type="oneoff")
    cleanup.append(lambda: service.delete(script.id))

    def run() -> object:
        execution = service.execute(script.id, {"n": 1})
        assert execution.status == "completed", execution
        assert isinstance(execution.metrics, ExecutionMetrics)
        return execution

    return run


_COLUMNS = (
    "tenant_id, id, script_id, script_version, status, trigger, input, logs, metrics,"
    " created_at, started_at"
)
_RUNNING = (
    f"INSERT INTO esr_script_executions ({_COLUMNS})"
    " VALUES (0, {p}, 'floor', 1, 'running', '{{\"type\":\"manual\"}}', '{{\"n\":1}}',"
    " '[]', '{{}}', {p}, {p})"
)
_COMPLETED = (
    "UPDATE esr_script_executions SET status = 'completed', output = '2',"
    " metrics = '{{\"duration_ms\":0.1}}', completed_at = {p} WHERE tenant_id = 0 AND id = {p}"
)


def bare_sqlite_writes(path: str) -> Callable[[], object]:
    """The floor of a run's two writes on SQLite: the same rows in the same table (tenant 0),
    written by bare ``sqlite3`` (constant columns in the statement text), each in its own
    transaction, as the service commits them."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    running, completed = _RUNNING.format(p="?"), _COMPLETED.format(p="?")

    def run() -> object:
        execution, now = str(uuid.uuid4()), time.time_ns() // 1000
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(running, (execution, now, now))
        conn.execute("COMMIT")
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(completed, (now, execution))
        return conn.execute("COMMIT")

    return run


def bare_postgres_writes(url: str) -> Callable[[], object]:
    """The floor of a run's two writes on PostgreSQL, by bare psycopg: the ``running`` row
    committed without waiting for the disk, the finished one durably, one round trip each."""
    import psycopg

    conn = psycopg.connect(make_url(url).set(drivername="postgresql").render_as_string(False))
    conn.autocommit = True
    running = "BEGIN; SET LOCAL synchronous_commit = off; " + _RUNNING.format(p="%s") + "; COMMIT"
    completed = _COMPLETED.format(p="%s")
    cursor = psycopg.ClientCursor(conn)

    def run() -> object:
        execution, now = str(uuid.uuid4()), time.time_ns() // 1000
        cursor.execute(running, (execution, now, now))
        return conn.execute(completed, (now, execution), prepare=True)

    return run


def own_database(url: str, *, drop: bool = False) -> str:
    """A database of this benchmark's own beside ``url``'s (others may drop tables there)."""
    admin = sqlalchemy.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {BENCH_DATABASE} WITH (FORCE)")
        if not drop:
            conn.exec_driver_sql(f"CREATE DATABASE {BENCH_DATABASE}")
    admin.dispose()
    return make_url(url).set(database=BENCH_DATABASE).render_as_string(hide_password=False)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--postgres-url", default="postgresql+psycopg://postgres@127.0.0.1/test")
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    runs, repeats = (20, 2) if args.quick else (args.runs, args.repeats)
    runner = QuickJsRunner()
    directory = tempfile.mkdtemp(prefix="esruntime-bench-scripts-")
    # Repositories as a runtime has them: its backend's (on PostgreSQL with its listener for
    # the tenants' revisions, which lets a script's lookup be reused while nothing changed).
    sqlite = SqlBackend(f"sqlite:///{directory}/scripts.db")
    repositories: dict[str, ScriptRepository] = {
        "memory": InMemoryScriptRepository(),
        "sqlite": sqlite.script_repository(),
    }
    floors = {"sqlite": bare_sqlite_writes(f"{directory}/scripts.db")}
    postgres = None
    if not args.no_postgres:
        postgres_url = own_database(args.postgres_url)
        postgres = SqlBackend(postgres_url)
        repositories["postgres"] = postgres.script_repository()
        floors["postgres"] = bare_postgres_writes(postgres_url)
    cleanup: list[Callable[[], None]] = []
    tenant = f"bench-{uuid.uuid4().hex[:8]}"
    print(f"{runs} runs x {repeats} interleaved repeats, median of the mean per run (µs)")
    print(f"{'script':<14} {'backend':<8} {'runner only':>12} {'service':>10} {'ratio':>7}  goal")
    for label, source in SCRIPTS.items():
        actions = {"runner only": baseline(runner, source)}
        for backend, repository in repositories.items():
            # A window too short to ever refuse: the benchmark makes more calls than any limit.
            service = ScriptService(
                repository, runner, limiter=SlidingWindowLimiter(1e-9), default_tenant=tenant
            )
            actions[backend] = service_run(service, source, label, cleanup)
        if label == "trivial":
            actions.update({f"{name} floor": floor for name, floor in floors.items()})
        timings = interleaved_us(actions, runs, repeats)
        base = timings["runner only"]
        for backend in repositories:
            measured = timings[backend]
            ratio = measured / base
            goal = GOALS.get((label, backend))
            verdict = "" if goal is None else f"  <= {goal}x {'met' if ratio <= goal else 'MISSED'}"
            print(
                f"{label:<14} {backend:<8} {base:>12.0f} {measured:>10.0f} {ratio:>7.2f}{verdict}",
                flush=True,
            )
        for name in floors:
            if f"{name} floor" in timings:
                floor = timings[f"{name} floor"]
                print(
                    f"{'':<14} {name:<8} {'':>12} {floor:>10.0f} {floor / base:>7.2f}"
                    "  the run's two writes alone, bare driver (floor)",
                    flush=True,
                )
    for delete in cleanup:
        delete()
    runner.close()
    sqlite.close()
    if postgres is not None:
        postgres.close()
        own_database(args.postgres_url, drop=True)


if __name__ == "__main__":
    main()
