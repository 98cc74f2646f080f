"""The process pool: workers killed, crashed, hostile or orphaned are replaced or gone, and
nothing outlives ``close()``."""

from __future__ import annotations

import gc
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from esruntime.errors import ConfigurationError, ScriptRunnerError
from esruntime.scripts.engines import ProcessPoolRunner
from esruntime.scripts.runner import RunLimits
from tests.scripts.engines.conftest import RecordingHost


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def eventually(condition: Callable[[], bool], *, within: float = 120.0) -> bool:
    """Wait for a condition the system reaches asynchronously (a process exiting)."""
    give_up = time.monotonic() + within
    while not condition():
        if time.monotonic() > give_up:
            return False
        time.sleep(0.02)
    return True


def ready_pids(pool: ProcessPoolRunner, count: int) -> list[int]:
    assert eventually(lambda: len(pool.pids()) == count)
    return pool.pids()


@pytest.fixture
def pool() -> Iterator[ProcessPoolRunner]:
    runner = ProcessPoolRunner(engine="quickjs", workers=1)
    yield runner
    runner.close()


class BlockingHost(RecordingHost):
    """Holds every SDK call until released, and says when the first one arrived."""

    def __init__(self) -> None:
        super().__init__()
        self.arrived = threading.Event()
        self.release = threading.Event()

    def call(self, name: str, args: list[Any]) -> Any:
        self.arrived.set()
        self.release.wait(120)
        return super().call(name, args)


class SignallingHost(RecordingHost):
    """Says when the first SDK call arrived."""

    def __init__(self) -> None:
        super().__init__()
        self.arrived = threading.Event()

    def call(self, name: str, args: list[Any]) -> Any:
        self.arrived.set()
        return super().call(name, args)


def test_a_worker_killed_mid_run_fails_that_run_and_is_replaced(pool: ProcessPoolRunner) -> None:
    [victim] = ready_pids(pool, 1)
    host = BlockingHost()
    results: list[Any] = []
    thread = threading.Thread(
        target=lambda: results.append(
            pool.run("await sdk.http.get('k')", context={}, host=host, limits=RunLimits())
        )
    )
    thread.start()
    assert host.arrived.wait(120)
    os.kill(victim, signal.SIGKILL)
    thread.join(120)
    host.release.set()
    [result] = results
    assert result.status == "failed"
    assert result.error.name == "EngineError"
    assert result.error.message == "the script's worker process failed (killed by SIGKILL)"
    [replacement] = ready_pids(pool, 1)
    assert replacement != victim
    assert not alive(victim)
    assert pool.run("return 2", context={}, host=RecordingHost(), limits=RunLimits()).output == 2


def test_a_worker_that_cannot_stop_its_script_is_killed_at_the_deadline() -> None:
    with ProcessPoolRunner(engine="dukpy", workers=1) as pool:
        [before] = ready_pids(pool, 1)
        result = pool.run(
            "for (;;) {}", context={}, host=RecordingHost(), limits=RunLimits(timeout_ms=300)
        )
        assert result.status == "timeout"
        assert result.error is not None
        assert result.error.message == "Script exceeded its time limit of 300 ms"
        assert eventually(lambda: not alive(before))
        [after] = ready_pids(pool, 1)
        assert after != before
        assert (
            pool.run("return 3", context={}, host=RecordingHost(), limits=RunLimits()).output == 3
        )


def test_a_quickjs_worker_stops_its_own_script_and_stays(pool: ProcessPoolRunner) -> None:
    [before] = ready_pids(pool, 1)
    result = pool.run(
        "for (;;) {}", context={}, host=RecordingHost(), limits=RunLimits(timeout_ms=300)
    )
    assert result.status == "timeout"
    assert pool.pids() == [before]


