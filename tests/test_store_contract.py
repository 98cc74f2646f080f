"""Every backend passes the event store contract shipped in ``esruntime.testing``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy

from esruntime.backends.memory import InMemoryEventStore
from esruntime.backends.sql import SqlEventStore, create_store_engine
from esruntime.backends.umadb import MAX_APPEND_BYTES, UmaDbEventStore
from esruntime.protocols import EventStore
from esruntime.testing import EventStoreContract
from tests.conftest import sql_store_factory
from tests.umadb_server import UmaDbServer


class TestInMemoryEventStore(EventStoreContract):
    @pytest.fixture
    def make_store(self) -> Callable[..., InMemoryEventStore]:
        stores: dict[str, InMemoryEventStore] = {}

        def make(tenant: str = "default", **options: Any) -> InMemoryEventStore:
            if tenant not in stores or options:
                stores[tenant] = InMemoryEventStore(tenant, **options)
            return stores[tenant]

        return make


class TestSqliteEventStore(EventStoreContract):
    @pytest.fixture
    def make_store(self, sqlite_url: str) -> Iterator[Callable[..., SqlEventStore]]:
        engine = create_store_engine(sqlite_url)
        yield sql_store_factory(engine)
        engine.dispose()


class TestSqliteEventStoreWithoutGroupCommit(EventStoreContract):
    """Each append commits on its own (``group_commit=False``)."""

    @pytest.fixture
    def make_store(self, sqlite_url: str) -> Iterator[Callable[..., SqlEventStore]]:
        engine = create_store_engine(sqlite_url)
        yield sql_store_factory(engine, group_commit=False)
        engine.dispose()


@pytest.mark.postgres
class TestPostgresEventStore(EventStoreContract):
    @pytest.fixture
    def make_store(self, postgres_engine: sqlalchemy.Engine) -> Callable[..., SqlEventStore]:
        return sql_store_factory(postgres_engine)


@pytest.mark.postgres
class TestPostgresEventStoreOnAHostEngine(EventStoreContract):
    """A host application's own engine: transactional connections, SQLAlchemy's defaults."""

    @pytest.fixture
    def make_store(
        self, postgres_engine: sqlalchemy.Engine
    ) -> Iterator[Callable[..., SqlEventStore]]:
        url = postgres_engine.url.set(drivername="postgresql+psycopg")
        engine = sqlalchemy.create_engine(url)
        yield sql_store_factory(engine)
        engine.dispose()


class TestSqliteEventStoreOnAHostEngine(EventStoreContract):
    """A host application's own SQLite engine, with SQLAlchemy's defaults."""

    @pytest.fixture
    def make_store(self, sqlite_url: str) -> Iterator[Callable[..., SqlEventStore]]:
        engine = sqlalchemy.create_engine(sqlite_url)
        yield sql_store_factory(engine)
        engine.dispose()


def test_a_host_sqlite_engine_gets_wal_mode(sqlite_url: str) -> None:
    engine = sqlalchemy.create_engine(sqlite_url)
    SqlEventStore(engine)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    engine.dispose()


class TestUmaDbEventStore(EventStoreContract):
    """A real UmaDB server per test; tenants (and idempotency records) share its positions."""

    gapless_positions = False
    largest_event_bytes = MAX_APPEND_BYTES
    largest_tag_count = 300  # an event's tags fit in one 4 KiB page of the server

    @pytest.fixture
    def make_store(self, umadb_server: UmaDbServer) -> Iterator[Callable[..., EventStore]]:
        stores: list[EventStore] = []

        def make(tenant: str = "default", **options: Any) -> EventStore:
            stores.append(UmaDbEventStore(umadb_server.url, tenant, **options))
            return stores[-1]

        yield make
        for store in stores:
            store.close()
