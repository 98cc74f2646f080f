"""Every schedule store passes the contract shipped in ``esruntime.testing.schedules``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy

from esruntime.backends.memory import InMemoryScheduleStore
from esruntime.backends.sql import create_store_engine
from esruntime.backends.sql.schedules import SqlScheduleStore
from esruntime.testing.schedules import ScheduleStoreContract


class TestInMemoryScheduleStore(ScheduleStoreContract):
    @pytest.fixture
    def store(self) -> InMemoryScheduleStore:
        return InMemoryScheduleStore()


class TestSqliteScheduleStore(ScheduleStoreContract):
    @pytest.fixture
    def store(self, sqlite_url: str) -> Iterator[SqlScheduleStore]:
        engine = create_store_engine(sqlite_url)
        yield SqlScheduleStore(engine)
        engine.dispose()


@pytest.mark.postgres
class TestPostgresScheduleStore(ScheduleStoreContract):
    @pytest.fixture
    def store(self, postgres_engine: sqlalchemy.Engine) -> SqlScheduleStore:
        return SqlScheduleStore(postgres_engine)


@pytest.mark.postgres
class TestPostgresScheduleStoreOnAHostEngine(ScheduleStoreContract):
    """A host application's own engine: transactional connections, SQLAlchemy's defaults."""

    @pytest.fixture
    def store(self, postgres_engine: sqlalchemy.Engine) -> Iterator[SqlScheduleStore]:
        engine = sqlalchemy.create_engine(postgres_engine.url)
        yield SqlScheduleStore(engine)
        engine.dispose()
