"""A subscription on UmaDB's own subscribe stream: the server sends stored events, then new ones.

The client's stream blocks without a timeout, so a daemon thread pulls its batches into a queue
and :meth:`next` waits on that queue with the caller's timeout. Closing cancels the stream,
which ends the thread. A tenant without events has no namespace on the server yet: the thread
then looks for its registration, at growing intervals up to a second, before it subscribes. A
stream that fails (the server went away) hands its error to the consumer as
StoreUnavailableError; subscribing again ``after`` the last position resumes it.
"""

from __future__ import annotations

import contextlib
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

Opener = Callable[[], "tuple[umadb.Subscription, int] | None"]
"""Opens the stream and says the tenant's number; None while the tenant has no events."""

_END = object()
_QUEUED_BATCHES = 4  # a slow consumer holds the stream back rather than filling memory


class UmaDbSubscription(Subscription):
    """Every event matching ``query`` after ``after``, from UmaDB's subscribe stream."""

    def __init__(
        self,
        opener: Opener,
        opened: tuple[umadb.Subscription, int] | None,
        query: Query | None,
        after: int | None,
        on_close: Callable[[UmaDbSubscription], None],
    ) -> None:
        super().__init__(_no_reader, AppendSignal(), query, after=after)
        self._opener = opener
        self._opened = opened
        self._wake = threading.Event()
        self._stream_lock = threading.Lock()
        self._on_close = on_close
        self._batches: queue.Queue[object] = queue.Queue(_QUEUED_BATCHES)
        self._failure: BaseException | None = None
        self._pump = threading.Thread(target=self._run, name="umadb-subscription", daemon=True)
        self._pump.start()

    def _open(self) -> tuple[umadb.Subscription, int] | None:
        delay = 0.01
        while self._opened is None and not self._closed:
            opened = self._opener()
            with self._stream_lock:
                self._opened = opened
                if opened is not None and self._closed:
                    opened[0].cancel()
            if opened is None:
                self._wake.wait(delay)
                delay = min(delay * 2, 1.0)
        return None if self._closed else self._opened

    def _run(self) -> None:
        try:
            with translate_errors():
                opened = self._open()
                while opened is not None and not self._closed:
                    stream, number = opened
                    batch = stream.next_batch()
                    if not batch:
                        break
                    self._put([event_from_umadb(e, number) for e in batch])
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
            with contextlib.suppress(queue.Full):
                self._batches.put_nowait(_END)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._wake.set()
        with self._stream_lock:
            if self._opened is not None:
                self._opened[0].cancel()
        self._on_close(self)
        with contextlib.suppress(queue.Full):
            self._batches.put_nowait(_END)

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
