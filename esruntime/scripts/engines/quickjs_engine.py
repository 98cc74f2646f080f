"""The default engine: quickjs-ng, a fresh context per run, in the calling thread.

Memory is exact (quickjs-ng counts every allocation of the context, ArrayBuffers included) and
the deadline is wall-clock, enforced by :mod:`~esruntime.scripts.engines.interrupt`. The engine's
own CPU-time limit stays armed as a backstop that can never fire before the deadline: it is set
before every slice to the time left multiplied by the number of CPUs, since the process's CPU
clock cannot run faster than that.

In-process runs suit trusted, single-tenant embedding; for untrusted, multi-tenant scripts wrap
the engine in :class:`~esruntime.scripts.engines.pool.ProcessPoolRunner`.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from typing import Any

import quickjs

from esruntime.scripts.engines.bridge import EngineStop
from esruntime.scripts.engines.inprocess import InProcessRunner
from esruntime.scripts.engines.interrupt import INTERRUPT, Deadline, Watchdog
from esruntime.scripts.engines.payload import prelude
from esruntime.scripts.engines.quickjs_bytecode import PUBLISHED_AS, load_prelude
from esruntime.scripts.runner import RunLimits

__all__ = ["QuickJsRunner"]

_CPUS = os.cpu_count() or 1


class _Runs:
    """How many runs are in flight: the fallback CPU-time limit scales with it."""

    def __init__(self) -> None:
        self.count = 0
        self.lock = threading.Lock()


class QuickJsSession:
    """One quickjs-ng context running one script (used from one thread only)."""

    def __init__(
        self,
        limits: RunLimits,
        deadline_at: float,
        watchdog: Watchdog,
        stack_bytes: int,
        runs: _Runs,
    ) -> None:
        self._context = quickjs.Context()
        self._context.set_memory_limit(limits.memory_bytes)
        self._context.set_max_stack_size(stack_bytes)
        self._runs = runs
        with runs.lock:
            runs.count += 1
        self._deadline: Deadline = watchdog.watch(self._context, deadline_at)
        self._watchdog = watchdog
        self._ctl: Any = None

    def _call(self, function: Callable[..., Any], *args: Any) -> Any:
        deadline = self._deadline
        with deadline.lock:
            left = deadline.at - time.monotonic()
            if deadline.expired or left <= 0:
                raise EngineStop("timeout", "the deadline passed")
            scale = _CPUS if INTERRUPT is not None else min(_CPUS, max(self._runs.count, 1))
            self._context.set_time_limit(left * scale + 0.01)
        try:
            return function(*args)
        except quickjs.JSException as error:
            raise self._stop(str(error)) from None

    def _stop(self, text: str) -> EngineStop:
        headline, _, stack = text.partition("\n")
        if headline.endswith("interrupted"):
            return EngineStop("timeout", headline, stack)
        if "out of memory" in headline:
            return EngineStop("memory", headline, stack)
        return EngineStop("engine", f"the engine failed: {headline}", stack)

    def start(self, payload: str) -> None:
        source = prelude()[0]
        start = load_prelude(self._context, source)
        if start is None:
            start = self._call(self._context.eval, source)
        self._ctl = self._call(start, payload)

    def poll(self) -> str:
        while self._call(self._context.execute_pending_job):
            pass
        return str(self._call(self._ctl, "poll", None))

    def settle(self, replies: str) -> None:
        self._call(self._ctl, "settle", replies)

    def output(self) -> str:
        return str(self._call(self._ctl, "output", None))

    def memory_bytes(self) -> int | None:
        return int(self._context.memory()["malloc_size"])

    def close(self) -> None:
        self._watchdog.release(self._deadline)
        self._ctl = None
        with self._runs.lock:
            self._runs.count -= 1


class QuickJsRunner(InProcessRunner):
    """Runs scripts on quickjs-ng in the calling thread, a fresh context per run.

    ``io_threads`` bounds the SDK calls performed at once (shared by all runs); ``stack_bytes``
    is the engine's stack limit (deep recursion fails with a ``RangeError``): the calling
    thread needs that much free stack (Linux threads have 8 MiB by default).
    """

    remove_globals = (PUBLISHED_AS,)

    def __init__(self, *, io_threads: int = 16, stack_bytes: int = 2 * 2**20) -> None:
        super().__init__(io_threads=io_threads)
        self._watchdog = Watchdog()
        self._stack_bytes = stack_bytes
        self._runs = _Runs()

    def open_session(self, limits: RunLimits, deadline_at: float) -> QuickJsSession:
        return QuickJsSession(limits, deadline_at, self._watchdog, self._stack_bytes, self._runs)

    def close(self) -> None:
        """Refuse new runs, interrupt the runs still going (they end as timed out)."""
        super().close()
        self._watchdog.close()
