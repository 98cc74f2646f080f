"""Where a runtime keeps each tenant's services: in memory, or in one SQL database.

A backend builds one tenant's event store, schema registry and handler registry on demand, and
the API key store and script repository shared by all tenants.
:func:`backend_for_url` picks one from a URL: ``memory://``, ``sqlite:///file.db`` or
``postgresql+psycopg://...`` (every SQL-backed service in one database).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from sqlalchemy import Engine

from esruntime.auth.keys import ApiKeyStore, InMemoryApiKeyStore
from esruntime.backends.memory import InMemoryEventStore
from esruntime.backends.sql import SqlEventStore, SqlSchemaRegistry, create_store_engine, setup
from esruntime.backends.sql.errors import translate_errors
from esruntime.backends.sql.handlers import SqlHandlerRegistry
from esruntime.handlers.registry import BaseHandlerRegistry, Describe, InMemoryHandlerRegistry
from esruntime.protocols import EventStore
from esruntime.schema.model import Schema
from esruntime.schema.registry import InMemorySchemaRegistry, SchemaRegistry

if TYPE_CHECKING:
    from esruntime.consumers.store import ConsumerStore
    from esruntime.scripts.repository import ScriptRepository

__all__ = ["Backend", "MemoryBackend", "SqlBackend", "backend_for_url"]

SchemaSource = Callable[[], Schema | None]


class Backend(Protocol):
    """Builds the services of a tenant, and the API key store of all tenants."""

    @property
    def name(self) -> str:
        """``memory``, ``sqlite`` or ``postgresql``: what ``GET /health`` reports."""
        ...

    def event_store(self, tenant: str) -> EventStore: ...

    def schema_registry(self, tenant: str, store: EventStore) -> SchemaRegistry: ...

    def handler_registry(
        self, tenant: str, describe: Describe, schema: SchemaSource
    ) -> BaseHandlerRegistry: ...

    def api_keys(self) -> ApiKeyStore: ...

    def script_repository(self) -> ScriptRepository:
        """Where every tenant's scripts, versions and executions are kept."""
        ...

    def consumer_store(self) -> ConsumerStore:
        """Where every tenant's durable consumers keep checkpoints, leases and dead letters."""
        ...

    def close(self) -> None:
        """Release what the backend opened itself (the services it built are closed first)."""
        ...


class MemoryBackend:
    """Everything in process memory: for tests, demos and embedding without persistence."""

    name = "memory"

    def event_store(self, tenant: str) -> EventStore:
        return InMemoryEventStore(tenant)

    def schema_registry(self, tenant: str, store: EventStore) -> SchemaRegistry:
        return InMemorySchemaRegistry(store, tenant)

    def handler_registry(
        self, tenant: str, describe: Describe, schema: SchemaSource
    ) -> BaseHandlerRegistry:
        return InMemoryHandlerRegistry(describe, schema, tenant)

    def api_keys(self) -> ApiKeyStore:
        return InMemoryApiKeyStore()

    def script_repository(self) -> ScriptRepository:
        from esruntime.scripts.repository import InMemoryScriptRepository

        return InMemoryScriptRepository()

    def consumer_store(self) -> ConsumerStore:
        from esruntime.consumers.store import InMemoryConsumerStore

        return InMemoryConsumerStore()

    def close(self) -> None:
        pass


class SqlBackend:
    """Every service in one SQLite or PostgreSQL database, sharing one engine.

    The tables are created when missing (``create_tables=False`` leaves that to migrations). An
    engine passed in stays the host's; one made from a URL is disposed of by :meth:`close`.
    """

    def __init__(self, engine: Engine | str, *, create_tables: bool = True) -> None:
        self._owns_engine = isinstance(engine, str)
        self.engine = create_store_engine(engine) if isinstance(engine, str) else engine
        if create_tables:
            with translate_errors():
                setup.create_tables(self.engine)

    @property
    def name(self) -> str:
        return str(self.engine.dialect.name)

    def event_store(self, tenant: str) -> EventStore:
        return SqlEventStore(self.engine, tenant, create_tables=False)

    def schema_registry(self, tenant: str, store: EventStore) -> SchemaRegistry:
        return SqlSchemaRegistry(self.engine, store, tenant, create_tables=False)

    def handler_registry(
        self, tenant: str, describe: Describe, schema: SchemaSource
    ) -> BaseHandlerRegistry:
        return SqlHandlerRegistry(self.engine, describe, schema, tenant, create_tables=False)

    def api_keys(self) -> ApiKeyStore:
        from esruntime.auth.sql import SqlApiKeyStore

        return SqlApiKeyStore(self.engine, create_tables=False)

    def script_repository(self) -> ScriptRepository:
        from esruntime.backends.sql.scripts import SqlScriptRepository

        return SqlScriptRepository(self.engine, create_tables=False)

    def consumer_store(self) -> ConsumerStore:
        from esruntime.backends.sql.consumers import SqlConsumerStore

        return SqlConsumerStore(self.engine, create_tables=False)

    def close(self) -> None:
        if self._owns_engine:
            self.engine.dispose()


def backend_for_url(url: str) -> Backend:
    """``memory://``, a SQLAlchemy URL (``sqlite:///file.db``, ``postgresql+psycopg://...``) or
    ``umadb://host:port`` (events on a UmaDB server, the rest in its ``database`` option)."""
    if url.startswith("memory:"):
        return MemoryBackend()
    if url.startswith("umadb:"):
        from esruntime.backends.umadb.backend import UmaDbBackend

        return UmaDbBackend(url)
    return SqlBackend(url)
