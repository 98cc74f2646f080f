"""Creating the tables and registering tenants, shared by every SQL-backed service."""

from __future__ import annotations

from sqlalchemy import Engine, select

from esruntime.backends.sql.dialects import dialect_of, upsert_for
from esruntime.backends.sql.tables import tenants

__all__ = ["create_tables", "register_tenant"]


def create_tables(engine: Engine) -> None:
    """Create the tables that are missing, also when other processes do it at the same time
    (each dialect has its way: see its ``create_tables``)."""
    dialect_of(engine).create_tables(engine)


def register_tenant(engine: Engine, name: str) -> int:
    """The id of tenant ``name``, created on first use."""
    insert = upsert_for(engine)(tenants)
    with engine.begin() as conn:
        conn.execute(insert.values(name=name).on_conflict_do_nothing(index_elements=["name"]))
        query = select(tenants.c.id).where(tenants.c.name == name)
        return int(conn.execute(query).scalar_one())
