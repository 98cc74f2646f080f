"""Creating the tables and registering tenants, shared by every SQL-backed service."""

from __future__ import annotations

from sqlalchemy import Connection, Engine, inspect, select
from sqlalchemy import exc as sa_exc

from esruntime.backends.sql.dialects import dialect_of, upsert_for
from esruntime.backends.sql.tables import tenants

__all__ = ["ADDED_COLUMNS", "create_tables", "register_tenant"]

ADDED_COLUMNS = (("esr_scripts", "public"),)
"""Boolean columns (default false) added to tables after they were first released: a database
made before gets them when its tables are checked."""


def create_tables(engine: Engine) -> None:
    """Create the tables that are missing, also when other processes do it at the same time
    (each dialect has its way: see its ``create_tables``), then the columns added since."""
    dialect_of(engine).create_tables(engine)
    for attempt in range(10):
        try:
            with engine.begin() as conn:
                _add_columns(conn)
            return
        except sa_exc.DBAPIError as exc:  # another process added it first: check again
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
    insert = upsert_for(engine)(tenants)
    with engine.begin() as conn:
        conn.execute(insert.values(name=name).on_conflict_do_nothing(index_elements=["name"]))
        query = select(tenants.c.id).where(tenants.c.name == name)
        return int(conn.execute(query).scalar_one())
