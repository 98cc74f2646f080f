"""Several processes on one database (PostgreSQL, and a SQLite file): each tick of a schedule
runs exactly once, and a process killed mid-run loses no tick and doubles none.

"Not doubled" for a run killed mid-way means: the tick ends with exactly one ``completed``
execution; the killed attempt is recorded ``failed`` with ``InterruptedError`` (it did not
finish, and what it did before it died is not undone). No tick ever has two completed runs.
"""

from __future__ import annotations

import itertools
import multiprocessing
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from esruntime.backends.sql.scripts import SqlScriptRepository
from esruntime.scripts.engines import QuickJsRunner
from esruntime.scripts.models import Execution
from esruntime.scripts.service import ScriptService
from tests.triggers.scheduler_workers import SharedClock, run_scheduler

ctx = multiprocessing.get_context("spawn")
pytestmark = pytest.mark.slow


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, sqlite_url: str) -> str:
    if request.param == "sqlite":
        return sqlite_url
    url: str = request.getfixturevalue("clean_postgres_url")
    return url


@pytest.fixture
def clock() -> SharedClock:
    # One clock minute per real second, from a minute's 30th second.
    return SharedClock(datetime(2026, 5, 1, 11, 58, 30, tzinfo=UTC), time.time(), 60.0)


@pytest.fixture
def service(db_url: str, clock: SharedClock) -> Iterator[ScriptService]:
    repository = SqlScriptRepository(db_url)
    service = ScriptService(repository, QuickJsRunner(), clock=clock)
    yield service
    service.close()
    repository.engine.dispose()


class Worker:
    def __init__(self, url: str, clock: SharedClock, lease_s: float) -> None:
        self.ready, self.stop = ctx.Event(), ctx.Event()
        self.process = ctx.Process(
            target=run_scheduler, args=(url, clock, lease_s, self.ready, self.stop), daemon=True
        )
        self.process.start()
        assert self.ready.wait(60)

    def finish(self) -> None:
        self.stop.set()
        self.process.join(60)
        assert self.process.exitcode == 0


def all_runs(service: ScriptService, script_id: str) -> list[Execution]:
    return list(service.executions(script_id, limit=100).items)


def wait_for(condition: Callable[[], Any], limit: float = 60.0) -> Any:
    deadline = time.monotonic() + limit
    while not (found := condition()):
        assert time.monotonic() < deadline, "the condition did not come true in time"
        time.sleep(0.05)
    return found


@pytest.mark.parametrize("processes", [2, 3])
def test_each_tick_runs_exactly_once_across_processes(
    db_url: str, clock: SharedClock, service: ScriptService, processes: int
) -> None:
    script = service.create(
        name="every minute",
        type="scheduled",
        status="active",
        cron_expression="* * * * *",
        source="return context.input.scheduledAt;",
    )
    script_id = script.id
    workers = [Worker(db_url, clock, lease_s=5.0) for _ in range(processes)]
    try:
        wait_for(lambda: service.executions(script_id, status="completed").total >= 8)
    finally:
        for worker in workers:
            worker.finish()
    runs = all_runs(service, script_id)
    assert {run.status for run in runs} == {"completed"}
    ticks = Counter(run.input["scheduledAt"] for run in runs)
    assert max(ticks.values()) == 1, ticks  # no tick ran twice
    assert script.created_at is not None
    first = script.created_at.replace(second=0, microsecond=0) + timedelta(minutes=1)
    assert min(ticks) == first.isoformat().replace("+00:00", "Z")  # the first tick after creation
    assert lost_ticks(runs, clock) == []


def lost_ticks(runs: list[Execution], clock: SharedClock) -> list[str]:
    """The ticks between two runs that neither covered.

    A run covers its tick (``scheduledAt``) and, when it started late, the ticks that fell due
    before it was claimed (missed ticks run once); the next run is then for the first tick
    after the claim. The claim came just before the execution was recorded (``created_at``,
    real time, read on the shared clock), so the next run's tick may be no later than the first
    tick after that moment: a later one means the ticks in between never ran.
    """
    ordered = sorted(runs, key=lambda run: run.input["scheduledAt"])
    lost: list[str] = []
    for run, following in itertools.pairwise(ordered):
        assert run.created_at is not None
        claimed_by = clock.start + timedelta(
            seconds=(run.created_at.timestamp() - clock.origin) * clock.speed
        )
        latest_next = claimed_by.replace(second=0, microsecond=0) + timedelta(minutes=1)
        missing = latest_next
        while missing < datetime.fromisoformat(following.input["scheduledAt"]):
            lost.append(missing.isoformat())
            missing += timedelta(minutes=1)
    return lost


def test_a_process_killed_mid_run_loses_no_tick_and_doubles_none(
    db_url: str, clock: SharedClock, service: ScriptService
) -> None:
    script_id = service.create(
        name="slow job",
        type="scheduled",
        status="active",
        cron_expression="* * * * *",
        # Busy for 1.5 real seconds: long enough to be killed in the middle.
        source="const end = Date.now() + 1500; while (Date.now() < end) {} return 'done';",
        limits={"max_execution_time_ms": 20_000},
    ).id
    first = Worker(db_url, clock, lease_s=2.0)
    running = wait_for(
        lambda: next((r for r in all_runs(service, script_id) if r.status == "running"), None)
    )
    first.process.kill()  # SIGKILL: no cleanup of any kind
    first.process.join(60)
    tick = running.input["scheduledAt"]

    second = Worker(db_url, clock, lease_s=2.0)
    try:
        wait_for(
            lambda: [
                r
                for r in all_runs(service, script_id)
                if r.input["scheduledAt"] == tick and r.status == "completed"
            ]
        )
        wait_for(lambda: service.executions(script_id, status="completed").total >= 3)
    finally:
        second.finish()

    runs = all_runs(service, script_id)
    of_tick = sorted(
        (r.status, r.error.name if r.error else None)
        for r in runs
        if r.input["scheduledAt"] == tick
    )
    assert of_tick == [("completed", None), ("failed", "InterruptedError")]
    assert service.execution(running.id).status == "failed"
    completed = Counter(r.input["scheduledAt"] for r in runs if r.status == "completed")
    assert max(completed.values()) == 1, completed
    assert {r.status for r in runs if r.input["scheduledAt"] != tick} == {"completed"}
    assert all(r.trigger.type == "cron" for r in runs)
