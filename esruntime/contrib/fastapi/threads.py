"""The threads the FastAPI adapter runs the API's blocking calls in, off the event loop.

The runtime's calls block (a database, a handler's fold), so the async endpoints hand each one
to a few threads of their own, queued in arrival order, and the event loop goes on parsing and
answering other connections meanwhile. Not FastAPI's own ``run_in_threadpool``: measured under
``wrk`` (``benchmarks/README.md``), anyio's hop (capacity limiter, cancel scope, worker queue)
cost about a tenth of the server's CPU per command, and its 40 threads took turns on the GIL
and on SQLite's single writer. A call that may take seconds (a script's run) goes to anyio's
larger pool instead, so that a few of them cannot hold up every command.

Written here rather than a ``ThreadPoolExecutor``: that one hands each call to whichever idle
thread wakes first, so calls one after another rotate between the threads, and each thread has
a SQLite connection of its own whose cached pages the others' commits invalidate (a command
cost ~100 µs more with 4 threads than with 1, in process). Here the thread that was idle last
takes the next call, and a thread that finishes takes the next waiting call without sleeping.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import threading
import weakref
from collections import deque
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

__all__ = ["DEFAULT_THREADS", "ApiThreads"]

DEFAULT_THREADS = 4
"""Enough to overlap one command's database wait with another's Python on a few cores."""

P = ParamSpec("P")
T = TypeVar("T")

_Call = tuple[Callable[[], Any], asyncio.Future[Any], asyncio.AbstractEventLoop]


class ApiThreads:
    """``await threads.run(fn, *args)``: ``fn(*args)`` in one of ``count`` threads, with the
    caller's context variables, calls waiting in arrival order. The threads start on first use
    and end with :meth:`close`, or once this object is garbage (daemon threads: an idle one
    never holds up the interpreter's exit)."""

    def __init__(self, count: int = DEFAULT_THREADS) -> None:
        if count < 1:
            raise ValueError(f"the API needs at least one thread, got {count}")
        self.count = count
        self._pool = _Pool(count)
        weakref.finalize(self, self._pool.close)

    async def run(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        call = functools.partial(contextvars.copy_context().run, fn, *args, **kwargs)
        self._pool.submit((call, future, loop))
        return await future

    def close(self) -> None:
        """End the threads once the calls given to them are done."""
        self._pool.close()


class _Pool:
    """The threads' shared state: who is idle (the last one idle is used first), what waits."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.lock = threading.Lock()
        self.idle: list[_Worker] = []
        self.waiting: deque[_Call] = deque()
        self.started = 0
        self.closed = False

    def submit(self, call: _Call) -> None:
        with self.lock:
            if self.closed:
                raise RuntimeError("the API's threads are closed")
            if self.idle:
                self.idle.pop().give(call)
            elif self.started < self.count:
                self.started += 1
                _Worker(self, call, f"esruntime-api_{self.started - 1}")
            else:
                self.waiting.append(call)

    def next(self, worker: _Worker) -> tuple[_Call | None, bool]:
        """What a thread that finished does: the next waiting call, or (None, True) to wait as
        an idle thread, or (None, False) to end."""
        with self.lock:
            if self.waiting:
                return self.waiting.popleft(), False
            if self.closed:
                return None, False
            self.idle.append(worker)
            return None, True

    def close(self) -> None:
        with self.lock:
            self.closed = True
            idle, self.idle = self.idle, []
        for worker in idle:
            worker.give(None)


class _Worker:
    def __init__(self, pool: _Pool, first: _Call, name: str) -> None:
        self._pool = pool
        self._given: _Call | None = None
        # A lock held while the thread has nothing to do, released to hand it a call: taken
        # and released in C, where a Semaphore's Condition runs Python on both threads.
        self._wake = threading.Lock()
        self._wake.acquire()
        threading.Thread(target=self._work, args=(first,), name=name, daemon=True).start()

    def give(self, call: _Call | None) -> None:
        """Hand the idle thread its next call (None: end); only ever once per idle spell."""
        self._given = call
        self._wake.release()

    def _work(self, call: _Call | None) -> None:
        while call is not None:
            fn, future, loop = call
            try:
                outcome: tuple[Any, BaseException | None] = (fn(), None)
            except BaseException as exc:  # handed to the caller, as an executor does
                outcome = (None, exc)
            # Idle before the answer is out: the caller's next call finds this thread again.
            call, idle = self._pool.next(self)
            with contextlib.suppress(RuntimeError):  # a closed loop: nobody waits for it
                loop.call_soon_threadsafe(_settle, future, *outcome)
            del fn, future, loop, outcome
            if idle:
                self._wake.acquire()
                call, self._given = self._given, None


def _settle(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if future.cancelled():  # the caller went away (its client left): the call still ran
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)
