"""Group commit: appends that arrive while another commits are written in one transaction.

The first writer to find nobody committing becomes the leader and appends alone, exactly as
without group commit. Writers that arrive meanwhile queue up. When the leader is done it hands
the lead to the first of them, which takes every queued append (up to :data:`MAX_GROUP`) and
writes them in one transaction: each append's condition is checked in turn against the head as
it stands, so it sees the appends before it in the group, and an append that fails (its
condition, a duplicate idempotency key or event id) fails alone. After the commit, each writer
of the group is woken with its own position or error: nobody is acknowledged before the
transaction is durable, and an error of the transaction itself (the database gone, the disk
full) reaches every writer of the group, of which nothing was written.

Followers wait on a lock of their own, allocated only when they queue: a writer alone pays two
acquisitions of an uncontended mutex (about 1 µs). A child process (``fork``) starts with
empty queues.
"""

from __future__ import annotations

import copy
import os
import threading
import weakref
from collections import deque
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine

from esruntime.encoding import EncodedEvent
from esruntime.errors import (
    DuplicateEventIdError,
    EventStoreError,
    IntegrityError,
    InvalidQueryError,
    StoreQueryError,
)
from esruntime.events import AppendCondition
from esruntime.idempotency import DuplicateIdempotencyKey, IdempotencyRecord

__all__ = ["MAX_GROUP", "GroupCommit", "PendingAppend", "fails_alone", "group_commit_for"]

MAX_GROUP = 256
"""The most appends one transaction takes; later ones form the next group."""


class PendingAppend:
    """One writer's append waiting for its group: what to write, then its outcome."""

    __slots__ = ("condition", "encoded", "error", "head", "leads", "record", "store", "wake")

    def __init__(
        self,
        store: Any,
        encoded: list[EncodedEvent],
        condition: AppendCondition | None,
        record: IdempotencyRecord | None,
    ) -> None:
        self.store = store
        self.encoded = encoded
        self.condition = condition
        self.record = record
        self.head = 0
        self.error: BaseException | None = None
        self.leads = False
        self.wake: Any = None  # a threading.Lock, held until the writer may go on

    def succeed(self, head: int) -> None:
        self.head, self.error = head, None

    def fail(self, error: BaseException) -> None:
        self.error = error

    def outcome(self) -> int:
        """The new head, or the append's error raised."""
        if self.error is not None:
            raise self.error
        return self.head


Alone = Callable[[Any, list[EncodedEvent], AppendCondition | None, IdempotencyRecord | None], int]
"""Append one writer's events (store, events, condition, record) in a transaction of their
own: the new head, or an error (the dialect's ``append``)."""
Together = Callable[[list[PendingAppend]], None]
"""Append a group in one transaction, recording each append's outcome; raise (having written
nothing) when the transaction itself fails."""


class GroupCommit:
    """The queue of one database's (SQLite) or one tenant's (PostgreSQL) appends."""

    def __init__(self, max_group: int = MAX_GROUP) -> None:
        self.max_group = max_group
        self._reset()
        _every.add(self)

    def _reset(self) -> None:
        self._mutex = threading.Lock()
        self._queue: deque[PendingAppend] = deque()
        self._leading = False

    def append(
        self,
        store: Any,
        encoded: list[EncodedEvent],
        condition: AppendCondition | None,
        record: IdempotencyRecord | None,
        alone: Alone,
        together: Together,
    ) -> int:
        """Write the append alone or in a group: its new head once durable, or its error."""
        mutex = self._mutex
        mutex.acquire()
        if not self._leading:  # nobody else is committing: append alone, as without groups
            self._leading = True
            mutex.release()
            try:
                return alone(store, encoded, condition, record)
            finally:
                mutex.acquire()
                if self._queue:
                    self._hand_over()
                else:
                    self._leading = False
                mutex.release()
        pending = PendingAppend(store, encoded, condition, record)
        wake = pending.wake = threading.Lock()
        wake.acquire()
        self._queue.append(pending)
        mutex.release()
        try:
            wake.acquire()
        except BaseException:  # interrupted (Ctrl-C on the main thread) while queued
            with mutex:
                if not pending.leads and pending in self._queue:
                    self._queue.remove(pending)  # not taken: nothing of it is written
                    raise
            # Taken by a group, or about to lead one: see it through, then stop.
            wake.acquire()
            if pending.leads:
                self._lead(pending, alone, together)
            raise
        if pending.leads:
            self._lead(pending, alone, together)
        return pending.outcome()

    def _lead(self, leader: PendingAppend, alone: Alone, together: Together) -> None:
        """Write every queued append (the leader's first), then wake their writers."""
        with self._mutex:
            count = min(len(self._queue), self.max_group)
            group = [self._queue.popleft() for _ in range(count)]
        try:
            if len(group) == 1:
                try:
                    head = alone(leader.store, leader.encoded, leader.condition, leader.record)
                    leader.succeed(head)
                except Exception as exc:
                    leader.fail(exc)
            else:
                try:
                    together(group)
                except BaseException as exc:
                    for pending in group:
                        pending.fail(exc if pending is leader else _for_follower(exc))
                    if not isinstance(exc, Exception):
                        raise
        finally:
            self._pass_on()
            for pending in group:
                if pending is not leader:
                    pending.wake.release()

    def _pass_on(self) -> None:
        """Hand the lead to the first queued writer, or leave it free."""
        with self._mutex:
            if self._queue:
                self._hand_over()
            else:
                self._leading = False

    def _hand_over(self) -> None:
        """Make the first queued writer the leader (the mutex held)."""
        first = self._queue[0]
        first.leads = True
        first.wake.release()


def _for_follower(exc: BaseException) -> BaseException:
    """An error of the group's transaction for another writer of the group: a copy, so that
    each thread raises its own object (raising adds to the traceback)."""
    if not isinstance(exc, Exception):
        error: BaseException = EventStoreError(f"the append's group was interrupted: {exc!r}")
        error.__cause__ = exc
        return error
    try:
        error = copy.copy(exc)
    except Exception:
        return exc
    error.__cause__ = exc.__cause__
    error.__traceback__ = None
    return error


_every: weakref.WeakSet[GroupCommit] = weakref.WeakSet()


def _reset_after_fork() -> None:
    """A child process starts with empty queues: the parent's writers are not its own, and a
    mutex held by one of the parent's threads would never be released in the child."""
    for group_commit in list(_every):
        group_commit._reset()


os.register_at_fork(after_in_child=_reset_after_fork)

_registry: weakref.WeakKeyDictionary[Engine, dict[int | None, GroupCommit]] = (
    weakref.WeakKeyDictionary()
)


def group_commit_for(engine: Engine, scope: int | None) -> GroupCommit:
    """The queue of ``engine``'s appends in ``scope`` (a tenant id, or None for the whole
    database), shared by every store of this process on that engine."""
    return _registry.setdefault(engine, {}).setdefault(scope, GroupCommit())


def fails_alone(error: EventStoreError) -> bool:
    """Whether ``error`` of one append in a group fails that append only: its condition, a
    duplicate idempotency key or event id, data or a query the database refuses. Anything
    else (the connection, a lock, the disk) fails the group's transaction."""
    return isinstance(
        error,
        IntegrityError
        | DuplicateIdempotencyKey
        | DuplicateEventIdError
        | StoreQueryError
        | InvalidQueryError,
    )
