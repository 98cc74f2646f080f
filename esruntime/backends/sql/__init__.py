"""The SQL backend (SQLAlchemy Core): SQLite and PostgreSQL.

Each storage class implements one protocol of :mod:`esruntime.protocols`; ``SqlSchemaRegistry``,
``SqlHandlerRegistry`` and ``SqlApiKeyStore`` are the domain services over them, ready to use.
"""

from esruntime.backends.sql.backend import SqlBackend
from esruntime.backends.sql.connections import create_store_engine
from esruntime.backends.sql.consumers import SqlConsumerStore
from esruntime.backends.sql.handlers import SqlHandlerRegistry, SqlHandlerStorage
from esruntime.backends.sql.keys import SqlApiKeyStorage, SqlApiKeyStore
from esruntime.backends.sql.schedules import SqlScheduleStore
from esruntime.backends.sql.schemas import SqlSchemaRegistry, SqlSchemaStorage
from esruntime.backends.sql.scripts import SqlScriptRepository
from esruntime.backends.sql.store import SqlEventStore

__all__ = [
    "SqlApiKeyStorage",
    "SqlApiKeyStore",
    "SqlBackend",
    "SqlConsumerStore",
    "SqlEventStore",
    "SqlHandlerRegistry",
    "SqlHandlerStorage",
    "SqlScheduleStore",
    "SqlSchemaRegistry",
    "SqlSchemaStorage",
    "SqlScriptRepository",
    "create_store_engine",
]
