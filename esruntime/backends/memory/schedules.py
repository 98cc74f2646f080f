"""The scheduler's rows kept in process memory: :class:`InMemoryScheduleStore`, the memory
backend's :class:`~esruntime.protocols.ScheduleStore`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from datetime import datetime

from attrs import evolve

from esruntime.checks import check_count
from esruntime.protocols.schedules import (
    Reset,
    ScheduleState,
    check_finish,
    check_lease,
    check_resets,
    check_script_ids,
)

__all__ = ["InMemoryScheduleStore"]


class InMemoryScheduleStore:
    """A :class:`~esruntime.protocols.ScheduleStore` in process memory, under one lock."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rows: dict[str, ScheduleState] = {}

    def states(self) -> list[ScheduleState]:
        with self._lock:
            return list(self._rows.values())

    def reset(self, tenant: str, script_id: str, schedule: str, next_due: datetime | None) -> None:
        self.reset_all([(tenant, script_id, schedule, next_due)])

    def reset_all(self, changes: Iterable[Reset]) -> None:
        checked = check_resets(changes)
        with self._lock:
            for tenant, script_id, schedule, next_due in checked:
                row = self._rows.get(script_id)
                if row is None:
                    self._rows[script_id] = ScheduleState(tenant, script_id, schedule, next_due)
                elif row.schedule != schedule:
                    self._rows[script_id] = evolve(row, schedule=schedule, next_due=next_due)

    def remove(self, script_ids: Iterable[str]) -> None:
        ids = check_script_ids(script_ids)
        with self._lock:
            for script_id in ids:
                self._rows.pop(script_id, None)

    def claim(
        self, now: datetime, owner: str, lease_until: datetime, *, limit: int
    ) -> list[ScheduleState]:
        check_lease(owner, lease_until, now)
        check_count("limit", limit, 1)
        with self._lock:
            due = sorted(
                (row for row in self._rows.values() if row.is_due(now)),
                key=lambda row: (row.next_due, row.script_id),
            )[:limit]
            for row in due:
                self._rows[row.script_id] = evolve(
                    row,
                    lease_owner=owner,
                    lease_expires=lease_until,
                    claimed_at=now,
                    running_tick=row.running_tick or row.next_due,
                )
            return due

    def renew(self, owner: str, script_ids: Iterable[str], lease_until: datetime) -> set[str]:
        check_lease(owner, lease_until)
        ids = check_script_ids(script_ids)
        held = set()
        with self._lock:
            for script_id in ids:
                row = self._rows.get(script_id)
                if row is not None and row.lease_owner == owner:
                    self._rows[script_id] = evolve(row, lease_expires=lease_until)
                    held.add(script_id)
        return held

    def finish(
        self,
        script_id: str,
        owner: str,
        *,
        schedule: str,
        next_due: datetime,
        tick: datetime | None,
    ) -> bool:
        check_finish(script_id, owner, schedule, next_due, tick)
        with self._lock:
            row = self._rows.get(script_id)
            if row is None or row.lease_owner != owner:
                return False
            self._rows[script_id] = evolve(
                row,
                next_due=next_due if row.schedule == schedule else row.next_due,
                last_tick=row.last_tick if tick is None else tick,
                lease_owner=None,
                lease_expires=None,
                claimed_at=None,
                running_tick=None,
            )
            return True