def test_runs_queue_for_a_free_worker(pool: ProcessPoolRunner) -> None:
    ready_pids(pool, 1)

    def run(n: int) -> Any:
        limits = RunLimits()
        return pool.run(f"return {n}", context={}, host=RecordingHost(), limits=limits).output

    outputs: list[Any] = []
    threads = [threading.Thread(target=lambda n=n: outputs.append(run(n))) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert sorted(outputs) == list(range(6))


def test_close_stops_every_worker_and_leaves_no_process() -> None:
    pool = ProcessPoolRunner(engine="quickjs", workers=3)
    pids = ready_pids(pool, 3)
    assert all(alive(pid) for pid in pids)
    pool.close()
    assert not any(alive(pid) for pid in pids)
    assert pool.pids() == []
    with pytest.raises(ScriptRunnerError, match="closed"):
        pool.run("return 1", context={}, host=RecordingHost(), limits=RunLimits())
    pool.close()


def test_close_during_a_run_ends_it_and_leaves_no_process() -> None:
    pool = ProcessPoolRunner(engine="dukpy", workers=1)
    [pid] = ready_pids(pool, 1)
    results: list[Any] = []
    limits = RunLimits(timeout_ms=60_000)
    host = SignallingHost()
    source = "await sdk.cache.get('k');\nfor (;;) {}"
    thread = threading.Thread(
        target=lambda: results.append(pool.run(source, context={}, host=host, limits=limits))
    )
    thread.start()
    assert host.arrived.wait(120)
    pool.close()
    thread.join(120)
    [result] = results
    assert result.status == "failed"
    assert result.error.message == "the script runner was closed"
    assert not alive(pid)


def test_a_pool_never_closed_kills_its_workers_when_collected() -> None:
    pool = ProcessPoolRunner(engine="quickjs", workers=2)
    pids = ready_pids(pool, 2)
    del pool
    gc.collect()
    assert eventually(lambda: not any(alive(pid) for pid in pids))


def test_workers_exit_when_their_parent_dies(tmp_path: Path) -> None:
    program = textwrap.dedent(
        """
        import sys, time
        from esruntime.scripts.engines import ProcessPoolRunner
        pool = ProcessPoolRunner(engine="quickjs", workers=2)
        while len(pool.pids()) < 2:
            time.sleep(0.02)
        print(*pool.pids(), flush=True)
        time.sleep(60)
        """
    )
    with subprocess.Popen(
        [sys.executable, "-c", program], stdout=subprocess.PIPE, text=True
    ) as parent:
        assert parent.stdout is not None
        pids = [int(pid) for pid in parent.stdout.readline().split()]
        assert len(pids) == 2
        assert all(alive(pid) for pid in pids)
        parent.kill()
    # orphans are reparented; the ones of this test are reaped by init once they exit
    assert eventually(lambda: not any(alive(pid) and _not_zombie(pid) for pid in pids))


def _not_zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def test_bad_pool_settings_are_refused() -> None:
    with pytest.raises(ConfigurationError, match="unknown script engine 'spidermonkey'"):
        ProcessPoolRunner(engine="spidermonkey")
    with pytest.raises(ConfigurationError, match="at least one worker"):
        ProcessPoolRunner(workers=0)


def _fake_worker(tmp_path: Path, behaviour: str) -> Path:
    """A program in place of the Python interpreter, speaking the protocol as told."""
    program = tmp_path / "fake_worker.py"
    program.write_text(
        textwrap.dedent(
            f"""
            import json, os, sys
            from multiprocessing.connection import Connection
            out = Connection(os.dup(1), readable=False)
            inp = Connection(0, writable=False)
            behaviour = {behaviour!r}
            if behaviour == "exit":
                sys.exit(5)
            out.send_bytes(b'{{"op": "ready"}}')
            while True:
                request = json.loads(inp.recv_bytes())
                if behaviour == "garbage":
                    out.send_bytes(b"\\x80 not json")
                elif behaviour == "forged call":
                    call = {{"op": "call", "id": 1, "name": "os.system", "args": ["rm -rf /"]}}
                    out.send_bytes(json.dumps(call).encode())
                elif behaviour == "forged result":
                    result = {{"status": "completed", "output": "x" * 5000, "error": None,
                               "duration_ms": 1.0, "memory_bytes": None}}
                    out.send_bytes(json.dumps({{"op": "done", "result": result}}).encode())
                elif behaviour == "huge frame":
                    out.send_bytes(b"[" * (8 * 1024 * 1024))
            """
        )
    )
    wrapper = tmp_path / "python"
    wrapper.write_text(f"#!/bin/sh\nexec {sys.executable} {program}\n")
    wrapper.chmod(0o755)
    return wrapper


@pytest.mark.parametrize(
    ("behaviour", "message"),
    [
        ("garbage", "the script's worker process failed (a frame is not JSON)"),
        ("forged call", "the script's worker sent a malformed SDK call"),
        ("forged result", "the script's worker answered badly"),
        ("huge frame", "the script's worker process failed"),
    ],
)
def test_a_hostile_worker_fails_its_run_and_reaches_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, behaviour: str, message: str
) -> None:
    monkeypatch.setattr(sys, "executable", str(_fake_worker(tmp_path, behaviour)))
    host = RecordingHost()
    limits = RunLimits(output_bytes=1000, memory_bytes=2 * 2**20)
    with ProcessPoolRunner(engine="quickjs", workers=1) as pool:
        ready_pids(pool, 1)
        result = pool.run("return 1", context={}, host=host, limits=limits)
    assert result.status == "failed"
    assert result.error is not None
    assert result.error.name == "EngineError"
    assert result.error.message.startswith(message)
    assert host.calls == []


def test_workers_that_cannot_start_make_runs_fail_clearly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "executable", str(_fake_worker(tmp_path, "exit")))
    with (
        ProcessPoolRunner(engine="quickjs", workers=1) as pool,
        pytest.raises(
            ScriptRunnerError, match="no script worker is running: a quickjs script worker failed"
        ),
    ):
        pool.run("return 1", context={}, host=RecordingHost(), limits=RunLimits())


@pytest.mark.slow
def test_the_cpu_limit_kills_a_worker_the_parent_would_wait_for() -> None:
    with ProcessPoolRunner(engine="dukpy", workers=1, kill_grace_ms=60_000) as pool:
        ready_pids(pool, 1)
        result = pool.run(
            "for (;;) {}", context={}, host=RecordingHost(), limits=RunLimits(timeout_ms=500)
        )
    assert result.status == "timeout"
    assert result.duration_ms < 60_000
