"""Every consumer store passes the contract shipped in ``esruntime.testing.consumers``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy

from esruntime.backends.memory import InMemoryConsumerStore
from esruntime.backends.sql import create_store_engine
from esruntime.backends.sql.consumers import SqlConsumerStore
from esruntime.testing.consumers import ConsumerStoreContract


class TestInMemoryConsumerStore(ConsumerStoreContract):
    @pytest.fixture
    def consumers(self) -> InMemoryConsumerStore:
        return InMemoryConsumerStore()


class TestSqliteConsumerStore(ConsumerStoreContract):
    @pytest.fixture
    def consumers(self, sqlite_url: str) -> Iterator[SqlConsumerStore]:
        engine = create_store_engine(sqlite_url)
        yield SqlConsumerStore(engine)
        engine.dispose()


@pytest.mark.postgres
class TestPostgresConsumerStore(ConsumerStoreContract):
    @pytest.fixture
    def consumers(self, postgres_engine: sqlalchemy.Engine) -> SqlConsumerStore:
        return SqlConsumerStore(postgres_engine)


@pytest.mark.postgres
class TestPostgresConsumerStoreOnAHostEngine(ConsumerStoreContract):
    """A host application's own engine: transactional connections, SQLAlchemy's defaults."""

    @pytest.fixture
    def consumers(self, postgres_url: str, postgres_engine: object) -> Iterator[SqlConsumerStore]:
        engine = sqlalchemy.create_engine(postgres_url)
        yield SqlConsumerStore(engine)
        engine.dispose()
