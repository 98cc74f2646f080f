"""Every backend passes the storage contracts shipped in ``esruntime.testing``: schema versions,
handler versions and API keys, on memory, SQLite and PostgreSQL (and a host's own engine)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy

from esruntime.backends.memory import (
    InMemoryApiKeyStorage,
    InMemoryHandlerStorage,
    InMemorySchemaStorage,
)
from esruntime.backends.sql import (
    SqlApiKeyStorage,
    SqlHandlerStorage,
    SqlSchemaStorage,
    create_store_engine,
)
from esruntime.protocols import ApiKeyStorage, HandlerStorage, SchemaStorage
from esruntime.testing import ApiKeyStorageContract, HandlerStorageContract, SchemaStorageContract


def memory_factory(make: Callable[[str], Any]) -> Callable[..., Any]:
    """One storage object per tenant, as a memory backend keeps them."""
    made: dict[str, Any] = {}

    def factory(tenant: str = "default") -> Any:
        if not isinstance(tenant, str) or tenant not in made:
            made[tenant] = make(tenant)
        return made[tenant]

    return factory


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, sqlite_url: str) -> Iterator[sqlalchemy.Engine]:
    if request.param == "postgres":
        yield request.getfixturevalue("postgres_engine")
        return
    made = create_store_engine(sqlite_url)
    yield made
    made.dispose()


@pytest.fixture
def host_engine(engine: sqlalchemy.Engine) -> Iterator[sqlalchemy.Engine]:
    """A host application's own engine on the same database: SQLAlchemy's defaults."""
    url = engine.url
    if url.get_backend_name() == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    made = sqlalchemy.create_engine(url)
    yield made
    made.dispose()


class TestInMemorySchemaStorage(SchemaStorageContract):
    @pytest.fixture
    def make_storage(self) -> Callable[..., SchemaStorage]:
        return memory_factory(InMemorySchemaStorage)


class TestSqlSchemaStorage(SchemaStorageContract):
    @pytest.fixture
    def make_storage(self, engine: sqlalchemy.Engine) -> Callable[..., SchemaStorage]:
        return lambda tenant="default": SqlSchemaStorage(engine, tenant)


class TestSqlSchemaStorageOnAHostEngine(SchemaStorageContract):
    @pytest.fixture
    def make_storage(self, host_engine: sqlalchemy.Engine) -> Callable[..., SchemaStorage]:
        return lambda tenant="default": SqlSchemaStorage(host_engine, tenant)


class TestInMemoryHandlerStorage(HandlerStorageContract):
    @pytest.fixture
    def make_storage(self) -> Callable[..., HandlerStorage]:
        return memory_factory(InMemoryHandlerStorage)


class TestSqlHandlerStorage(HandlerStorageContract):
    @pytest.fixture
    def make_storage(self, engine: sqlalchemy.Engine) -> Callable[..., HandlerStorage]:
        return lambda tenant="default": SqlHandlerStorage(engine, tenant)


class TestSqlHandlerStorageOnAHostEngine(HandlerStorageContract):
    @pytest.fixture
    def make_storage(self, host_engine: sqlalchemy.Engine) -> Callable[..., HandlerStorage]:
        return lambda tenant="default": SqlHandlerStorage(host_engine, tenant)


class TestInMemoryApiKeyStorage(ApiKeyStorageContract):
    @pytest.fixture
    def key_storage(self) -> ApiKeyStorage:
        return InMemoryApiKeyStorage()


class TestSqlApiKeyStorage(ApiKeyStorageContract):
    @pytest.fixture
    def key_storage(self, engine: sqlalchemy.Engine) -> ApiKeyStorage:
        return SqlApiKeyStorage(engine)


class TestSqlApiKeyStorageOnAHostEngine(ApiKeyStorageContract):
    @pytest.fixture
    def key_storage(self, host_engine: sqlalchemy.Engine) -> ApiKeyStorage:
        return SqlApiKeyStorage(host_engine)
