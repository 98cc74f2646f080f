"""Fixtures of the engine tests: a recording SDK host and a runner per engine.

Every behaviour test runs on each engine it applies to: ``quickjs`` (in-process, the default),
``dukpy`` (in-process, trusted code only), ``v8`` (mini-racer, in-process) and the process pool
around quickjs, V8 and dukpy.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from esruntime.errors import SdkError
from esruntime.scripts.runner import RunLimits, RunResult, ScriptRunner

ALL_ENGINES = ["quickjs", "dukpy", "v8", "pool-quickjs", "pool-v8", "pool-dukpy"]
SANDBOXED = ["quickjs", "pool-quickjs", "pool-v8", "pool-dukpy"]
"""Engines that enforce every limit (dukpy in-process enforces none; V8 in-process has no
limit on ArrayBuffers)."""

CONTEXT: dict[str, Any] = {
    "tenantId": "tenant-1",
    "userId": 7,
    "organizationId": None,
    "scriptId": "script-1",
    "executionId": "execution-1",
    "input": {"amount": 12, "tags": ["a", "b"]},
    "trigger": {"type": "manual"},
}


class RecordingHost:
    """A real, small SDK host: records every call, echoes it back, fails on request.

    The first argument steers it: ``"fail"`` raises :class:`SdkError`, ``"crash"`` raises a
    plain exception, ``"sleep"`` sleeps for ``args[1]`` ms, ``"meet"`` waits until ``args[1]``
    calls are waiting together (which proves they run concurrently).
    """

    def __init__(self) -> None:
        self.calls: list[tuple[str, list[Any]]] = []
        self._lock = threading.Lock()
        self._meeting: threading.Barrier | None = None

    def call(self, name: str, args: list[Any]) -> Any:
        with self._lock:
            self.calls.append((name, args))
        first = args[0] if args else None
        if name.startswith("log."):
            return None
        if name == "db.begin":
            return "tx-1"
        if name in ("db.commit", "db.rollback"):
            return True
        if first == "fail":
            raise SdkError("Rate limit exceeded")
        if first == "crash":
            raise RuntimeError("the host broke")
        if first == "not json":
            return {1, 2}
        if first == "sleep":
            time.sleep(args[1] / 1000)
        if first == "meet":
            with self._lock:
                if self._meeting is None:
                    self._meeting = threading.Barrier(args[1])
            self._meeting.wait(timeout=120)
        return {"name": name, "args": args}

    def names(self) -> list[str]:
        return [name for name, _ in self.calls]


def make_runner(engine: str) -> ScriptRunner:
    if engine == "quickjs":
        from esruntime.scripts.engines import QuickJsRunner

        return QuickJsRunner()
    if engine == "dukpy":
        from esruntime.scripts.engines import DukpyRunner

        return DukpyRunner(trusted=True)
    if engine == "v8":
        from esruntime.scripts.engines import MiniRacerRunner

        return MiniRacerRunner()
    from esruntime.scripts.engines import ProcessPoolRunner

    return ProcessPoolRunner(engine=engine.removeprefix("pool-"), workers=2)


_pools: dict[str, ScriptRunner] = {}


@pytest.fixture(scope="session", autouse=True)
def _close_pools() -> Iterator[None]:
    yield
    for pool in _pools.values():
        pool.close()
    _pools.clear()


def runner_for(engine: str) -> ScriptRunner:
    """A runner of the engine: pools are started once per session, the others per call."""
    if engine.startswith("pool-"):
        if engine not in _pools:
            _pools[engine] = make_runner(engine)
        return _pools[engine]
    return make_runner(engine)


class Js:
    """Runs scripts on one engine with a fresh recording host per run."""

    def __init__(self, engine: str) -> None:
        self.engine = engine
        self.runner = runner_for(engine)
        self.host = RecordingHost()

    def run(
        self,
        source: str,
        *,
        context: Mapping[str, Any] = CONTEXT,
        limits: RunLimits | None = None,
        host: Any = None,
    ) -> RunResult:
        self.host = host or RecordingHost()
        return self.runner.run(
            source, context=context, host=self.host, limits=limits or RunLimits(timeout_ms=5_000)
        )

    def output(self, source: str, **kwargs: Any) -> Any:
        result = self.run(source, **kwargs)
        assert result.status == "completed", result.error
        return result.output

    def close(self) -> None:
        if not self.engine.startswith("pool-"):
            self.runner.close()


@pytest.fixture(params=ALL_ENGINES)
def js(request: pytest.FixtureRequest) -> Iterator[Js]:
    engine = Js(str(request.param))
    yield engine
    engine.close()


@pytest.fixture(params=SANDBOXED)
def sandboxed(request: pytest.FixtureRequest) -> Iterator[Js]:
    engine = Js(str(request.param))
    yield engine
    engine.close()
