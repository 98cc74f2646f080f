"""Tenants share the script runner fairly: one tenant's endless loops cannot hold every worker.

The pool tests run real quickjs-ng workers; the loops of tenant A hold their workers until the
pool is closed, so everything the tests assert happens while they are still running.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from esruntime.errors import ConfigurationError, ScriptBusyError
from esruntime.runtime import Runtime
from esruntime.scripts import InMemoryScriptRepository, RunCapacity, ScriptService
from esruntime.scripts.capacity import CapacityBusy, RunGate, default_share
from esruntime.scripts.engines import ProcessPoolRunner, QuickJsRunner
from esruntime.scripts.models import Execution

ENDLESS = "while (true) {}"
EVENTUALLY = 120.0
"""How long a test waits for something that must happen (a bound for a broken build only)."""


def wait_until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + EVENTUALLY
    while not condition():
        assert time.monotonic() < deadline, f"never happened: {what}"
        time.sleep(0.02)


@contextmanager
def threads_of(service: ScriptService, count: int) -> Iterator[ThreadPoolExecutor]:
    """Threads for runs; on the way out the service is closed first, which ends the runs still
    going (so a failing test does not wait for endless loops)."""
    with ThreadPoolExecutor(count) as threads:
        try:
            yield threads
        finally:
            service.close()


def running(service: ScriptService, script_id: str, tenant: str) -> int:
    return service.executions(script_id, tenant=tenant, status="running").total


def pending(service: ScriptService, script_id: str, tenant: str) -> int:
    return service.executions(script_id, tenant=tenant, status="pending").total


def script(service: ScriptService, tenant: str, name: str, source: str) -> str:
    created = service.create(
        tenant=tenant,
        name=name,
        source=source,
        type="embedded",
        limits={"max_execution_time_ms": 300_000, "max_concurrent_runs": 10},
    )
    return created.id


@pytest.fixture
def pool() -> Iterator[ProcessPoolRunner]:
    runner = ProcessPoolRunner(engine="quickjs", workers=3)
    yield runner
    runner.close()


def test_a_tenants_endless_loops_leave_a_worker_for_other_tenants(
    pool: ProcessPoolRunner,
) -> None:
    """Tenant A asks for every worker; it gets all but one, and B's quick run takes that one."""
    service = ScriptService(InMemoryScriptRepository(), pool, capacity=RunCapacity(wait_s=300))
    loop = script(service, "tenant-a", "spin forever", ENDLESS)
    quick = script(service, "tenant-b", "answer", "return 1;")
    with threads_of(service, 3) as threads:
        loops = [threads.submit(service.execute, loop, tenant="tenant-a") for _ in range(3)]
        wait_until(
            lambda: (
                (running(service, loop, "tenant-a"), pending(service, loop, "tenant-a")) == (2, 1)
            ),
            "two of A's loops run, the third waits in line",
        )

        answer = service.execute(quick, tenant="tenant-b")

        assert answer.status == "completed"
        assert answer.output == 1
        assert not any(future.done() for future in loops)  # A's loops are still going
        assert running(service, loop, "tenant-a") == 2
        service.close()  # kills the workers: A's runs end as failed runs
        assert {future.result().status for future in loops} == {"failed"}


def test_the_runtime_of_esruntime_serve_shares_a_two_worker_pool(tmp_path: Path) -> None:
    """``esruntime serve`` runs scripts on ``Runtime(script_runner=ProcessPoolRunner)``: two of
    tenant A's endless loops on a two-worker pool no longer make tenant B's run wait."""
    url = f"sqlite:///{tmp_path}/serve.db"
    with Runtime.from_url(url, script_runner=lambda: ProcessPoolRunner(workers=2)) as runtime:
        service = runtime.scripts
        loop = script(service, "tenant-a", "spin forever", ENDLESS)
        script(service, "tenant-b", "answer", "return 1;")
        with threads_of(service, 2) as threads:
            loops = [threads.submit(service.execute, loop, tenant="tenant-a") for _ in range(2)]
            wait_until(
                lambda: (
                    (running(service, loop, "tenant-a"), pending(service, loop, "tenant-a"))
                    == (1, 1)
                ),
                "one of A's loops runs, the other waits in line",
            )

            assert service.call("answer", tenant="tenant-b") == 1
            assert not any(future.done() for future in loops)
            service.close()
            assert {future.result().status for future in loops} == {"failed"}


