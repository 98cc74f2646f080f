"""How a run is written: when it starts (``running``) and when it ends, on every repository.

A run admitted at once is never written ``pending``; its record is complete after the second
write; and a run in progress shows as ``running`` in the history for as long as it runs (the
script is held open on an event the test controls, so nothing depends on timing).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from esruntime.protocols import ScriptRepository
from esruntime.scripts.models import Execution, Trigger
from esruntime.scripts.runner import SdkHost
from esruntime.scripts.service import ScriptService
from tests.scripts.runners import PythonRunner

WAIT = 120.0  # a bound for a stuck test; a healthy one never waits that long


class Counted:
    """``repository`` with the execution writes it receives listed (every call is passed on)."""

    WRITES = ("add_execution", "start_execution", "save_execution")

    def __init__(self, repository: ScriptRepository) -> None:
        self.repository = repository
        self.writes: list[tuple[str, str]] = []

    def __getattr__(self, name: str) -> Any:
        found = getattr(self.repository, name)
        if name not in self.WRITES:
            return found

        def write(execution: Execution, **options: Any) -> Any:
            self.writes.append((name, execution.status))
            return found(execution, **options)

        return write


def test_a_run_admitted_at_once_is_written_when_it_starts_and_when_it_ends(
    repository: ScriptRepository, runner: PythonRunner
) -> None:
    counted = Counted(repository)
    service = ScriptService(counted, runner, default_tenant="acme")

    @runner.script("log")
    def log(context: Mapping[str, Any], host: SdkHost) -> Any:
        host.call("log.info", ["hello"])
        return {"doubled": context["input"]["n"] * 2}

    script = service.create(name="logging", type="oneoff", source="py:log")
    execution = service.execute(script.id, {"n": 21}, trigger=Trigger.manual(), user_id="u1")

    assert counted.writes == [("start_execution", "running"), ("save_execution", "completed")]
    stored = service.execution(execution.id)
    assert stored == execution
    assert (stored.status, stored.output, stored.input, stored.user_id) == (
        "completed",
        {"doubled": 42},
        {"n": 21},
        "u1",
    )
    assert stored.script_version == script.version
    assert stored.trigger == Trigger.manual()
    assert [line.message for line in stored.logs] == ["hello"]
    assert stored.metrics.duration_ms >= 0
    assert stored.created_at is not None
    assert stored.started_at is not None
    assert stored.completed_at is not None
    assert stored.created_at <= stored.started_at <= stored.completed_at
    assert service.executions(script.id).total == 1


def test_a_run_in_progress_shows_as_running_until_it_ends(
    service: ScriptService, runner: PythonRunner
) -> None:
    started, release = threading.Event(), threading.Event()

    @runner.script("held")
    def held(context: Mapping[str, Any], host: SdkHost) -> Any:
        started.set()
        assert release.wait(WAIT)
        return "done"

    script = service.create(name="held run", type="oneoff", source="py:held")
    with ThreadPoolExecutor(1) as threads:
        run = threads.submit(service.execute, script.id)
        assert started.wait(WAIT)
        history = service.executions(script.id)
        assert [e.status for e in history.items] == ["running"]
        assert history.items[0].started_at is not None
        assert history.items[0].completed_at is None
        assert service.executions(script.id, status="running").total == 1
        release.set()
        finished = run.result(WAIT)
    assert finished.status == "completed"
    assert [e.status for e in service.executions(script.id).items] == ["completed"]
    assert service.execution(finished.id) == finished


def test_a_run_refused_by_max_concurrent_runs_is_recorded_cancelled_once(
    repository: ScriptRepository, runner: PythonRunner
) -> None:
    counted = Counted(repository)
    service = ScriptService(counted, runner, default_tenant="acme")
    started, release = threading.Event(), threading.Event()

    @runner.script("held")
    def held(context: Mapping[str, Any], host: SdkHost) -> Any:
        started.set()
        assert release.wait(WAIT)
        return "done"

    script = service.create(
        name="one at a time", type="oneoff", source="py:held", limits={"max_concurrent_runs": 1}
    )
    with ThreadPoolExecutor(1) as threads:
        first = threads.submit(service.execute, script.id)
        assert started.wait(WAIT)
        refused = service.execute(script.id)
        release.set()
        assert first.result(WAIT).status == "completed"
    assert refused.status == "cancelled"
    assert refused.error is not None
    assert refused.error.name == "ConcurrencyLimitError"
    assert service.execution(refused.id) == refused
    assert sorted(counted.writes) == sorted(
        [
            ("start_execution", "running"),  # the first run
            ("start_execution", "running"),  # the second, refused: nothing written
            ("save_execution", "cancelled"),
            ("save_execution", "completed"),
        ]
    )
