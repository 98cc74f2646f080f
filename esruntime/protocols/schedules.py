"""Where the scheduler keeps each scheduled script's next due time and who is running it.

One row per scheduled script: the schedule it was computed for (``schedule``, empty while the
script is not active), ``next_due``, the tick last run, and a lease: the owner running it now,
until when the lease holds, when it was claimed, and the tick that run is for. A row is *due*
when ``next_due`` has passed and nobody holds an unexpired lease. :meth:`ScheduleStore.claim`
takes due rows atomically, so of several processes on one database exactly one gets each;
a lease that lapses (its process died) makes the row due again for another process.

:class:`~esruntime.backends.memory.InMemoryScheduleStore` keeps rows in process memory (for the
memory backend); :class:`~esruntime.backends.sql.schedules.SqlScheduleStore` keeps them in SQLite
or PostgreSQL. The ``check_*`` functions are the refusals every store makes (see
:class:`ScheduleStore`), called first so that bad input is refused alike and before any write.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from typing import Protocol, runtime_checkable

from attrs import frozen

from esruntime.checks import check_moment, check_name, check_names, check_tenant
from esruntime.errors import InvalidQueryError

__all__ = [
    "MAX_SCHEDULE_LENGTH",
    "MAX_SCRIPT_ID_LENGTH",
    "Reset",
    "ScheduleState",
    "ScheduleStore",
    "check_finish",
    "check_lease",
    "check_resets",
    "check_schedule",
    "check_script_id",
    "check_script_ids",
]

Reset = tuple[str, str, str, datetime | None]
"""``(tenant, script_id, schedule, next_due)``: one row to reset."""

MAX_SCRIPT_ID_LENGTH = 36
"""A script's id is a UUID: 36 characters."""

MAX_SCHEDULE_LENGTH = 300
"""A cron expression, a tab and a time zone name fit."""

_CONTROL_EXCEPT_TAB = re.compile(r"[\x00-\x08\x0a-\x1f\ud800-\udfff]")


@frozen
class ScheduleState:
    """One scheduled script's row (times are aware UTC datetimes)."""

    tenant: str
    script_id: str
    schedule: str
    """``expression`` and ``timezone`` joined by a tab; empty while the script is not active."""
    next_due: datetime | None = None
    last_tick: datetime | None = None
    lease_owner: str | None = None
    lease_expires: datetime | None = None
    claimed_at: datetime | None = None
    running_tick: datetime | None = None
    """The tick the lease holder runs; left set by a holder that died, so a taker re-runs it."""

    def is_due(self, now: datetime) -> bool:
        return (
            self.next_due is not None
            and self.next_due <= now
            and (self.lease_expires is None or self.lease_expires < now)
        )


def check_script_id(script_id: object) -> str:
    """A script id: a non-empty string of at most 36 characters without control characters."""
    return check_name("script_id", script_id, MAX_SCRIPT_ID_LENGTH)


def check_script_ids(script_ids: Iterable[str]) -> list[str]:
    """Script ids, from an iterable that is not a single string."""
    return check_names("script_ids", script_ids, MAX_SCRIPT_ID_LENGTH)


def check_schedule(schedule: object) -> str:
    """A schedule: empty, or up to 300 characters without a control character but the tab."""
    if (
        not isinstance(schedule, str)
        or len(schedule) > MAX_SCHEDULE_LENGTH
        or _CONTROL_EXCEPT_TAB.search(schedule)
    ):
        raise InvalidQueryError(
            f"schedule must be a string of at most {MAX_SCHEDULE_LENGTH} characters without "
            f"control characters other than the tab, got {schedule!r:.80}"
        )
    return schedule


def check_resets(changes: Iterable[Reset]) -> list[Reset]:
    """Every ``(tenant, script_id, schedule, next_due)`` of ``changes``, each checked."""
    if isinstance(changes, str | bytes) or not isinstance(changes, Iterable):
        raise InvalidQueryError(f"changes must be an iterable of tuples, got {type(changes)}")
    checked: list[Reset] = []
    for change in changes:
        if not isinstance(change, tuple) or len(change) != 4:
            raise InvalidQueryError(
                "each change must be a (tenant, script_id, schedule, next_due) tuple, "
                f"got {type(change).__name__}"
            )
        tenant, script_id, schedule, next_due = change
        check_tenant(tenant)
        check_script_id(script_id)
        check_schedule(schedule)
        if next_due is not None:
            check_moment("next_due", next_due)
        checked.append(change)
    return checked


