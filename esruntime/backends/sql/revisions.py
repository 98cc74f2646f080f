"""A tenant's revision: one number that changes whenever what its commands run changes.

Every schema push and every handler upload, rollback or deletion bumps the tenant's row of
``esr_tenant_revisions`` in its own transaction (:func:`bump_revision`), whichever process makes
it. A runtime reads that number before each command (:class:`SqlTenantRevision`) and looks the
current schema and handler versions up again only when it moved: one small read instead of
two lookups, and a change committed by any process is still seen by the next command.

The read goes to the driver directly (measured on SQLite: about 5 µs on the thread's own
connection, against about 60 µs for each lookup through SQLAlchemy's pool and compiler).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Engine

from esruntime.backends.sql.connections import thread_connections
from esruntime.backends.sql.dialects import dialect_of
from esruntime.backends.sql.errors import translate_errors
from esruntime.backends.sql.tables import tenant_revisions

__all__ = ["SqlTenantRevision", "bump_revision"]

_SELECT = "SELECT revision FROM esr_tenant_revisions WHERE tenant_id = {}"


def bump_revision(conn: Connection, tenant_id: int) -> None:
    """Bump tenant ``tenant_id``'s revision within ``conn``'s transaction (the change's own)."""
    statement = (
        dialect_of(conn.engine).upsert(tenant_revisions).values(tenant_id=tenant_id, revision=1)
    )
    conn.execute(
        statement.on_conflict_do_update(
            index_elements=["tenant_id"], set_={"revision": tenant_revisions.c.revision + 1}
        )
    )


class SqlTenantRevision:
    """Calling it reads tenant ``tenant_id``'s revision (0 before its first change).

    SQLite: on this thread's connection, shared with the event store (no pool checkout).
    PostgreSQL: one prepared statement on a pooled connection, one round trip.
    """

    def __init__(self, engine: Engine, tenant_id: int) -> None:
        self._engine = engine
        self._tenant_id = tenant_id
        self._sqlite = engine.dialect.name == "sqlite"
        self._connections = thread_connections(engine) if self._sqlite else None
        self._sql = _SELECT.format("?" if self._sqlite else "%s")

    def __call__(self) -> int:
        with translate_errors():
            if self._connections is not None:
                row = self._connections.get().execute(self._sql, (self._tenant_id,)).fetchone()
            else:
                row = self._postgres()
        return 0 if row is None else int(row[0])

    def _postgres(self) -> Any:
        pooled = self._engine.raw_connection()
        try:
            conn: Any = pooled.driver_connection
            if not conn.autocommit:  # an engine of the host's: end the read's transaction
                try:
                    return conn.execute(self._sql, (self._tenant_id,), prepare=True).fetchone()
                finally:
                    conn.rollback()
            return conn.execute(self._sql, (self._tenant_id,), prepare=True).fetchone()
        finally:
            pooled.close()
