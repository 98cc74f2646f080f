"""Where the scheduler keeps each scheduled script's next due time and who is running it.

One row per scheduled script: the schedule it was computed for (``schedule``, empty while the
script is not active), ``next_due``, the tick last run, and a lease: the owner running it now,
until when the lease holds, when it was claimed, and the tick that run is for. A row is *due*
when ``next_due`` has passed and nobody holds an unexpired lease. :meth:`ScheduleStore.claim`
takes due rows atomically, so of several processes on one database exactly one gets each;
a lease that lapses (its process died) makes the row due again for another process.

:class:`~esruntime.backends.memory.InMemoryScheduleStore` keeps rows in process memory (for the
memory backend); :class:`~esruntime.backends.sql.schedules.SqlScheduleStore` keeps them in SQLite
or PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Protocol, runtime_checkable

from attrs import frozen

__all__ = ["Reset", "ScheduleState", "ScheduleStore"]

Reset = tuple[str, str, str, datetime | None]
"""``(tenant, script_id, schedule, next_due)``: one row to reset."""


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


@runtime_checkable
class ScheduleStore(Protocol):
    """The schedule rows of every tenant's scheduled scripts."""

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
