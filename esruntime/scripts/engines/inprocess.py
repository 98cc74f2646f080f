"""What every in-process runner shares: argument checks, the SDK thread pool, the bridge loop."""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Self

from esruntime.errors import ScriptRunnerError
from esruntime.scripts.engines.bridge import Session, check_limits, drive
from esruntime.scripts.engines.payload import encode_payload
from esruntime.scripts.runner import RunLimits, RunResult, SdkHost

__all__ = ["InProcessRunner"]


class InProcessRunner(ABC):
    """A :class:`~esruntime.scripts.runner.ScriptRunner` running each script in the calling
    thread, in a fresh session of one engine; subclasses say how to open a session.

    ``io_threads`` bounds the SDK calls performed at once, for all runs of the runner.
    """

    remove_globals: tuple[str, ...] = ()
    """Engine globals deleted before the script runs."""

    def __init__(self, *, io_threads: int = 16) -> None:
        self._executor = ThreadPoolExecutor(io_threads, thread_name_prefix="esruntime-sdk")
        self._closed = False

    @abstractmethod
    def open_session(self, limits: RunLimits, deadline_at: float) -> Session:
        """A fresh session of the engine for one run, stopping by ``deadline_at``."""

    def run(
        self, source: str, *, context: Mapping[str, Any], host: SdkHost, limits: RunLimits
    ) -> RunResult:
        if self._closed:
            raise ScriptRunnerError("the script runner is closed")
        check_limits(limits)
        started = time.monotonic()
        payload = encode_payload(source, context, limits, remove=self.remove_globals)
        session = self.open_session(limits, started + limits.timeout_ms / 1000)
        try:
            return drive(
                session, payload, host=host, limits=limits, executor=self._executor, started=started
            )
        finally:
            session.close()

    def close(self) -> None:
        """Refuse new runs and stop the SDK threads (calls still queued are dropped)."""
        self._closed = True
        self._executor.shutdown(wait=False, cancel_futures=True)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
