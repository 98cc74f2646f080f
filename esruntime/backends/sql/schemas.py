"""The schema registry's versions in SQL (``esr_schema_versions``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, Select, bindparam, func, insert, select
from sqlalchemy import exc as sa_exc

from esruntime.backends.sql.errors import translate_errors
from esruntime.backends.sql.storage import SqlTenantStorage
from esruntime.backends.sql.tables import schema_versions
from esruntime.backends.sql.timestamps import from_micros, to_micros
from esruntime.protocols.schema import SchemaRow
from esruntime.schema.changes import EventCounter
from esruntime.schema.registry import SchemaService

__all__ = ["SqlSchemaRegistry", "SqlSchemaStorage"]

Row = SchemaRow


class SqlSchemaStorage(SqlTenantStorage):
    """One tenant's schema versions in SQLite or PostgreSQL.

    Each version takes the next ``seq`` of its tenant; the primary key refuses a second insert
    at the same ``seq``, which is how a concurrent push learns that it lost the race.
    """

    def __init__(
        self, engine: Engine | str, tenant: str = "default", *, create_tables: bool = True
    ) -> None:
        super().__init__(engine, tenant, create_tables=create_tables)
        self._latest: Row | None = None

    def _select(self) -> Select[Any]:
        c = schema_versions.c
        return (
            select(c.seq, c.version, c.text, c.created_at)
            .where(c.tenant_id == self._tenant_id)
            .order_by(c.seq)
        )

    def rows(self) -> list[Row]:
        with translate_errors(), self._engine.connect() as conn:
            return [_row(r) for r in conn.execute(self._select())]

    def latest(self) -> Row | None:
        # Asked for every command: the latest seq alone, and its text only when it is new.
        with translate_errors(), self._engine.connect() as conn:
            seq = conn.execute(_LATEST_SEQ, {"tenant": self._tenant_id}).scalar()
            if seq is None:
                return None
            known = self._latest
            if known is not None and known[0] == seq:
                return known
            row = conn.execute(self._select().where(schema_versions.c.seq == seq)).first()
        if row is None:  # pragma: no cover - versions are never deleted
            return None
        self._latest = _row(row)
        return self._latest

    def insert(self, row: Row) -> bool:
        seq, version, text, created_at = row
        micros = to_micros(created_at)
        values = {
            "tenant_id": self._tenant_id,
            "seq": seq,
            "version": version,
            "text": text,
            "created_at": micros,
        }
        with translate_errors():
            try:
                with self._engine.begin() as conn:
                    conn.execute(insert(schema_versions).values(**values))
            except sa_exc.IntegrityError:
                return False
        return True


class SqlSchemaRegistry(SchemaService):
    """A convenience: the schema service over :class:`SqlSchemaStorage` (it adds nothing else);
    ``counter`` is usually the tenant's ``SqlEventStore``."""

    def __init__(
        self,
        engine: Engine | str,
        counter: EventCounter,
        tenant: str = "default",
        *,
        create_tables: bool = True,
    ) -> None:
        super().__init__(SqlSchemaStorage(engine, tenant, create_tables=create_tables), counter)


_LATEST_SEQ = select(func.max(schema_versions.c.seq)).where(
    schema_versions.c.tenant_id == bindparam("tenant")
)


def _row(row: Any) -> Row:
    seq, version, text, created_at = row
    return int(seq), str(version), str(text), from_micros(int(created_at))
