"""Wall-clock deadlines for quickjs-ng evaluations, enforced from a watchdog thread.

quickjs-ng's own time limit counts ``clock()``, the CPU time of the whole process: with several
scripts running at once it fires early, and it cannot be changed while an evaluation runs. The
Python binding exposes no other way to stop a running evaluation, but it keeps that limit in
its context object, and its interrupt handler (polled by the engine every few thousand
operations) compares against it. The watchdog stops an evaluation by setting that limit to
zero, which makes the next poll interrupt the script with an uncatchable error.

The binding's private layout is checked once, against values the binding itself reports
(``JS_GetRuntimeOpaque`` names the context object; ``set_time_limit`` writes the limit where we
expect it). If the check fails, :data:`INTERRUPT` is ``None`` and runs fall back to the CPU-time
limit alone, scaled by the number of runs in flight (see ``QuickJsGuard.before_call``).
"""

from __future__ import annotations

import ctypes
import logging
import threading
import time
from typing import Any

import quickjs

__all__ = ["INTERRUPT", "Deadline", "Interrupter", "Watchdog"]

logger = logging.getLogger("esruntime.scripts.engines")


class _ContextData(ctypes.Structure):
    # The head of ``RuntimeData`` in the binding's module.c (quickjs-ng 0.17 for Python).
    _fields_ = (
        ("ob_refcnt", ctypes.c_ssize_t),
        ("ob_type", ctypes.c_void_p),
        ("runtime", ctypes.c_void_p),
        ("context", ctypes.c_void_p),
        ("has_time_limit", ctypes.c_int),
        ("time_limit", ctypes.c_long),
        ("thread_state", ctypes.c_void_p),
        ("interrupt_start", ctypes.c_long),
        ("interrupt_limit", ctypes.c_long),
    )


class Interrupter:
    """Stops a running evaluation of a ``quickjs.Context`` from any thread."""

    def interrupt(self, context: quickjs.Context) -> None:
        """Make the context's current and next evaluations stop at the engine's next poll.

        The caller keeps ``context`` alive; aligned word stores are atomic on the platforms
        quickjs-ng ships wheels for, and the evaluating thread only reads these words.
        """
        data = _ContextData.from_address(id(context))
        data.time_limit = 0
        data.interrupt_limit = 0


def _probe() -> Interrupter | None:
    """Check the binding's layout against what it reports; ``None`` when anything differs."""
    try:
        library = ctypes.CDLL(quickjs._quickjs.__file__)
        opaque = library.JS_GetRuntimeOpaque
        opaque.restype = ctypes.c_void_p
        opaque.argtypes = (ctypes.c_void_p,)
        context = quickjs.Context()
        data = _ContextData.from_address(id(context))
        if not data.runtime or opaque(data.runtime) != id(context):
            return None
        context.set_time_limit(2.0)
        two = data.time_limit
        context.set_time_limit(4.0)
        if data.has_time_limit != 1 or data.time_limit != 2 * two or two // 2 not in {1000, 10**6}:
            return None
        context.eval("1")
        if data.interrupt_limit != data.time_limit:
            return None
        Interrupter().interrupt(context)
        try:
            context.eval("for (;;) {}")
        except quickjs.JSException as error:
            if "interrupted" not in str(error):
                return None
        context.set_time_limit(-1)
        if data.has_time_limit != 0:
            return None
    except (OSError, AttributeError, ValueError):
        return None
    return Interrupter()


INTERRUPT: Interrupter | None = _probe()
if INTERRUPT is None:  # pragma: no cover - depends on the installed binding
    logger.warning(
        "quickjs-ng binding layout not recognised: script time limits fall back to the "
        "engine's CPU-time limit (approximate when scripts run concurrently)"
    )


class Deadline:
    """One run's deadline: the watchdog interrupts its context once the time is up."""

    def __init__(self, context: Any, at: float) -> None:
        self.context = context
        self.at = at
        self.expired = False
        self.lock = threading.Lock()


class Watchdog:
    """One daemon thread that interrupts the contexts whose deadline has passed."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._deadlines: set[Deadline] = set()
        self._wake_at = float("inf")
        self._thread: threading.Thread | None = None
        self._closed = False

    def watch(self, context: Any, at: float) -> Deadline:
        """Interrupt ``context`` at monotonic time ``at`` unless :meth:`release` comes first."""
        deadline = Deadline(context, at)
        with self._condition:
            self._deadlines.add(deadline)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._loop, name="esruntime-script-watchdog", daemon=True
                )
                self._thread.start()
            if at < self._wake_at:
                self._condition.notify()
        return deadline

    def release(self, deadline: Deadline) -> None:
        """The run is over: forget its context (the watchdog never touches it again)."""
        with self._condition:
            self._deadlines.discard(deadline)
        with deadline.lock:
            deadline.context = None

    def close(self) -> None:
        """Interrupt every run still watched, then stop the thread."""
        with self._condition:
            self._closed = True
            for deadline in self._deadlines:
                self._expire(deadline)
            self._deadlines.clear()
            self._condition.notify()
        if self._thread is not None:
            self._thread.join()

    def _loop(self) -> None:
        with self._condition:
            while not self._closed:
                now = time.monotonic()
                due = [deadline for deadline in self._deadlines if deadline.at <= now]
                for deadline in due:
                    self._deadlines.discard(deadline)
                    self._expire(deadline)
                self._wake_at = min((d.at for d in self._deadlines), default=float("inf"))
                timeout = None if self._wake_at == float("inf") else self._wake_at - now
                self._condition.wait(timeout)

    @staticmethod
    def _expire(deadline: Deadline) -> None:
        with deadline.lock:
            deadline.expired = True
            if deadline.context is not None and INTERRUPT is not None:
                INTERRUPT.interrupt(deadline.context)
