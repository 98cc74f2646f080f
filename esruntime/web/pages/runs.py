"""Manual runs in the background, so that a page can show a run's row while it runs."""

from __future__ import annotations

import concurrent.futures
import logging
from collections.abc import Callable
from typing import Any

from esruntime.scripts.models import Execution

__all__ = ["BackgroundRuns"]

logger = logging.getLogger("esruntime.web.pages")


class BackgroundRuns:
    """A small pool of threads running scripts started from the pages."""

    def __init__(self, threads: int) -> None:
        self._pool = concurrent.futures.ThreadPoolExecutor(
            max_workers=max(1, threads), thread_name_prefix="esruntime-pages-run"
        )

    def start(
        self, run: Callable[..., Execution], *args: Any, **kwargs: Any
    ) -> concurrent.futures.Future[Execution]:
        future = self._pool.submit(run, *args, **kwargs)
        future.add_done_callback(_log_failure)
        return future

    def close(self) -> None:
        self._pool.shutdown(wait=True)


def _log_failure(future: concurrent.futures.Future[Execution]) -> None:
    error = future.exception()
    if error is not None:
        logger.error("a run started from the pages failed: %s", error, exc_info=error)
