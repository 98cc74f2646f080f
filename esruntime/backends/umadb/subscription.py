"""A subscription on UmaDB's own subscribe stream: the server sends stored events, then new ones.

The client's stream blocks without a timeout, so a daemon thread pulls its batches into a queue
and :meth:`next` waits on that queue with the caller's timeout. Closing cancels the stream,
which ends the thread. A stream that fails (the server went away) hands its error to the
consumer as StoreUnavailableError; subscribing again ``after`` the last position resumes it.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable

import umadb

from esruntime.backends.umadb.connection import translate_errors
from esruntime.backends.umadb.mapping import event_from_umadb
from esruntime.errors import SubscriptionClosed, SubscriptionTimeout
from esruntime.events import Query, ReadResult, SequencedEvent
from esruntime.subscriptions import AppendSignal, Subscription

__all__ = ["UmaDbSubscription"]

_END = object()
_QUEUED_BATCHES = 4  # a slow consumer holds the stream back rather than filling memory


class UmaDbSubscription(Subscription):
    """Every event matching ``query`` after ``after``, from UmaDB's subscribe stream."""

    def __init__(
        self,
        stream: umadb.Subscription,
        query: Query | None,
        after: int | None,
        on_close: Callable[[UmaDbSubscription], None],
    ) -> None:
        super().__init__(_no_reader, AppendSignal(), query, after=after)
        self._stream = stream
        self._on_close = on_close
        self._batches: queue.Queue[object] = queue.Queue(_QUEUED_BATCHES)
        self._failure: BaseException | None = None
        self._pump = threading.Thread(target=self._run, name="umadb-subscription", daemon=True)
        self._pump.start()

    def _run(self) -> None:
        try:
            with translate_errors():
                while not self._closed:
                    batch = self._stream.next_batch()
                    if not batch:
                        break
                    self._put([event_from_umadb(e) for e in batch])
        except Exception as exc:
            if not self._closed:
                self._failure = exc
        self._put(_END)

    def _put(self, item: object) -> None:
        while not self._closed:
            try:
                self._batches.put(item, timeout=0.5)
                return
            except queue.Full:
                continue
        if item is _END:  # closed: wake a consumer that may be waiting
            try:
                self._batches.put_nowait(_END)
            except queue.Full:
                pass

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._stream.cancel()
        self._on_close(self)
        try:
            self._batches.put_nowait(_END)
        except queue.Full:
            pass

    def _fill(self, timeout: float | None) -> bool:
        with self._fill_lock:
            if self._buffer:
                return True
            if self._closed:
                raise SubscriptionClosed("the subscription is closed")
            try:
                item = self._batches.get(timeout=timeout)
            except queue.Empty:
                return False
            if item is _END:
                self._batches.put(_END)  # every later call ends the same way
                if self._failure is not None and not self._closed:
                    raise self._failure
                raise SubscriptionClosed("the subscription is closed")
            assert isinstance(item, list)
            self._buffer.extend(item)
            self._fetched = item[-1].position
            return True

    def next(self, timeout: float | None = None) -> SequencedEvent:
        if not self._buffer and not self._fill(timeout):
            raise SubscriptionTimeout(f"no event arrived within {timeout} seconds")
        return self._buffer.popleft()


def _no_reader(query: Query, start: int, limit: int) -> ReadResult:
    raise AssertionError("a UmaDB subscription reads from its stream")
