"""The threads the FastAPI adapter runs the API's blocking calls in, off the event loop.

The runtime's calls block (a database, a handler's fold), so the async endpoints hand each one
to a few threads of their own, queued in arrival order, and the event loop goes on parsing and
answering other connections meanwhile. Not FastAPI's own ``run_in_threadpool``: measured under
``wrk`` (``benchmarks/README.md``), anyio's hop (capacity limiter, cancel scope, worker queue)
cost about a tenth of the server's CPU per command, and its 40 threads took turns on the GIL
and on SQLite's single writer, so that 8 or 64 connections served fewer commands per second
than 1. A handful of threads keeps the database busy without that contention; a call that may
take seconds (a script's run) goes to anyio's larger pool instead, so that a few of them cannot
hold up every command.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

__all__ = ["DEFAULT_THREADS", "ApiThreads"]

DEFAULT_THREADS = 4
"""Enough to overlap one command's database wait with another's Python on a few cores."""

P = ParamSpec("P")
T = TypeVar("T")


class ApiThreads:
    """``await threads.run(fn, *args)``: ``fn(*args)`` in one of ``count`` threads, with the
    caller's context variables. The threads start on first use and end with :meth:`close`
    (or at the interpreter's exit, once idle)."""

    def __init__(self, count: int = DEFAULT_THREADS) -> None:
        if count < 1:
            raise ValueError(f"the API needs at least one thread, got {count}")
        self.count = count
        self._executor = ThreadPoolExecutor(count, thread_name_prefix="esruntime-api")

    async def run(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        loop = asyncio.get_running_loop()
        call = functools.partial(contextvars.copy_context().run, fn, *args, **kwargs)
        return await loop.run_in_executor(self._executor, call)

    def close(self) -> None:
        """Finish the calls in progress and end the threads."""
        self._executor.shutdown(wait=True)
