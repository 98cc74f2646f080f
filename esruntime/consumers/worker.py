"""A durable consumer: one thread that hands each new event of a tenant to a handler, once.

The consumer takes its lease, follows the store from its checkpoint, and after the handler
returned (or, after the retries, failed for good and the event became a dead letter) advances
the checkpoint to that event. A stopped or restarted consumer therefore resumes after the last
event whose work was recorded: nothing is skipped, and nothing handled is handled again. (A
process killed while a handler runs, or a checkpoint the database failed to write, leaves that
one event unrecorded: whoever takes the lease next handles it again.) A heartbeat thread renews
the lease while the consumer lives; a consumer whose lease was taken over (it was stalled longer
than the lease) stops advancing and tries to take the lease again. A consumer whose row was
deleted (its checkpoint is gone) stops for good: it never creates its row again after its first
attempt, so a deletion racing with it, here or in another process, leaves nothing behind.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable

from attrs import frozen

from esruntime.backoff import backoff_step
from esruntime.errors import SubscriptionClosed, SubscriptionTimeout
from esruntime.events import Query, SequencedEvent
from esruntime.protocols import EventStore
from esruntime.protocols.consumers import (
    MAX_LEASE_SECONDS,
    ConsumerStore,
    DeadLetter,
    check_consumer,
    new_dead_letter,
    storable_error,
)
from esruntime.subscriptions import Subscription

__all__ = ["Consumer", "Halt", "RetryPolicy"]

logger = logging.getLogger("esruntime.consumers")

Handler = Callable[[SequencedEvent], None]


@frozen
class RetryPolicy:
    """How often a failing event is tried again: ``retries`` more times, waiting
    ``first_delay`` seconds, then ``factor`` times longer each time (2, 4 and 8 s by default).

    The waits have no jitter (:func:`~esruntime.backoff.backoff_step`): they are exactly these.
    """

    retries: int = 3
    first_delay: float = 2.0
    factor: float = 2.0

    def __attrs_post_init__(self) -> None:
        if isinstance(self.retries, bool) or not isinstance(self.retries, int):
            raise ValueError("retries must be an integer")
        if not 0 <= self.retries <= 100:
            raise ValueError("retries must be between 0 and 100")
        for name in ("first_delay", "factor"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(f"{name} must be a number")
            if not 0 <= value <= 3600:
                raise ValueError(f"{name} must be between 0 and 3600")

    def delay(self, retry: int) -> float:
        """The wait before retry ``retry`` (1 for the first); never longer than the longest
        wait a thread can make (:data:`threading.TIMEOUT_MAX`, about 292 years)."""
        return backoff_step(retry, self.first_delay, threading.TIMEOUT_MAX, factor=self.factor)


class Halt(Exception):
    """Raised by a handler to stop its consumer without recording the event (it is handed
    over again when a consumer of that name next runs)."""


class _LeaseLost(Exception):
    pass


class _Stopped(Exception):
    pass


class Consumer:
    """Runs ``handler`` for every event of ``events`` matching ``query`` after the checkpoint.

    ``name`` is unique per tenant; a consumer seen for the first time starts after ``start``
    (by default the store's head when it first runs: it sees the events appended from then on).
    ``owner`` names this process in the lease; ``lease_ttl`` is how long a lease lasts without
    renewal; ``claim_jitter`` waits up to that many seconds (at random) before each attempt to
    take the lease, so that processes starting together share the consumers between them.
    ``predecessor``: a consumer of the same name being stopped, which this one waits for.
    ``create``: whether the first attempt to take the lease creates the consumer when missing
    (False when the caller created it with ``ensure`` and checked it is still wanted).
    """

    def __init__(
        self,
        name: str,
        events: EventStore,
        store: ConsumerStore,
        handler: Handler,
        *,
        owner: str,
        query: Query | None = None,
        start: int | None = None,
        retry: RetryPolicy | None = None,
        lease_ttl: float = 30.0,
        claim_jitter: float = 0.0,
        idle_timeout: float = 1.0,
        predecessor: Consumer | None = None,
        create: bool = True,
    ) -> None:
        if not 0 < lease_ttl <= MAX_LEASE_SECONDS or claim_jitter < 0 or idle_timeout <= 0:
            raise ValueError(
                f"lease_ttl must be positive and at most {MAX_LEASE_SECONDS} s, idle_timeout "
                "positive, claim_jitter at least 0"
            )
        check_consumer(events.tenant, name, owner)
        self.name = name
        self.tenant = events.tenant
        self.owner = owner
        self.query = query
        self._events = events
        self._store = store
        self._handler = handler
        self._start = start
        self.retry = retry or RetryPolicy()
        self._ttl = lease_ttl
        self._jitter = claim_jitter
        self._idle = idle_timeout
        self._stopping = threading.Event()
        self._owned = threading.Event()
        self._subscription: Subscription | None = None
        self._thread: threading.Thread | None = None
        self._heartbeat: threading.Thread | None = None
        self._predecessor = predecessor
        self._create = create
        self.handled = 0

    @property
    def alive(self) -> bool:
        """Whether the consumer's thread still runs."""
        return self._thread is not None and self._thread.is_alive()

    @property
    def owns_lease(self) -> bool:
        """Whether this consumer holds its lease now."""
        return self._owned.is_set()

    def start(self) -> None:
        if self._thread is not None:
            return
        label = f"esruntime-consumer-{self.tenant}-{self.name}"
        self._thread = threading.Thread(target=self._run, name=label, daemon=True)
        self._heartbeat = threading.Thread(target=self._renew, name=f"{label}-lease", daemon=True)
        self._thread.start()
        self._heartbeat.start()

    def stop(self, timeout: float | None = None) -> None:
        """Stop after the event being handled is recorded, and give the lease up."""
        self._stopping.set()
        subscription = self._subscription
        if subscription is not None:
            subscription.close()
        for thread in (self._thread, self._heartbeat):
            if thread is not None and thread is not threading.current_thread():
                thread.join(timeout)

    # -- the loop --------------------------------------------------------------------------------

    def _run(self) -> None:
        if self._predecessor is not None:
            self._predecessor.stop()  # it finishes its event and gives the lease up
            self._predecessor = None
        while not self._stopping.is_set():
            if self._jitter and self._stopping.wait(random.uniform(0, self._jitter)):
                break
            try:
                position = self._acquire()
                if position is None:
                    if self._store.checkpoint(self.tenant, self.name) is None:
                        logger.info("consumer %s was deleted; it stops", self.name)
                        self._stopping.set()
                        break
                    self._stopping.wait(min(self._ttl / 3, 5.0))
                    continue
                self._owned.set()
                self._consume(position)
            except (_LeaseLost, _Stopped):
                pass
            except Exception:
                logger.exception(
                    "consumer %s of tenant %s failed; retrying", self.name, self.tenant
                )
                self._stopping.wait(1.0)
            finally:
                self._owned.clear()
        try:
            self._store.release(self.tenant, self.name, self.owner)
        except Exception:
            logger.exception("consumer %s could not release its lease", self.name)

    def _acquire(self) -> int | None:
        """Take the lease; only the first attempt may create the row (see ``create``)."""
        start = None
        if self._create:
            start = self._start if self._start is not None else self._events.head() or 0
        position = self._store.acquire(
            self.tenant, self.name, self.owner, ttl=self._ttl, start=start
        )
        self._create = False
        return position

    def _consume(self, position: int) -> None:
        with self._events.subscribe(self.query, after=position) as subscription:
            self._subscription = subscription
            if self._stopping.is_set():
                return
            while not self._stopping.is_set():
                try:
                    event = subscription.next(timeout=self._idle)
                except SubscriptionTimeout:
                    # Events that did not match were read past: keep the checkpoint up with them.
                    if subscription.position > position:
                        self._advance(subscription.position)
                        position = subscription.position
                    continue
                except SubscriptionClosed:
                    return
                self._handle(event)
                position = event.position

    def _handle(self, event: SequencedEvent) -> None:
        attempts = 0
        while True:
            attempts += 1
            try:
                self._handler(event)
            except Halt:
                self._stopping.set()
                raise _Stopped from None
            except Exception as exc:
                if attempts > self.retry.retries:
                    error = storable_error(f"{type(exc).__name__}: {exc}")
                    letter = new_dead_letter(
                        self.tenant,
                        self.name,
                        event_id=event.id,
                        event_type=event.type,
                        position=event.position,
                        attempts=attempts,
                        error=error,
                    )
                    logger.warning(
                        "consumer %s gave up on event %s after %d attempts: %s",
                        self.name,
                        event.id,
                        attempts,
                        error,
                    )
                    self._advance(event.position, letter)
                    return
                if self._stopping.wait(self.retry.delay(attempts)):
                    raise _Stopped from None
                continue
            self.handled += 1
            self._advance(event.position)
            return

    def _advance(self, position: int, letter: DeadLetter | None = None) -> None:
        store = self._store
        if not store.advance(self.tenant, self.name, self.owner, position, dead_letter=letter):
            logger.warning("consumer %s lost its lease to another process", self.name)
            raise _LeaseLost

    def _renew(self) -> None:
        interval = self._ttl / 3
        while not self._stopping.wait(interval):
            if not self._owned.is_set():
                continue
            try:
                if not self._store.renew(self.tenant, self.name, self.owner, ttl=self._ttl):
                    if self._store.checkpoint(self.tenant, self.name) is None:
                        logger.info("consumer %s was deleted; it stops", self.name)
                        self.stop(timeout=0)
                        return
                    logger.warning("consumer %s lost its lease", self.name)
            except Exception:
                logger.exception("consumer %s could not renew its lease", self.name)
