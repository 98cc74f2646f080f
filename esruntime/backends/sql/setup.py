"""Creating the tables and registering tenants, shared by every SQL-backed service."""

from __future__ import annotations

from sqlalchemy import Connection, Engine, inspect, select
from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects import postgresql as pg_dialect
from sqlalchemy.dialects import sqlite as sqlite_dialect

from esruntime.backends.sql.postgres import LOCK_NAMESPACE
from esruntime.backends.sql.tables import metadata, tenants

__all__ = ["ADDED_COLUMNS", "create_tables", "register_tenant"]

ADDED_COLUMNS = (("esr_scripts", "public"),)
"""Boolean columns (default false) added to tables after they were first released: a database
made before gets them when its tables are checked."""


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
                _add_columns(conn)
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
            with engine.begin() as conn:
                _add_columns(conn)
            return
        except sa_exc.OperationalError as exc:
            racing = "already exists" in str(exc) or "duplicate column" in str(exc)
            if not racing or attempt == 9:
                raise


def _add_columns(conn: Connection) -> None:
    """Add the columns of :data:`ADDED_COLUMNS` that an older database lacks."""
    inspector = inspect(conn)
    false = "false" if conn.dialect.name == "postgresql" else "0"
    for table, column in ADDED_COLUMNS:
        if column in {c["name"] for c in inspector.get_columns(table)}:
            continue
        conn.exec_driver_sql(
            f"ALTER TABLE {table} ADD COLUMN {column} BOOLEAN NOT NULL DEFAULT {false}"
        )


def register_tenant(engine: Engine, name: str) -> int:
    """The id of tenant ``name``, created on first use."""
    postgres = engine.dialect.name == "postgresql"
    insert = (pg_dialect.insert if postgres else sqlite_dialect.insert)(tenants)
    with engine.begin() as conn:
        conn.execute(insert.values(name=name).on_conflict_do_nothing(index_elements=["name"]))
        query = select(tenants.c.id).where(tenants.c.name == name)
        return int(conn.execute(query).scalar_one())
