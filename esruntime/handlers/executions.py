"""Counting handler executions without a write per command.

An :class:`ExecutionCounter` adds up executions in memory, per handler and hour, and hands them
to the handler registry at most every ``flush_interval`` seconds (and on :meth:`flush`, e.g.
before a listing is read). Several processes each add their own counts into the same hourly
rows. A crash loses at most the last interval's counts; the counts are statistics, not events.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable

from esruntime.protocols.handlers import HandlerRegistry

__all__ = ["ExecutionCounter"]


class ExecutionCounter:
    """Buffered execution counts for one tenant's handler registry."""

    def __init__(
        self,
        registry: HandlerRegistry,
        *,
        flush_interval: float = 5.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._registry = registry
        self._flush_interval = flush_interval
        self._clock = clock
        self._pending: dict[int, Counter[str]] = {}
        self._lock = threading.Lock()
        self._last_flush = clock()

    def record(self, name: str) -> None:
        """Count one execution of handler ``name`` now."""
        now = self._clock()
        hour = int(now // 3600)  # epoch_hour of that moment, without building a datetime
        with self._lock:
            self._pending.setdefault(hour, Counter())[name] += 1
            due = now - self._last_flush >= self._flush_interval
        if due:
            self.flush()

    def flush(self) -> None:
        """Hand the counts gathered so far to the registry."""
        with self._lock:
            pending, self._pending = self._pending, {}
            self._last_flush = self._clock()
        for hour in list(pending):
            try:
                self._registry.add_executions(hour, pending[hour])
            except BaseException:
                with self._lock:  # keep what was not handed over, for the next flush
                    for left, counts in pending.items():
                        self._pending.setdefault(left, Counter()).update(counts)
                raise
            del pending[hour]
