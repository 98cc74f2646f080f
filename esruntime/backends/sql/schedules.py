"""The scheduler's rows in SQLite or PostgreSQL (``esr_schedules``).

Claiming is atomic across processes. On PostgreSQL the due rows are selected ``FOR UPDATE SKIP
LOCKED`` and leased in the same transaction, so processes claiming at once split the rows
between them without waiting. On SQLite each due row is leased by one conditional ``UPDATE``
(still due, same ``next_due``, no live lease): of processes racing for a row, one updates it
and the others update nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import case, delete, or_, select, update

from esruntime.backends.sql.storage import SqlStorage
from esruntime.backends.sql.tables import schedules, tenants
from esruntime.backends.sql.timestamps import from_micros, to_micros
from esruntime.checks import check_count
from esruntime.protocols.schedules import (
    Reset,
    ScheduleState,
    check_finish,
    check_lease,
    check_resets,
    check_script_ids,
)

__all__ = ["SqlScheduleStore"]

_COLUMNS = [c for c in schedules.columns if c.name != "tenant_id"]


class SqlScheduleStore(SqlStorage):
    """A :class:`~esruntime.protocols.ScheduleStore` on a SQLAlchemy engine."""

    def _select(self) -> Any:
        return select(tenants.c.name, *_COLUMNS).join_from(
            schedules, tenants, tenants.c.id == schedules.c.tenant_id
        )

    def states(self) -> list[ScheduleState]:
        with self._transaction() as conn:
            return [_state(row) for row in conn.execute(self._select()).mappings()]

    def reset(self, tenant: str, script_id: str, schedule: str, next_due: datetime | None) -> None:
        self.reset_all([(tenant, script_id, schedule, next_due)])

    def reset_all(self, changes: Iterable[Reset]) -> None:
        statements = []
        for tenant, script_id, schedule, next_due in check_resets(changes):
            statement = self._dialect.upsert(schedules).values(
                script_id=script_id,
                tenant_id=self._tenant_id(tenant),
                schedule=schedule,
                next_due=_micros(next_due),
            )
            statements.append(
                statement.on_conflict_do_update(
                    index_elements=[schedules.c.script_id],
                    set_={"schedule": schedule, "next_due": _micros(next_due)},
                    where=schedules.c.schedule != schedule,
                )
            )
        if statements:
            with self._transaction() as conn:
                for statement in statements:
                    conn.execute(statement)

    def remove(self, script_ids: Iterable[str]) -> None:
        ids = check_script_ids(script_ids)
        if ids:
            with self._transaction() as conn:
                conn.execute(delete(schedules).where(schedules.c.script_id.in_(ids)))

    def claim(
        self, now: datetime, owner: str, lease_until: datetime, *, limit: int
    ) -> list[ScheduleState]:
        check_lease(owner, lease_until, now)
        check_count("limit", limit, 1)
        at = to_micros(now)
        due = (
            self._select()
            .where(
                schedules.c.next_due <= at,
                or_(schedules.c.lease_expires.is_(None), schedules.c.lease_expires < at),
            )
            .order_by(schedules.c.next_due, schedules.c.script_id)
            .limit(limit)
        )
        lease = {
            "lease_owner": owner,
            "lease_expires": to_micros(lease_until),
            "claimed_at": at,
            "running_tick": case(
                (schedules.c.running_tick.is_(None), schedules.c.next_due),
                else_=schedules.c.running_tick,
            ),
        }
        claimed: list[ScheduleState] = []
        with self._transaction() as conn:
            if self._dialect.row_locks:
                rows = conn.execute(due.with_for_update(of=schedules, skip_locked=True)).mappings()
                found = [_state(row) for row in rows]
                if found:
                    ids = [state.script_id for state in found]
                    conn.execute(
                        update(schedules).where(schedules.c.script_id.in_(ids)).values(lease)
                    )
                return found
            candidates = [_state(row) for row in conn.execute(due).mappings()]
        for state in candidates:
            taken = (
                update(schedules)
                .where(
                    schedules.c.script_id == state.script_id,
                    schedules.c.next_due == _micros(state.next_due),
                    or_(schedules.c.lease_expires.is_(None), schedules.c.lease_expires < at),
                )
                .values(lease)
            )
            with self._transaction() as conn:
                if conn.execute(taken).rowcount == 1:
                    claimed.append(state)
        return claimed

    def renew(self, owner: str, script_ids: Iterable[str], lease_until: datetime) -> set[str]:
        check_lease(owner, lease_until)
        ids = check_script_ids(script_ids)
        if not ids:
            return set()
        held = schedules.c.script_id.in_(ids) & (schedules.c.lease_owner == owner)
        with self._transaction() as conn:
            conn.execute(update(schedules).where(held).values(lease_expires=to_micros(lease_until)))
            return set(conn.execute(select(schedules.c.script_id).where(held)).scalars())

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
        statement = (
            update(schedules)
            .where(schedules.c.script_id == script_id, schedules.c.lease_owner == owner)
            .values(
                next_due=case(
                    (schedules.c.schedule == schedule, to_micros(next_due)),
                    else_=schedules.c.next_due,
                ),
                last_tick=schedules.c.last_tick if tick is None else to_micros(tick),
                lease_owner=None,
                lease_expires=None,
                claimed_at=None,
                running_tick=None,
            )
        )
        with self._transaction() as conn:
            return bool(conn.execute(statement).rowcount == 1)


def _micros(moment: datetime | None) -> int | None:
    return None if moment is None else to_micros(moment)


def _moment(micros: int | None) -> datetime | None:
    return None if micros is None else from_micros(micros)


def _state(row: Any) -> ScheduleState:
    return ScheduleState(
        tenant=row["name"],
        script_id=row["script_id"],
        schedule=row["schedule"],
        next_due=_moment(row["next_due"]),
        last_tick=_moment(row["last_tick"]),
        lease_owner=row["lease_owner"],
        lease_expires=_moment(row["lease_expires"]),
        claimed_at=_moment(row["claimed_at"]),
        running_tick=_moment(row["running_tick"]),
    )
