"""Creating the tables and registering tenants, shared by every SQL-backed service."""

from __future__ import annotations

from sqlalchemy import Engine, select
from sqlalchemy import exc as sa_exc

from esruntime.backends.sql.dialects import upsert_for
from esruntime.backends.sql.postgres import LOCK_NAMESPACE
from esruntime.backends.sql.tables import metadata, tenants

__all__ = ["create_tables", "register_tenant"]


def create_tables(engine: Engine) -> None:
    """Create the tables that are missing, also when other processes do it at the same time.

    PostgreSQL: under a session advisory lock. SQLite: a process that loses the race sees
    "already exists" and checks again. WAL mode is set on SQLite databases: it is kept in the
    file, so a host's own engine gets it too (its other pragmas stay the host's).
    """
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.exec_driver_sql(f"SELECT pg_advisory_lock({LOCK_NAMESPACE}, 0)")
            try:
                metadata.create_all(conn, checkfirst=True)
                conn.commit()
            finally:
                conn.exec_driver_sql(f"SELECT pg_advisory_unlock({LOCK_NAMESPACE}, 0)")
                conn.commit()
        return
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA journal_mode=WAL")
    for attempt in range(10):
        try:
            metadata.create_all(engine, checkfirst=True)
            return
        except sa_exc.OperationalError as exc:
            if "already exists" not in str(exc) or attempt == 9:
                raise


def register_tenant(engine: Engine, name: str) -> int:
    """The id of tenant ``name``, created on first use."""
    insert = upsert_for(engine)(tenants)
    with engine.begin() as conn:
        conn.execute(insert.values(name=name).on_conflict_do_nothing(index_elements=["name"]))
        query = select(tenants.c.id).where(tenants.c.name == name)
        return int(conn.execute(query).scalar_one())
