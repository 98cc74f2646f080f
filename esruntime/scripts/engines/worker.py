"""A pool worker: ``python -m esruntime.scripts.engines.worker ENGINE``.

It runs one script at a time on an in-process runner of the engine, with its SDK calls sent to
the parent over the pipe (stdin in, the original stdout out; anything else written to stdout
goes to stderr). Before each run it lowers its address-space and CPU-time limits (RLIMIT_AS,
RLIMIT_CPU) to what that run may use, as a backstop behind the engine's own limits and the
parent's wall-clock kill. It exits when the parent closes the pipe or says ``exit``.
"""

from __future__ import annotations

import itertools
import math
import os
import sys
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from multiprocessing.connection import Connection
from typing import Any

from esruntime.errors import SdkError
from esruntime.scripts.engines.protocol import Channel, write_result
from esruntime.scripts.runner import RunLimits, RunResult, ScriptFailure, ScriptRunner

__all__ = ["main"]

ADDRESS_SPACE_HEADROOM = 512 * 2**20
"""Address space a run may add beyond twice its memory limit (stacks, arenas): a backstop."""
DATA_HEADROOM = 64 * 2**20
"""Writable memory a dukpy or V8 run may add beyond its memory limit: for them it *is* the limit
(dukpy has none of its own; V8's does not count ArrayBuffers, which live in address space V8
reserved at start, so only the data limit, checked as pages are committed, sees them)."""


class PipeHost:
    """The SDK host of a worker: every call goes to the parent's host and waits for its reply;
    ``log.*`` calls go one way (they answer nothing).

    There is no reader thread: whichever thread is waiting (the main thread for the next run,
    a script's thread for its reply) reads the next frame and hands it to whoever it is for,
    one reader at a time. A run or a reply the reading thread waits for costs no thread switch.
    """

    def __init__(self, channel: Channel) -> None:
        self._channel = channel
        self._ids = itertools.count(1)
        self._waiting: dict[int, Future[tuple[bool, Any]]] = {}
        self._runs: deque[dict[str, Any] | None] = deque()
        self._reading = False
        self._state = threading.Condition()

    def call(self, name: str, args: list[Any]) -> Any:
        if name.startswith("log."):
            self._channel.send({"op": "log", "name": name, "args": args})
            return None
        future: Future[tuple[bool, Any]] = Future()
        with self._state:
            call_id = next(self._ids)
            self._waiting[call_id] = future
        self._channel.send({"op": "call", "id": call_id, "name": name, "args": args})
        self._read_until(future.done)
        ok, value = future.result()
        if not ok:
            raise SdkError(str(value))
        return value

    def next_run(self) -> dict[str, Any] | None:
        """The next run request; ``None`` when the parent says ``exit``."""
        self._read_until(lambda: bool(self._runs))
        with self._state:
            return self._runs.popleft()

    def abandon(self) -> None:
        """The run is over: release the threads still waiting for replies."""
        with self._state:
            waiting, self._waiting = self._waiting, {}
        for future in waiting.values():
            future.set_result((False, "the run is over"))

    def _read_until(self, ready: Callable[[], bool]) -> None:
        while True:
            with self._state:
                while self._reading and not ready():
                    self._state.wait()
                if ready():
                    return
                self._reading = True
            try:
                message = self._channel.receive(2**31 - 1)
            except (EOFError, OSError):
                os._exit(0)  # the parent is gone: nobody wants the result
            except Exception:
                os._exit(3)
            with self._state:
                self._reading = False
                self._dispatch(message)
                self._state.notify_all()

    def _dispatch(self, message: dict[str, Any]) -> None:
        if message["op"] == "reply":
            future = self._waiting.pop(message.get("id"), None)  # type: ignore[arg-type]
            if future is not None:
                future.set_result((bool(message.get("ok")), message.get("value")))
        elif message["op"] == "run":
            self._runs.append(message)
        else:
            self._runs.append(None)


def _in_process_runner(engine: str) -> ScriptRunner:
    if engine == "quickjs":
        from esruntime.scripts.engines.quickjs_engine import QuickJsRunner

        return QuickJsRunner(io_threads=8)
    if engine == "v8":
        from esruntime.scripts.engines.v8_engine import MiniRacerRunner

        return MiniRacerRunner(io_threads=8)
    if engine == "dukpy":
        from esruntime.scripts.engines.dukpy_engine import DukpyRunner

        return DukpyRunner(trusted=True, io_threads=8)
    raise SystemExit(f"unknown script engine {engine!r}")


def _memory() -> tuple[int, int]:
    """The process's address space and its data (writable private) size, in bytes."""
    with open("/proc/self/statm", "rb") as statm:
        fields = statm.read().split()
    page = os.sysconf("SC_PAGE_SIZE")
    return int(fields[0]) * page, int(fields[5]) * page


def _lower(kind: int, allowed: int) -> None:
    import resource

    hard = resource.getrlimit(kind)[1]
    if hard == resource.RLIM_INFINITY or allowed < hard:
        resource.setrlimit(kind, (allowed, hard))


def _limit_resources(engine: str, limits: RunLimits) -> None:
    """Lower the soft limits to what this run may use (the hard limits stay, so the next run
    can raise them again; the script has no way to call setrlimit)."""
    import resource

    if sys.platform.startswith("linux"):
        size, data = _memory()
        if engine != "v8":  # V8 reserves a terabyte of address space at start
            _lower(resource.RLIMIT_AS, size + 2 * limits.memory_bytes + ADDRESS_SPACE_HEADROOM)
        if engine != "quickjs":
            _lower(resource.RLIMIT_DATA, data + limits.memory_bytes + DATA_HEADROOM)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    seconds = math.ceil(usage.ru_utime + usage.ru_stime + limits.timeout_ms / 1000) + 2
    _lower(resource.RLIMIT_CPU, seconds)


def _lift_memory_limits() -> None:
    import resource

    for kind in (resource.RLIMIT_AS, resource.RLIMIT_DATA):
        hard = resource.getrlimit(kind)[1]
        resource.setrlimit(kind, (hard, hard))


def _run(engine: str, runner: ScriptRunner, host: PipeHost, message: dict[str, Any]) -> RunResult:
    limits = RunLimits(*message["limits"])
    _limit_resources(engine, limits)
    try:
        return runner.run(message["source"], context=message["context"], host=host, limits=limits)
    except MemoryError:
        failure = ScriptFailure("MemoryLimitError", "Script exceeded its worker's address space")
        return RunResult("failed", None, failure, 0.0, None)
    except Exception as error:  # the worker stays up for the next run
        failure = ScriptFailure("EngineError", f"the script's worker failed: {error!r}")
        return RunResult("failed", None, failure, 0.0, None)
    finally:
        _lift_memory_limits()
        host.abandon()


def main(argv: list[str]) -> None:
    import resource

    engine = argv[1] if len(argv) > 1 else "quickjs"
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # a SIGXCPU kill leaves no core file
    out = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    channel = Channel(Connection(0, writable=False), Connection(out, readable=False))
    runner = _in_process_runner(engine)
    host = PipeHost(channel)
    # The engine's one-time set-up (V8's address-space reservations, quickjs-ng's bytecode)
    # happens now, before any run lowers the limits.
    runner.run("return 1", context={}, host=host, limits=RunLimits())
    channel.send({"op": "ready", "pid": os.getpid()})
    while (message := host.next_run()) is not None:
        result = _run(engine, runner, host, message)
        channel.send({"op": "done", "result": write_result(result)})
    runner.close()


if __name__ == "__main__":
    main(sys.argv)
