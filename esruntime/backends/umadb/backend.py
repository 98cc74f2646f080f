"""A runtime's backend with the events on a UmaDB server and everything else in SQL.

UmaDB holds events only; the schema versions, handler registrations, API keys and scripts stay
in a SQL database (SQLite by default, or the ``database`` option of the URL). All tenants share
one UmaDB client, and so one connection to the server.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from esruntime.backends.umadb.connection import UmaDbUrl, connect
from esruntime.backends.umadb.store import UmaDbEventStore
from esruntime.consumers.store import ConsumerStore
from esruntime.protocols import EventStore
from esruntime.runtime.backends import SchemaSource, SqlBackend
from esruntime.store_url import DEFAULT_DATABASE_URL

if TYPE_CHECKING:
    from esruntime.auth.keys import ApiKeyStore
    from esruntime.handlers.registry import BaseHandlerRegistry, Describe
    from esruntime.schema.registry import SchemaRegistry
    from esruntime.scripts.repository import ScriptRepository

__all__ = ["UmaDbBackend"]


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

    def event_store(self, tenant: str) -> EventStore:
        return UmaDbEventStore(tenant=tenant, client=self.client)

    def schema_registry(self, tenant: str, store: EventStore) -> SchemaRegistry:
        return self.sql.schema_registry(tenant, store)

    def handler_registry(
        self, tenant: str, describe: Describe, schema: SchemaSource
    ) -> BaseHandlerRegistry:
        return self.sql.handler_registry(tenant, describe, schema)

    def api_keys(self) -> ApiKeyStore:
        return self.sql.api_keys()

    def script_repository(self) -> ScriptRepository:
        return self.sql.script_repository()

    def consumer_store(self) -> ConsumerStore:
        """Checkpoints and dead letters in the SQL database, beside the executions they
        record (the events they follow are on the UmaDB server)."""
        return self.sql.consumer_store()

    def close(self) -> None:
        self.client.close()
        if self._owns_sql:
            self.sql.close()
