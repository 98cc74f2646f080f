"""Catch-up-then-live subscriptions, shared by every backend.

A subscription reads the matching events after its position in batches, and when it has caught
up waits on the store's :class:`AppendSignal` until something was appended. Stores that other
processes also write to (SQL databases) give the signal a poll interval, so a subscriber wakes
at least that often and looks for new events. Because stores serialize their appends, a position
is visible only after every smaller one is: reading forward from the last position seen never
skips an event.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator
from types import TracebackType

from esruntime.errors import SubscriptionClosed, SubscriptionTimeout
from esruntime.events import Query, ReadResult, SequencedEvent

__all__ = ["AppendSignal", "Subscription"]

Reader = Callable[[Query, int, int], ReadResult]
"""``reader(query, start, limit)`` reads forwards from ``start`` inclusive."""


class AppendSignal:
    """Wakes subscribers when their store appended, or after ``poll_interval`` seconds."""

    def __init__(self, poll_interval: float | None = None) -> None:
        self.poll_interval = poll_interval
        self._lock = threading.RLock()
        self._condition = threading.Condition(self._lock)
        self._generation = 0
        self._waiting = 0  # threads in wait(), counted under the condition's lock

    @property
    def generation(self) -> int:
        return self._generation

    def notify(self) -> None:
        with self._lock:  # the condition's own lock: Condition's __enter__ is Python-level
            self._generation += 1
            if self._waiting:  # notify_all() costs a microsecond even with nobody to wake
                self._condition.notify_all()

    def wait(self, generation: int, timeout: float | None) -> None:
        """Return when the generation moved past ``generation``, or after the timeout/poll."""
        if self.poll_interval is not None:
            timeout = self.poll_interval if timeout is None else min(timeout, self.poll_interval)
        with self._condition:
            self._waiting += 1
            try:
                self._condition.wait_for(lambda: self._generation != generation, timeout)
            finally:
                self._waiting -= 1


class Subscription:
    """Every event matching ``query`` after ``after``, exactly once and in position order.

    Iterate it (blocking), call :meth:`next` with a timeout, or ``async for`` over it. Close it
    (or leave its ``with`` block) to stop; a blocked iterator then ends.
    """

    def __init__(
        self,
        reader: Reader,
        signal: AppendSignal,
        query: Query | None = None,
        *,
        after: int | None = None,
        batch_size: int = 500,
    ) -> None:
        self.query = query if query is not None else Query()
        self._reader = reader
        self._signal = signal
        self._batch_size = batch_size
        self._fetched = after or 0
        self._buffer: deque[SequencedEvent] = deque()
        self._fill_lock = threading.Lock()
        self._closed = False

    @property
    def position(self) -> int:
        """The position up to which this subscription has read from the store."""
        return self._fetched

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        self._closed = True
        self._signal.notify()

    def _fill(self, timeout: float | None) -> bool:
        """Fetch the next batch into the buffer, waiting up to ``timeout``; True when non-empty."""
        deadline = None if timeout is None else _now() + timeout
        with self._fill_lock:
            while not self._buffer:
                if self._closed:
                    raise SubscriptionClosed("the subscription is closed")
                generation = self._signal.generation
                result = self._reader(self.query, self._fetched + 1, self._batch_size)
                if result.events:
                    self._buffer.extend(result.events)
                    self._fetched = result.events[-1].position
                    return True
                if result.head is not None and result.head > self._fetched:
                    # Nothing matched up to the head: skip the scanned range next time.
                    self._fetched = result.head
                remaining = None if deadline is None else deadline - _now()
                if remaining is not None and remaining <= 0:
                    return False
                self._signal.wait(generation, remaining)
            return True

    def next(self, timeout: float | None = None) -> SequencedEvent:
        """The next event; raise SubscriptionTimeout when none arrives within ``timeout``."""
        if not self._buffer and not self._fill(timeout):
            raise SubscriptionTimeout(f"no event arrived within {timeout} seconds")
        return self._buffer.popleft()

    def __iter__(self) -> Iterator[SequencedEvent]:
        return self

    def __next__(self) -> SequencedEvent:
        try:
            return self.next()
        except SubscriptionClosed:
            raise StopIteration from None

    def __aiter__(self) -> AsyncIterator[SequencedEvent]:
        return self

    async def anext(self, timeout: float | None = None) -> SequencedEvent:
        """Await the next event; raise SubscriptionTimeout after ``timeout`` seconds."""
        # Waiting happens in a worker thread in short slices; the event is taken from the
        # buffer here, so a cancelled await never loses one.
        deadline = None if timeout is None else _now() + timeout
        while not self._buffer:
            remaining = None if deadline is None else deadline - _now()
            if remaining is not None and remaining <= 0:
                raise SubscriptionTimeout(f"no event arrived within {timeout} seconds")
            slice_ = 0.25 if remaining is None else min(remaining, 0.25)
            await asyncio.to_thread(self._fill, slice_)
        return self._buffer.popleft()

    async def __anext__(self) -> SequencedEvent:
        try:
            return await self.anext()
        except SubscriptionClosed:
            raise StopAsyncIteration from None

    def __enter__(self) -> Subscription:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    async def __aenter__(self) -> Subscription:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


_now = time.monotonic
