"""The SQL event store (SQLAlchemy Core): SQLite and PostgreSQL."""

from esruntime.backends.sql.connections import create_store_engine
from esruntime.backends.sql.store import SqlEventStore

__all__ = ["SqlEventStore", "create_store_engine"]
