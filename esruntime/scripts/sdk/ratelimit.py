"""The per-script limit on SDK calls: ``max_api_calls_per_minute`` in a sliding window.

Each script has the times of its recent calls; a call is allowed when fewer than the limit
happened in the last 60 seconds. The window is per process (a process pool or several servers
each allow the limit), which bounds a script's load without a shared store on the hot path.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

__all__ = ["SlidingWindowLimiter"]


class SlidingWindowLimiter:
    """Counts calls per key in a sliding window of ``window`` seconds; thread-safe."""

    def __init__(
        self, window: float = 60.0, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._window = window
        self._clock = clock
        self._calls: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    def acquire(self, key: tuple[str, str], limit: int) -> bool:
        """Count one call of ``key`` and return True, or return False when ``limit`` calls
        happened within the window (a refused call is not counted)."""
        now = self._clock()
        with self._lock:
            calls = self._calls.get(key)
            if calls is None:
                calls = self._calls[key] = deque()
            horizon = now - self._window
            while calls and calls[0] <= horizon:
                calls.popleft()
            if len(calls) >= limit:
                return False
            calls.append(now)
            if len(self._calls) > 10_000:
                self._forget_idle(horizon)
            return True

    def retry_after(self, key: tuple[str, str]) -> float:
        """Seconds until the oldest call of ``key`` in the window leaves it (0: none is in)."""
        now = self._clock()
        with self._lock:
            calls = self._calls.get(key)
            return max(0.0, calls[0] + self._window - now) if calls else 0.0

    def _forget_idle(self, horizon: float) -> None:
        for key in [k for k, calls in self._calls.items() if not calls or calls[-1] <= horizon]:
            del self._calls[key]
