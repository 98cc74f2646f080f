"""The process-pool runner: scripts of untrusted tenants, each run in a worker process.

``workers`` processes (``python -m esruntime.scripts.engines.worker ENGINE``) run one script
at a time each, on any engine. A worker lowers its RLIMIT_AS and RLIMIT_CPU to what each run
may use; the parent kills it if the run outlives its deadline (plus ``kill_grace_ms`` for the
engines that stop scripts themselves; at once for dukpy, which cannot) and starts a
replacement in the background, so a crash or a kill never touches the other runs. A worker's
SDK calls come to the parent over its pipe and are performed with the caller's host: the
network calls (``http.*``, ``db.*``) on a thread pool, the quick ones in order on the calling
thread, as in process (:mod:`~esruntime.scripts.engines.bridge`). Nothing but checked JSON crosses
back: a compromised worker cannot reach the parent's objects.

``close()`` stops every worker and waits for it; processes left behind by a pool that is never
closed are killed when it is garbage-collected or the interpreter exits.
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import subprocess
import threading
import time
import weakref
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Self

from esruntime.errors import ConfigurationError, ScriptRunnerError
from esruntime.scripts.engines.bridge import BACKGROUND_CALLS, check_limits, perform
from esruntime.scripts.engines.failures import engine_failure, timeout_failure
from esruntime.scripts.engines.payload import script_context
from esruntime.scripts.engines.protocol import Channel, ProtocolError, read_result
from esruntime.scripts.engines.workers import WorkerProcess, kill_all
from esruntime.scripts.runner import SDK_CALLS, RunLimits, RunResult, SdkHost

__all__ = ["ProcessPoolRunner"]

logger = logging.getLogger("esruntime.scripts.engines")

ENGINES = ("quickjs", "v8", "dukpy")
_SELF_STOPPING = frozenset({"quickjs", "v8"})


class ProcessPoolRunner:
    """Runs each script in one of ``workers`` worker processes (default: one per CPU) on
    ``engine`` (``quickjs``, ``v8`` or ``dukpy``). ``io_threads`` bounds the SDK calls the
    parent performs at once for all workers."""

    def __init__(
        self,
        *,
        engine: str = "quickjs",
        workers: int | None = None,
        io_threads: int = 16,
        kill_grace_ms: int | None = None,
        start_timeout: float = 60.0,
    ) -> None:
        if engine not in ENGINES:
            raise ConfigurationError(f"unknown script engine {engine!r}: one of {ENGINES}")
        count = workers if workers is not None else (os.cpu_count() or 1)
        if count < 1:
            raise ConfigurationError("a script worker pool needs at least one worker")
        self.engine = engine
        self.slots = count
        """Runs at once: one per worker (the script service shares them between tenants)."""
        self._grace = (
            (250 if engine in _SELF_STOPPING else 0) if kill_grace_ms is None else kill_grace_ms
        )
        self._start_timeout = start_timeout
        self._executor = ThreadPoolExecutor(io_threads, thread_name_prefix="esruntime-sdk")
        self._idle: queue.Queue[WorkerProcess | None] = queue.Queue()
        self._lock = threading.Lock()
        self._workers: set[WorkerProcess] = set()
        self._processes: set[subprocess.Popen[bytes]] = set()
        self._starting = 0
        self._start_error: str | None = None
        self._closed = False
        self._finalizer = weakref.finalize(self, kill_all, self._processes)
        for _ in range(count):
            self._replace()

    # -- workers -------------------------------------------------------------------------

    def _replace(self) -> None:
        """Start a worker in the background; it joins the idle queue once ready."""
        with self._lock:
            if self._closed:
                return
            self._starting += 1
        threading.Thread(
            target=self._start_worker, name="esruntime-worker-start", daemon=True
        ).start()

    def _start_worker(self) -> None:
        worker = None
        try:
            worker = WorkerProcess(self.engine, self._start_timeout)
        except ScriptRunnerError as error:
            logger.error("%s", error)
            with self._lock:
                self._start_error = str(error)
        with self._lock:
            self._starting -= 1
            if worker is not None and not self._closed:
                self._workers.add(worker)
                self._processes.add(worker.process)
                self._idle.put(worker)
                return
            if worker is None and not self._workers and not self._starting:
                self._idle.put(None)  # wake waiting runs: there is no worker to wait for
        if worker is not None:
            worker.kill()

    def _acquire(self) -> WorkerProcess:
        while True:
            try:
                worker = self._idle.get(timeout=0.5)
            except queue.Empty:
                worker = None
            with self._lock:
                if self._closed:
                    if worker is not None:
                        self._idle.put(worker)
                    raise ScriptRunnerError("the script runner is closed")
                if worker is not None:
                    return worker
                if not self._workers and not self._starting:
                    raise ScriptRunnerError(f"no script worker is running: {self._start_error}")

    def _discard(self, worker: WorkerProcess) -> None:
        worker.kill()
        with self._lock:
            self._workers.discard(worker)
            self._processes.discard(worker.process)
        self._replace()

    # -- runs ----------------------------------------------------------------------------

    def run(
        self, source: str, *, context: Mapping[str, Any], host: SdkHost, limits: RunLimits
    ) -> RunResult:
        if self._closed:
            raise ScriptRunnerError("the script runner is closed")
        check_limits(limits)
        if not isinstance(source, str):
            raise ScriptRunnerError(f"the script source must be a string, not {type(source)}")
        request = {
            "op": "run",
            "source": source,
            "context": script_context(context),
            "limits": [
                limits.timeout_ms,
                limits.memory_bytes,
                limits.output_bytes,
                limits.log_lines,
            ],
        }
        try:
            frame = Channel.encode(request)
        except (TypeError, ValueError, RecursionError) as error:
            raise ScriptRunnerError(f"the script context is not JSON: {error}") from None
        worker = self._acquire()
        started = time.monotonic()
        try:
            worker.channel.send_frame(frame)
        except OSError as error:
            self._discard(worker)
            return self._failed(started, f"the script's worker process is gone ({error})")
        return self._serve(worker, host, limits, started)

    def _failed(self, started: float, message: str) -> RunResult:
        duration = (time.monotonic() - started) * 1000
        return RunResult("failed", None, engine_failure(message), duration, None)

    def _serve(
        self, worker: WorkerProcess, host: SdkHost, limits: RunLimits, started: float
    ) -> RunResult:
        deadline = started + (limits.timeout_ms + self._grace) / 1000
        max_frame = 2 * limits.memory_bytes + limits.output_bytes + 2**20
        while True:
            left = deadline - time.monotonic()
            try:
                if left <= 0 or not worker.channel.reading.poll(left):
                    self._discard(worker)
                    duration = (time.monotonic() - started) * 1000
                    return RunResult("timeout", None, timeout_failure(limits), duration, None)
                message = worker.channel.receive(max_frame)
            except (EOFError, OSError, ProtocolError) as error:
                if self._closed:
                    self._discard(worker)
                    return self._failed(started, "the script runner was closed")
                how = worker.describe_exit() if isinstance(error, EOFError) else str(error)
                self._discard(worker)
                if how == "killed by SIGXCPU":
                    duration = (time.monotonic() - started) * 1000
                    return RunResult("timeout", None, timeout_failure(limits), duration, None)
                return self._failed(started, f"the script's worker process failed ({how})")
            op = message["op"]
            if op == "done":
                try:
                    result = read_result(message.get("result"), limits)
                except ProtocolError as error:
                    self._discard(worker)
                    return self._failed(started, f"the script's worker answered badly ({error})")
                self._idle.put(worker)
                return result
            name, args = message.get("name"), message.get("args")
            if name not in SDK_CALLS or not isinstance(args, list):
                self._discard(worker)
                return self._failed(started, "the script's worker sent a malformed SDK call")
            if op == "log" and str(name).startswith("log."):
                perform(host, str(name), args)
            elif op == "call" and isinstance(message.get("id"), int):
                if str(name).startswith(BACKGROUND_CALLS):
                    self._executor.submit(self._call, worker, host, message["id"], str(name), args)
                else:
                    self._call(worker, host, message["id"], str(name), args)
            else:
                self._discard(worker)
                return self._failed(started, "the script's worker sent an unknown frame")

    @staticmethod
    def _call(
        worker: WorkerProcess, host: SdkHost, call_id: int, name: str, args: list[Any]
    ) -> None:
        ok, value = perform(host, name, args)
        # OSError: the worker was killed meanwhile; its run is already over
        with contextlib.suppress(OSError, ValueError):
            worker.channel.send({"op": "reply", "id": call_id, "ok": ok, "value": value})

    # -- shutdown ------------------------------------------------------------------------

    def close(self) -> None:
        """Stop every worker (runs still going end as failed) and wait for the processes."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            workers = list(self._workers)
        idle = []
        while True:
            try:
                worker = self._idle.get_nowait()
            except queue.Empty:
                break
            if worker is not None:
                idle.append(worker)
        for worker in workers:
            if worker in idle:
                worker.stop(timeout=2.0)
            else:
                worker.kill()
        while True:
            with self._lock:
                if not self._starting:
                    break
            time.sleep(0.01)
        self._executor.shutdown(wait=False, cancel_futures=True)
        kill_all(self._processes)
        with self._lock:
            self._workers.clear()
            self._processes.clear()
        self._finalizer.detach()

    def pids(self) -> list[int]:
        """The process ids of the live workers."""
        with self._lock:
            return sorted(worker.process.pid for worker in self._workers)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