def test_a_run_beyond_the_tenants_share_fails_clearly_after_the_wait(
    pool: ProcessPoolRunner,
) -> None:
    service = ScriptService(InMemoryScriptRepository(), pool, capacity=RunCapacity(wait_s=0.2))
    loop = script(service, "tenant-a", "spin forever", ENDLESS)
    with threads_of(service, 2) as threads:
        loops = [threads.submit(service.execute, loop, tenant="tenant-a") for _ in range(2)]
        wait_until(lambda: running(service, loop, "tenant-a") == 2, "tenant A's loops run")

        third = service.execute(loop, tenant="tenant-a")
        with pytest.raises(ScriptBusyError) as refused:
            service.call("spin forever", tenant="tenant-a")

        assert third.status == "cancelled"
        assert third.error is not None
        assert third.error.name == "CapacityError"
        assert third.error.message == (
            "The tenant's script capacity is busy: 2 run(s) of tenant 'tenant-a' are running "
            "(runs_per_tenant) and none ended within 0.2 s; this one was not run"
        )
        assert third.started_at is None
        assert service.execution(third.id, tenant="tenant-a") == third
        assert refused.value.name == "CapacityError"
        assert not any(future.done() for future in loops)
        service.close()


def test_when_every_worker_is_taken_a_run_fails_clearly_after_the_wait(
    pool: ProcessPoolRunner,
) -> None:
    service = ScriptService(InMemoryScriptRepository(), pool, capacity=RunCapacity(wait_s=0.2))
    loops: list[Future[Execution]] = []
    with threads_of(service, 3) as threads:
        for tenant in ("tenant-a", "tenant-b", "tenant-c"):
            loop = script(service, tenant, "spin forever", ENDLESS)
            loops.append(threads.submit(service.execute, loop, tenant=tenant))
            wait_until(lambda: running(service, loop, tenant) == 1, f"{tenant}'s loop runs")  # noqa: B023
        quick = script(service, "tenant-d", "answer", "return 1;")

        refused = service.execute(quick, tenant="tenant-d")

        assert refused.status == "cancelled"
        assert refused.error is not None
        assert refused.error.message == (
            "The script runner is busy: all 3 of its runs at once are taken and none ended "
            "within 0.2 s; this one was not run"
        )
        service.close()


def test_a_waiting_run_starts_as_soon_as_a_run_of_its_tenant_ends() -> None:
    """On an in-process runner the share is off by default, and applies when it is given."""
    release = threading.Event()

    class HeldHttp:
        """sdk.http whose requests wait until the test lets them answer."""

        def request(
            self, method: str, url: str, body: Any = None, options: Mapping[str, Any] | None = None
        ) -> Any:
            release.wait(EVENTUALLY)
            return {"status": 200, "headers": {}, "body": url}

    with QuickJsRunner() as runner:
        service = ScriptService(
            InMemoryScriptRepository(),
            runner,
            http=HeldHttp(),
            capacity=RunCapacity(runs_per_tenant=1, wait_s=EVENTUALLY),
        )
        held = script(service, "tenant-a", "held", "return (await sdk.http.get('a')).body;")
        quick = script(service, "tenant-b", "answer", "return 1;")
        with ThreadPoolExecutor(2) as threads:
            first = threads.submit(service.execute, held, tenant="tenant-a")
            wait_until(lambda: running(service, held, "tenant-a") == 1, "the first run")
            second = threads.submit(service.execute, held, tenant="tenant-a")
            wait_until(lambda: pending(service, held, "tenant-a") == 1, "the second run waits")

            assert service.execute(quick, tenant="tenant-b").output == 1  # B is not in line
            assert not second.done()
            release.set()
            assert first.result().output == "a"
            assert second.result().output == "a"


def test_the_default_share_leaves_one_slot_for_other_tenants() -> None:
    assert [default_share(slots) for slots in (None, 1, 2, 3, 16)] == [None, 1, 1, 2, 15]


def test_a_gate_counts_runs_per_tenant_and_frees_them_when_a_run_ends() -> None:
    gate = RunGate(slots=2, per_tenant=1, wait_s=0)
    with gate.admit("a"):
        assert gate.running("a") == 1
        with pytest.raises(CapacityBusy, match="tenant 'a' are running"), gate.admit("a"):
            pass
        with gate.admit("b"):
            assert gate.running("b") == 1
    assert (gate.running("a"), gate.running("b")) == (0, 0)


@pytest.mark.parametrize(
    "capacity",
    [{"runs_per_tenant": 0}, {"runs_per_tenant": True}, {"wait_s": -1}, {"wait_s": 7200}],
)
def test_an_impossible_capacity_is_refused(capacity: dict[str, Any]) -> None:
    with pytest.raises(ConfigurationError, match=r"^RunCapacity\."):
        RunCapacity(**capacity)
