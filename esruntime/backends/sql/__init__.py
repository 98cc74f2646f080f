"""The SQL backends (SQLAlchemy Core): SQLite and PostgreSQL."""

from esruntime.backends.sql.connections import create_store_engine
from esruntime.backends.sql.schemas import SqlSchemaRegistry
from esruntime.backends.sql.store import SqlEventStore

__all__ = ["SqlEventStore", "SqlSchemaRegistry", "create_store_engine"]
