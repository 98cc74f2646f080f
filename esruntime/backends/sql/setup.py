"""Creating the tables and registering tenants, shared by every SQL-backed service."""

from __future__ import annotations

from sqlalchemy import Connection, Engine, inspect, select
from sqlalchemy import exc as sa_exc

from esruntime.backends.sql.dialects import dialect_of, upsert_for
from esruntime.backends.sql.tables import metadata, tenants

__all__ = ["ADDED_COLUMNS", "ADDED_INDEXES", "create_tables", "register_tenant"]

ADDED_COLUMNS = (
    ("esr_scripts", "public", "BOOLEAN NOT NULL DEFAULT {false}"),
    ("esr_script_executions", "event_id", "VARCHAR(200)"),
)
"""Columns (table, column, SQL type) added to tables after they were first released: a database
made before gets them when its tables are checked (``{false}`` is the dialect's false)."""

ADDED_INDEXES = (("esr_script_executions", "esr_script_executions_event"),)
"""Indexes (table, index) on columns of :data:`ADDED_COLUMNS`, made with them."""


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
            text = str(exc)
            racing = any(
                sign in text for sign in ("already exists", "duplicate column", "duplicate key")
            )
            if not racing or attempt == 9:
                raise


def _add_columns(conn: Connection) -> None:
    """Add the columns of :data:`ADDED_COLUMNS` and the indexes of :data:`ADDED_INDEXES` that
    an older database lacks."""
    inspector = inspect(conn)
    false = "false" if conn.dialect.name == "postgresql" else "0"
    for table, column, kind in ADDED_COLUMNS:
        if column in {c["name"] for c in inspector.get_columns(table)}:
            continue
        conn.exec_driver_sql(f"ALTER TABLE {table} ADD COLUMN {column} {kind.format(false=false)}")
    for table, name in ADDED_INDEXES:
        if name in {i["name"] for i in inspector.get_indexes(table)}:
            continue
        index = next(i for i in metadata.tables[table].indexes if i.name == name)
        index.create(conn, checkfirst=True)


def register_tenant(engine: Engine, name: str) -> int:
    """The id of tenant ``name``, created on first use."""
    insert = upsert_for(engine)(tenants)
    with engine.begin() as conn:
        conn.execute(insert.values(name=name).on_conflict_do_nothing(index_elements=["name"]))
        query = select(tenants.c.id).where(tenants.c.name == name)
        return int(conn.execute(query).scalar_one())
