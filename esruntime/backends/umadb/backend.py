"""A runtime's backend with the events on a UmaDB server and everything else in SQL.

UmaDB holds events only; the schema versions, handler registrations, API keys, scripts, consumer
checkpoints and schedules stay in a SQL database (SQLite by default, or the ``database`` option
of the URL). All tenants share one UmaDB client, and so one connection to the server.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from esruntime.backends.sql.backend import SqlBackend
from esruntime.backends.umadb.connection import UmaDbUrl, connect
from esruntime.backends.umadb.store import UmaDbEventStore
from esruntime.backends.urls import DEFAULT_DATABASE_URL

if TYPE_CHECKING:
    from esruntime.backends.sql.consumers import SqlConsumerStore
    from esruntime.backends.sql.handlers import SqlHandlerStorage
    from esruntime.backends.sql.keys import SqlApiKeyStorage
    from esruntime.backends.sql.revisions import SqlTenantRevision
    from esruntime.backends.sql.schedules import SqlScheduleStore
    from esruntime.backends.sql.schemas import SqlSchemaStorage
    from esruntime.backends.sql.scripts import SqlScriptRepository

__all__ = ["UmaDbBackend", "open_backend", "open_event_store"]


class UmaDbBackend:
    """Events on the UmaDB server at ``url``; the other services in ``sql`` (a SqlBackend or
    a SQLAlchemy URL; default: the URL's ``database`` option, else ``sqlite:///esruntime.db``)."""

    name = "umadb"

    def __init__(self, url: str | UmaDbUrl, sql: SqlBackend | str | None = None) -> None:
        self.url = url if isinstance(url, UmaDbUrl) else UmaDbUrl.parse(url)
        if sql is None:
            sql = self.url.database or DEFAULT_DATABASE_URL
        self._owns_sql = isinstance(sql, str)
        self.sql = SqlBackend(sql) if isinstance(sql, str) else sql
        try:
            self.client = connect(self.url)
        except BaseException:
            if self._owns_sql:
                self.sql.close()
            raise

    def event_store(self, tenant: str) -> UmaDbEventStore:
        return UmaDbEventStore(tenant=tenant, client=self.client)

    def schema_storage(self, tenant: str) -> SqlSchemaStorage:
        return self.sql.schema_storage(tenant)

    def handler_storage(self, tenant: str) -> SqlHandlerStorage:
        return self.sql.handler_storage(tenant)

    def api_key_storage(self) -> SqlApiKeyStorage:
        return self.sql.api_key_storage()

    def script_repository(self) -> SqlScriptRepository:
        return self.sql.script_repository()

    def consumer_store(self) -> SqlConsumerStore:
        """Checkpoints and dead letters in the SQL database, beside the executions they
        record (the events they follow are on the UmaDB server)."""
        return self.sql.consumer_store()

    def schedule_store(self) -> SqlScheduleStore:
        return self.sql.schedule_store()

    def tenant_revision(self, tenant: str) -> SqlTenantRevision:
        return self.sql.tenant_revision(tenant)

    def close(self) -> None:
        self.client.close()
        if self._owns_sql:
            self.sql.close()


def open_backend(url: str, **options: Any) -> UmaDbBackend:
    """The backend of a ``umadb://host:port`` URL (the rest in its ``database`` option)."""
    return UmaDbBackend(url, **options)


def open_event_store(url: str, tenant: str, **options: Any) -> UmaDbEventStore:
    """The event store of ``tenant`` on the UmaDB server at ``url``."""
    return UmaDbEventStore(url, tenant, **options)
