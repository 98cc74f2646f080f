"""The SQL backend: every tenant's storage in one SQLite or PostgreSQL database."""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import Engine

from esruntime.backends.sql import setup
from esruntime.backends.sql.connections import create_store_engine
from esruntime.backends.sql.consumers import SqlConsumerStore
from esruntime.backends.sql.errors import translate_errors
from esruntime.backends.sql.handlers import SqlHandlerStorage
from esruntime.backends.sql.keys import SqlApiKeyStorage
from esruntime.backends.sql.revisions import PostgresRevisions, SqlTenantRevision
from esruntime.backends.sql.schedules import SqlScheduleStore
from esruntime.backends.sql.schemas import SqlSchemaStorage
from esruntime.backends.sql.scripts import SqlScriptRepository
from esruntime.backends.sql.store import SqlEventStore

__all__ = ["SqlBackend", "open_backend", "open_event_store"]


class SqlBackend:
    """Every storage in one SQLite or PostgreSQL database, sharing one engine.

    The tables are created when missing (``create_tables=False`` leaves that to migrations);
    ``group_commit=False`` turns off the event stores' group commit (see
    :class:`SqlEventStore`). An engine passed in stays the host's; one made from a URL is
    disposed of by :meth:`close`.
    """

    def __init__(
        self, engine: Engine | str, *, create_tables: bool = True, group_commit: bool = True
    ) -> None:
        self._owns_engine = isinstance(engine, str)
        self.engine = create_store_engine(engine) if isinstance(engine, str) else engine
        self.group_commit = group_commit
        self._lock = threading.Lock()
        self._revisions: PostgresRevisions | None = None
        if create_tables:
            with translate_errors():
                setup.create_tables(self.engine)

    @property
    def name(self) -> str:
        return str(self.engine.dialect.name)

    def event_store(self, tenant: str) -> SqlEventStore:
        return SqlEventStore(
            self.engine, tenant, create_tables=False, group_commit=self.group_commit
        )

    def schema_storage(self, tenant: str) -> SqlSchemaStorage:
        return SqlSchemaStorage(self.engine, tenant, create_tables=False)

    def handler_storage(self, tenant: str) -> SqlHandlerStorage:
        return SqlHandlerStorage(self.engine, tenant, create_tables=False)

    def api_key_storage(self) -> SqlApiKeyStorage:
        return SqlApiKeyStorage(self.engine, create_tables=False)

    def script_repository(self) -> SqlScriptRepository:
        return SqlScriptRepository(self.engine, create_tables=False, notified=self._notified())

    def consumer_store(self) -> SqlConsumerStore:
        return SqlConsumerStore(self.engine, create_tables=False)

    def schedule_store(self) -> SqlScheduleStore:
        return SqlScheduleStore(self.engine, create_tables=False)

    def tenant_revision(self, tenant: str) -> SqlTenantRevision:
        """Reads the tenant's revision (see :mod:`esruntime.backends.sql.revisions`): on
        PostgreSQL as heard by one listening connection, started on first use."""
        with translate_errors():
            tenant_id = setup.register_tenant(self.engine, tenant)
        return SqlTenantRevision(self.engine, tenant_id, notified=self._notified())

    def _notified(self) -> PostgresRevisions | None:
        """On PostgreSQL, the one listener for revisions' notifications (started now)."""
        if self.engine.dialect.name != "postgresql":
            return None
        with self._lock:
            if self._revisions is None:
                self._revisions = PostgresRevisions(self.engine)
            return self._revisions

    def close(self) -> None:
        with self._lock:
            revisions, self._revisions = self._revisions, None
        if revisions is not None:
            revisions.close()
        if self._owns_engine:
            self.engine.dispose()


def open_backend(url: str, **options: Any) -> SqlBackend:
    """The backend of a ``sqlite:///...`` or ``postgresql://...`` URL."""
    return SqlBackend(url, **options)


def open_event_store(url: str, tenant: str, **options: Any) -> SqlEventStore:
    """The event store of ``tenant`` at a SQL URL; it disposes of its engine when closed."""
    return SqlEventStore(url, tenant, **options)