def check_lease(owner: object, lease_until: object, now: datetime | None = None) -> None:
    """A lease's ``owner`` (a name) and its end: an aware datetime, later than ``now``."""
    check_name("owner", owner)
    until = check_moment("lease_until", lease_until)
    if now is not None and until <= check_moment("now", now):
        raise InvalidQueryError(f"lease_until must be later than now, got {until} at {now}")


def check_finish(
    script_id: object, owner: object, schedule: object, next_due: object, tick: object
) -> None:
    """The arguments of :meth:`ScheduleStore.finish`."""
    check_script_id(script_id)
    check_name("owner", owner)
    check_schedule(schedule)
    check_moment("next_due", next_due)
    if tick is not None:
        check_moment("tick", tick)


@runtime_checkable
class ScheduleStore(Protocol):
    """The schedule rows of every tenant's scheduled scripts.

    Bad arguments are refused before anything is written, the same way by every store (the
    ``check_*`` functions of this module): a ``tenant`` that is not a name (a non-empty
    string of at most 200 characters without control characters) raises
    :class:`~esruntime.errors.ConfigurationError`, as everywhere in esruntime; every other
    malformed argument raises :class:`~esruntime.errors.InvalidQueryError`, whose message
    names it:

    - a ``script_id`` (also each of ``script_ids``) that is not a non-empty string of at most
      36 characters without control characters, or ``script_ids`` given as one string;
    - a ``schedule`` that is not a string of at most 300 characters without control
      characters other than the tab;
    - a naive datetime, or anything but a datetime, for ``now``, ``lease_until``,
      ``next_due`` and ``tick`` (``next_due`` of :meth:`reset` and ``tick`` may be None);
      a claim's ``lease_until`` not later than its ``now``;
    - an ``owner`` that is not a name, a ``limit`` below 1;
    - a change of :meth:`reset_all` that is not a ``(tenant, script_id, schedule,
      next_due)`` tuple: every change is checked before any is written.
    """

    def states(self) -> list[ScheduleState]:
        """Every row."""
        ...

    def reset(self, tenant: str, script_id: str, schedule: str, next_due: datetime | None) -> None:
        """Create the row, or give it a new schedule and ``next_due`` when its ``schedule``
        differs (a lease in progress is kept)."""

    def reset_all(self, changes: Iterable[Reset]) -> None:
        """:meth:`reset` every ``(tenant, script_id, schedule, next_due)``, in one transaction."""

    def remove(self, script_ids: Iterable[str]) -> None:
        """Forget the rows of these scripts (deleted, or no longer scheduled)."""

    def claim(
        self, now: datetime, owner: str, lease_until: datetime, *, limit: int
    ) -> list[ScheduleState]:
        """Lease up to ``limit`` due rows to ``owner``, atomically, and return them as they were
        before: a row with ``running_tick`` set was held by a process whose lease lapsed.

        A claimed row gets ``claimed_at = now`` and keeps ``running_tick`` or, when it had none,
        takes ``next_due`` as its ``running_tick``.
        """
        ...

    def renew(self, owner: str, script_ids: Iterable[str], lease_until: datetime) -> set[str]:
        """Extend ``owner``'s leases; the ids whose lease it still held."""
        ...

    def finish(
        self,
        script_id: str,
        owner: str,
        *,
        schedule: str,
        next_due: datetime,
        tick: datetime | None,
    ) -> bool:
        """Release ``owner``'s lease after running ``tick``: ``last_tick = tick`` (kept when
        ``tick`` is None: nothing ran), and
        ``next_due`` when the row's schedule is still ``schedule`` (else the row was reset
        meanwhile and keeps its own). False when ``owner`` no longer held the lease."""
        ...
