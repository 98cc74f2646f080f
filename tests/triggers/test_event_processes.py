"""Event triggers in several processes on one PostgreSQL database: each script's consumer is
owned by one process at a time, the work is shared, and a killed process is taken over."""

from __future__ import annotations

import multiprocessing
import os
import queue
import signal
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from esruntime.backends.sql.tables import consumers
from esruntime.events import Event
from esruntime.runtime import Runtime
from tests.triggers.helpers import all_executions, wait_for
from tests.triggers.process_workers import WAIT_SECONDS, run_triggers

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

ctx = multiprocessing.get_context("spawn")
SCRIPTS = 8
EVENTS = 150
ECHO = "return context.trigger.eventPayload.n;"


class Fleet:
    """Processes running the triggers, started and stopped together."""

    def __init__(self, url: str, count: int, stop: str) -> None:
        self.go = ctx.Event()
        self.stop = stop
        self.out: Any = ctx.Queue()
        self.processes = [
            ctx.Process(target=run_triggers, args=(url, self.go, self.stop, self.out), daemon=True)
            for _ in range(count)
        ]
        for process in self.processes:
            process.start()
        for _ in self.processes:
            self.take("ready")

    def take(self, kind: str) -> tuple[int, Any]:
        try:
            got, pid, value = self.out.get(timeout=WAIT_SECONDS)
        except queue.Empty:
            pytest.fail(f"no child said {kind!r} within {WAIT_SECONDS} s")
        assert got == kind, value
        return pid, value

    def finish(self, alive: int) -> dict[int, dict[str, int]]:
        with open(self.stop, "w"):
            pass
        reports = dict(self.take("done") for _ in range(alive))
        for process in self.processes:
            process.join(WAIT_SECONDS)
        return reports

    def kill_all(self) -> None:
        for process in self.processes:
            if process.is_alive():
                process.kill()


@pytest.fixture
def database(clean_postgres_url: str) -> Iterator[tuple[Runtime, list[str]]]:
    """A database with event scripts and a backlog of events, and the ids of the scripts."""
    with Runtime.from_url(clean_postgres_url) as runtime:
        ids = [
            runtime.scripts.create(
                name=f"watcher {i}",
                type="event",
                status="active",
                event_types=["order.created"],
                source=ECHO,
            ).id
            for i in range(SCRIPTS)
        ]
        for script_id in ids:  # each script starts before the backlog
            runtime.consumer_store.ensure("default", f"script:{script_id}", 0)
        store = runtime.tenant().store
        store.append([Event("order.created", {"n": n}) for n in range(EVENTS)])
        yield runtime, ids


def lease_owners(runtime: Runtime) -> list[str]:
    """The owners of the consumers' leases, as stored."""
    engine = runtime.consumer_store.engine  # type: ignore[attr-defined]
    with engine.connect() as conn:
        rows = conn.execute(select(consumers.c.owner).where(consumers.c.owner.is_not(None)))
        return [row[0] for row in rows]


def counts(runtime: Runtime, script_id: str) -> Counter[int]:
    """How many completed runs each event had."""
    runs = all_executions(runtime, script_id)
    return Counter(r.trigger.event_payload["n"] for r in runs if r.status == "completed")


def cut_short(runtime: Runtime, script_id: str) -> list[int]:
    """The events whose run never completed (a killed process left it ``running``)."""
    runs = all_executions(runtime, script_id)
    return [r.trigger.event_payload["n"] for r in runs if r.status != "completed"]


def total_runs(runtime: Runtime, ids: list[str]) -> int:
    return sum(sum(counts(runtime, i).values()) for i in ids)


def everything_ran(runtime: Runtime, ids: list[str]) -> bool:
    return all(set(counts(runtime, i)) == set(range(EVENTS)) for i in ids)


def test_three_processes_share_the_scripts_and_run_each_event_once(
    database: tuple[Runtime, list[str]], clean_postgres_url: str, tmp_path: Path
) -> None:
    runtime, ids = database
    fleet = Fleet(clean_postgres_url, 3, str(tmp_path / "stop"))
    try:
        fleet.go.set()
        wait_for(lambda: everything_ran(runtime, ids), limit=WAIT_SECONDS, interval=0.5)
        reports = fleet.finish(3)
    finally:
        fleet.kill_all()
    for script_id in ids:
        assert counts(runtime, script_id) == dict.fromkeys(range(EVENTS), 1)
    handled = Counter[str]()
    for report in reports.values():
        handled.update(report)
    assert handled == dict.fromkeys((f"script:{i}" for i in ids), EVENTS)
    working = [pid for pid, report in reports.items() if sum(report.values())]
    assert len(working) >= 2, reports


def test_a_killed_process_is_taken_over_and_nothing_is_lost(
    database: tuple[Runtime, list[str]], clean_postgres_url: str, tmp_path: Path
) -> None:
    runtime, ids = database
    fleet = Fleet(clean_postgres_url, 2, str(tmp_path / "stop"))
    try:
        fleet.go.set()
        total = SCRIPTS * EVENTS
        wait_for(lambda: total_runs(runtime, ids) >= total // 4, interval=0.2)
        victim = fleet.processes[0]
        assert victim.pid is not None
        wait_for(lambda: f":{victim.pid}:" in " ".join(lease_owners(runtime)))
        os.kill(victim.pid, signal.SIGKILL)
        victim.join(WAIT_SECONDS)
        wait_for(lambda: everything_ran(runtime, ids), limit=WAIT_SECONDS, interval=0.5)
        fleet.finish(1)
    finally:
        fleet.kill_all()
    for script_id in ids:
        # Each event ran to completion exactly once, also the one whose run was recorded just
        # before the kill (its checkpoint had not moved: the taker found the run and skipped it).
        assert counts(runtime, script_id) == dict.fromkeys(range(EVENTS), 1)
        # Only a run the kill cut short (never recorded as completed) was started twice.
        assert len(cut_short(runtime, script_id)) <= 1
