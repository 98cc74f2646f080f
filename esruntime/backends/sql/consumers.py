"""Durable consumers' checkpoints, leases and dead letters in SQLite or PostgreSQL
(``esr_consumers``, ``esr_dead_letters``), next to the events they follow.

Taking a lease is one conditional ``UPDATE`` (free, lapsed or already the caller's): a row lock
on PostgreSQL, the write lock on SQLite, so of two processes only one gets it. Advancing the
checkpoint is conditional on the owner too, and writes the dead letter in the same transaction.
Only ``ensure`` and a first ``acquire`` given ``start`` insert a consumer's row; every other
write updates a row that exists, so a deleted consumer stays deleted whoever still runs it.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import Connection, and_, case, delete, func, insert, or_, select, update

from esruntime.backends.sql.errors import translate_errors
from esruntime.backends.sql.paging import read_page
from esruntime.backends.sql.storage import SqlStorage
from esruntime.backends.sql.tables import consumers, dead_letters
from esruntime.backends.sql.timestamps import from_micros, to_micros
from esruntime.checks import check_count, check_lookup, check_tenant
from esruntime.protocols.consumers import (
    DeadLetter,
    check_consumer,
    check_dead_letter,
    check_ttl,
)

__all__ = ["SqlConsumerStore"]

_MICROS = 1_000_000


class SqlConsumerStore(SqlStorage):
    """A :class:`~esruntime.protocols.ConsumerStore` on a SQLAlchemy engine."""

    def _key(self, tenant: str, consumer: str) -> Any:
        return and_(consumers.c.tenant_id == self._tenant_id(tenant), consumers.c.name == consumer)

    def _create(self, conn: Connection, tenant: str, consumer: str, start: int) -> None:
        insert_ = self._dialect.upsert(consumers)
        row = {
            "tenant_id": self._tenant_id(tenant),
            "name": consumer,
            "position": start,
            "owner": None,
            "lease_expires": 0,
        }
        conn.execute(
            insert_.values(row).on_conflict_do_nothing(index_elements=["tenant_id", "name"])
        )

    def ensure(self, tenant: str, consumer: str, start: int) -> int:
        check_consumer(tenant, consumer)
        check_count("start", start)
        with self._transaction() as conn:
            self._create(conn, tenant, consumer, start)
            position = conn.execute(
                select(consumers.c.position).where(self._key(tenant, consumer))
            ).scalar_one()
        return int(position)

    def checkpoint(self, tenant: str, consumer: str) -> int | None:
        check_consumer(tenant, consumer)
        with translate_errors(), self._engine.connect() as conn:
            found = conn.execute(
                select(consumers.c.position).where(self._key(tenant, consumer))
            ).scalar_one_or_none()
        return None if found is None else int(found)

    def acquire(
        self, tenant: str, consumer: str, owner: str, *, ttl: float, start: int | None = None
    ) -> int | None:
        check_consumer(tenant, consumer, owner)
        check_ttl(ttl)
        if start is not None:
            check_count("start", start)
        now = _now()
        take = (
            update(consumers)
            .where(
                self._key(tenant, consumer),
                or_(
                    consumers.c.owner.is_(None),
                    consumers.c.owner == owner,
                    consumers.c.lease_expires < now,
                ),
            )
            .values(owner=owner, lease_expires=now + int(ttl * _MICROS))
        )
        with self._transaction() as conn:
            if start is not None:
                self._create(conn, tenant, consumer, start)
            if conn.execute(take).rowcount != 1:
                return None
            position = conn.execute(
                select(consumers.c.position).where(self._key(tenant, consumer))
            ).scalar_one()
        return int(position)

    def renew(self, tenant: str, consumer: str, owner: str, *, ttl: float) -> bool:
        check_consumer(tenant, consumer, owner)
        check_ttl(ttl)
        statement = (
            update(consumers)
            .where(self._key(tenant, consumer), consumers.c.owner == owner)
            .values(lease_expires=_now() + int(ttl * _MICROS))
        )
        with self._transaction() as conn:
            return bool(conn.execute(statement).rowcount == 1)

    def release(self, tenant: str, consumer: str, owner: str) -> None:
        check_consumer(tenant, consumer, owner)
        statement = (
            update(consumers)
            .where(self._key(tenant, consumer), consumers.c.owner == owner)
            .values(owner=None, lease_expires=0)
        )
        with self._transaction() as conn:
            conn.execute(statement)

    def advance(
        self,
        tenant: str,
        consumer: str,
        owner: str,
        position: int,
        *,
        dead_letter: DeadLetter | None = None,
    ) -> bool:
        check_consumer(tenant, consumer, owner)
        check_count("position", position)
        if dead_letter is not None:
            check_dead_letter(dead_letter, tenant, consumer)
        statement = (
            update(consumers)
            .where(self._key(tenant, consumer), consumers.c.owner == owner)
            .values(
                position=case(
                    (consumers.c.position < position, position), else_=consumers.c.position
                )
            )
        )
        with self._transaction() as conn:
            if conn.execute(statement).rowcount != 1:
                return False
            if dead_letter is not None:
                conn.execute(insert(dead_letters).values(self._letter_row(dead_letter)))
        return True

    def delete(self, tenant: str, consumer: str) -> None:
        check_consumer(tenant, consumer)
        tenant_id = self._tenant_id(tenant)
        with self._transaction() as conn:
            conn.execute(delete(consumers).where(self._key(tenant, consumer)))
            conn.execute(
                delete(dead_letters).where(
                    dead_letters.c.tenant_id == tenant_id, dead_letters.c.consumer == consumer
                )
            )

    def dead_letters(
        self, tenant: str, *, consumer: str | None = None, offset: int = 0, limit: int = 20
    ) -> tuple[list[DeadLetter], int]:
        check_tenant(tenant)
        if consumer is not None:
            check_consumer(tenant, consumer)
        check_count("offset", offset)
        check_count("limit", limit, 1)
        conditions: list[Any] = [dead_letters.c.tenant_id == self._tenant_id(tenant)]
        if consumer is not None:
            conditions.append(dead_letters.c.consumer == consumer)
        query = (
            select(dead_letters)
            .where(*conditions)
            .order_by(dead_letters.c.position, dead_letters.c.consumer, dead_letters.c.id)
            .offset(offset)
            .limit(limit)
        )
        counting = select(func.count()).select_from(dead_letters).where(*conditions)
        with translate_errors(), self._engine.connect() as conn:
            rows, total = read_page(conn, query, counting, offset=offset)
        return [_letter(tenant, row) for row in rows], total

    def get_dead_letter(self, tenant: str, letter_id: str) -> DeadLetter | None:
        check_tenant(tenant)
        check_lookup("letter_id", letter_id)
        query = select(dead_letters).where(
            dead_letters.c.tenant_id == self._tenant_id(tenant), dead_letters.c.id == letter_id
        )
        with translate_errors(), self._engine.connect() as conn:
            row = conn.execute(query).mappings().first()
        return None if row is None else _letter(tenant, row)

    def save_dead_letter(self, letter: DeadLetter) -> bool:
        check_dead_letter(letter)
        row = self._letter_row(letter)
        statement = (
            update(dead_letters)
            .where(dead_letters.c.tenant_id == row["tenant_id"], dead_letters.c.id == letter.id)
            .values(attempts=letter.attempts, error=letter.error)
        )
        with self._transaction() as conn:
            return bool(conn.execute(statement).rowcount == 1)

    def remove_dead_letter(self, tenant: str, letter_id: str) -> bool:
        check_tenant(tenant)
        check_lookup("letter_id", letter_id)
        statement = delete(dead_letters).where(
            dead_letters.c.tenant_id == self._tenant_id(tenant), dead_letters.c.id == letter_id
        )
        with self._transaction() as conn:
            return bool(conn.execute(statement).rowcount == 1)

    def _letter_row(self, letter: DeadLetter) -> dict[str, Any]:
        return {
            "tenant_id": self._tenant_id(letter.tenant),
            "id": letter.id,
            "consumer": letter.consumer,
            "event_id": letter.event_id,
            "event_type": letter.event_type,
            "position": letter.position,
            "attempts": letter.attempts,
            "error": letter.error,
            "created_at": to_micros(letter.created_at),
        }


def _letter(tenant: str, row: Any) -> DeadLetter:
    return DeadLetter(
        row["id"],
        tenant,
        row["consumer"],
        row["event_id"],
        row["event_type"],
        int(row["position"]),
        int(row["attempts"]),
        row["error"],
        from_micros(int(row["created_at"])),
    )


def _now() -> int:
    return int(time.time() * _MICROS)
