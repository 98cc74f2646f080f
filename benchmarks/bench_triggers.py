"""Event triggers: how soon a script starts after an append, and how many events/s they run.

::

    python benchmarks/bench_triggers.py            # --quick for a smoke run; --help for knobs

**Latency** is from just before ``append`` to the run's ``started_at``, for events appended one
at a time (``--gap`` apart, so runs never queue): appended in the process running the triggers,
and from another process. Across processes on PostgreSQL it is measured with ``LISTEN/NOTIFY``
and without it (the consumer polling every 50 ms, the store's poll interval: the baseline).
**Throughput** is a backlog of ``--events`` events run by an event script, against the same
script run by ``runtime.scripts.execute`` in a loop. Each configuration has a tenant of its own;
PostgreSQL runs in a database of this benchmark's own (``--postgres-url`` names the server).
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import tempfile
import time
from typing import Any

import sqlalchemy
from sqlalchemy.engine import make_url

from esruntime import Event, SqlEventStore
from esruntime.runtime import Runtime
from esruntime.triggers import EventTriggerOptions

BENCH_DATABASE = "esruntime_bench_triggers"
SOURCE = "return context.trigger.eventPayload.n;"
POLL_MS = 50.0  # SqlEventStore's default poll interval
ctx = multiprocessing.get_context("spawn")


def options(listen: bool = True) -> EventTriggerOptions:
    return EventTriggerOptions(listen=listen, claim_jitter=0.0, refresh_interval=0.5)


def own_database(url: str, *, drop: bool = False) -> str:
    """A database of this benchmark's own beside ``url``'s."""
    admin = sqlalchemy.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {BENCH_DATABASE} WITH (FORCE)")
        if not drop:
            conn.exec_driver_sql(f"CREATE DATABASE {BENCH_DATABASE}")
    admin.dispose()
    return make_url(url).set(database=BENCH_DATABASE).render_as_string(hide_password=False)


def event_script(runtime: Runtime) -> str:
    script = runtime.scripts.create(
        name="bench", type="event", status="active", event_types=["bench.tick"], source=SOURCE
    )
    return script.id


def wait_until(condition: Any, limit: float = 300.0) -> None:
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the triggers did not catch up")
        time.sleep(0.005)


def caught_up(runtime: Runtime, script_id: str, position: int) -> bool:
    place = runtime.consumer_store.checkpoint(runtime.default_tenant, f"script:{script_id}")
    return place is not None and place >= position


def start_times(runtime: Runtime, script_id: str) -> dict[int, float]:
    runs, _ = runtime.scripts.repository.list_executions(
        runtime.default_tenant, script_id, limit=1_000_000
    )
    return {
        run.trigger.event_payload["n"]: run.started_at.timestamp()
        for run in runs
        if run.started_at is not None
    }


def percentiles(latencies: list[float]) -> tuple[float, float]:
    """p50 and p99 in milliseconds."""
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return statistics.median(ordered) * 1000, p99 * 1000


def append_spaced(store: Any, samples: int, gap: float) -> dict[int, float]:
    sent: dict[int, float] = {}
    for n in range(samples):
        sent[n] = time.time()
        store.append(Event("bench.tick", {"n": n}))
        time.sleep(gap)
    return sent


def latency_in_process(url: str, tenant: str, samples: int, gap: float) -> tuple[float, float]:
    with Runtime.from_url(url, default_tenant=tenant, event_triggers=options()) as runtime:
        runtime.start()
        script_id = event_script(runtime)
        wait_until(lambda: all(c.owns_lease for c in runtime.workers[0].consumers))  # type: ignore[attr-defined]
        sent = append_spaced(runtime.tenant().store, samples, gap)
        wait_until(lambda: caught_up(runtime, script_id, samples))
        started = start_times(runtime, script_id)
    return percentiles([started[n] - sent[n] for n in sent])


def run_triggers(url: str, tenant: str, listen: bool, ready: Any, stop: Any) -> None:
    """The child process: run the triggers until told to stop."""
    with Runtime.from_url(url, default_tenant=tenant, event_triggers=options(listen)) as runtime:
        runtime.start()
        workers: Any = runtime.workers[0]
        wait_until(lambda: workers.consumers and all(c.owns_lease for c in workers.consumers))
        if listen and url.startswith("postgresql"):
            wait_until(lambda: workers._listener.listening.is_set())
        ready.set()
        stop.wait(600)


def latency_across(
    url: str, tenant: str, samples: int, gap: float, listen: bool
) -> tuple[float, float]:
    with Runtime.from_url(url, default_tenant=tenant) as runtime:
        script_id = event_script(runtime)
        ready, stop = ctx.Event(), ctx.Event()
        child = ctx.Process(target=run_triggers, args=(url, tenant, listen, ready, stop))
        child.start()
        try:
            if not ready.wait(120):
                raise TimeoutError("the triggers process did not start")
            store = SqlEventStore(url, tenant, create_tables=False)
            sent = append_spaced(store, samples, gap)
            wait_until(lambda: caught_up(runtime, script_id, samples))
            started = start_times(runtime, script_id)
            store.close()
        finally:
            stop.set()
            child.join(60)
    return percentiles([started[n] - sent[n] for n in sent])


def throughput(url: str, tenant: str, events: int) -> tuple[float, float]:
    """Events/s run by the triggers from a backlog, and runs/s of ``execute`` in a loop."""
    with Runtime.from_url(url, default_tenant=tenant, event_triggers=options()) as runtime:
        script_id = event_script(runtime)
        runtime.consumer_store.ensure(tenant, f"script:{script_id}", 0)
        runtime.tenant().store.append([Event("bench.tick", {"n": n}) for n in range(events)])
        began = time.perf_counter()
        runtime.start()
        wait_until(lambda: caught_up(runtime, script_id, events))
        triggered = events / (time.perf_counter() - began)
        runtime.stop()
        began = time.perf_counter()
        for _ in range(events):
            runtime.scripts.execute(script_id)
        executed = events / (time.perf_counter() - began)
    return triggered, executed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=60, help="latency samples per setup")
    parser.add_argument("--gap", type=float, default=0.1, help="seconds between appends")
    parser.add_argument("--events", type=int, default=200, help="backlog for throughput")
    parser.add_argument("--repeats", type=int, default=3, help="throughput runs (median)")
    parser.add_argument("--postgres-url", default="postgresql+psycopg://postgres@127.0.0.1/test")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.samples, args.events, args.repeats = 10, 30, 1
    directory = tempfile.mkdtemp(prefix="esruntime-bench-triggers-")
    urls = {"memory": "memory://", "SQLite": f"sqlite:///{directory}/bench.db"}
    if not args.no_postgres:
        urls["PostgreSQL"] = own_database(args.postgres_url)
    tenants = (f"t{n}" for n in range(1000))
    try:
        print(f"Latency, append -> script start (ms; {args.samples} events, {args.gap} s apart)")
        print(f"{'setup':<48} {'p50':>8} {'p99':>8}")
        results: dict[str, tuple[float, float]] = {}
        for name, url in urls.items():
            results[f"{name}, same process"] = latency_in_process(
                url, next(tenants), args.samples, args.gap
            )
        results["SQLite, other process (polling)"] = latency_across(
            urls["SQLite"], next(tenants), args.samples, args.gap, listen=False
        )
        if "PostgreSQL" in urls:
            results["PostgreSQL, other process, LISTEN/NOTIFY"] = latency_across(
                urls["PostgreSQL"], next(tenants), args.samples, args.gap, listen=True
            )
            results["PostgreSQL, other process, polling (baseline)"] = latency_across(
                urls["PostgreSQL"], next(tenants), args.samples, args.gap, listen=False
            )
        for setup, (p50, p99) in results.items():
            print(f"{setup:<48} {p50:>8.1f} {p99:>8.1f}")
        print(f"\nRatios (same run; the consumers' poll interval is {POLL_MS:.0f} ms):")
        for setup, (p50, _) in results.items():
            print(f"- {setup}: p50 = {p50 / POLL_MS:.2f}x the poll interval")
        if "PostgreSQL" in urls:
            notify = results["PostgreSQL, other process, LISTEN/NOTIFY"]
            polling = results["PostgreSQL, other process, polling (baseline)"]
            print(
                f"- PostgreSQL across processes, polling / LISTEN-NOTIFY: p50 "
                f"{polling[0] / notify[0]:.2f}x, p99 {polling[1] / notify[1]:.2f}x"
            )

        print(f"\nThroughput ({args.events} events, median of {args.repeats})")
        print(f"{'store':<12} {'triggered/s':>12} {'execute/s':>12} {'ratio':>8}")
        for name, url in urls.items():
            runs = [throughput(url, next(tenants), args.events) for _ in range(args.repeats)]
            triggered = statistics.median(r[0] for r in runs)
            executed = statistics.median(r[1] for r in runs)
            print(f"{name:<12} {triggered:>12.0f} {executed:>12.0f} {triggered / executed:>7.2f}x")
    finally:
        if not args.no_postgres:
            own_database(args.postgres_url, drop=True)


if __name__ == "__main__":
    main()
