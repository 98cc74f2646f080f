"""Every script repository passes the contract shipped in ``esruntime.testing.scripts``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy

from esruntime.backends.memory import InMemoryScriptRepository
from esruntime.backends.sql import create_store_engine
from esruntime.backends.sql.scripts import SqlScriptRepository
from esruntime.testing.scripts import ScriptRepositoryContract


class TestInMemoryScriptRepository(ScriptRepositoryContract):
    @pytest.fixture
    def repository(self) -> InMemoryScriptRepository:
        return InMemoryScriptRepository()


class TestSqliteScriptRepository(ScriptRepositoryContract):
    @pytest.fixture
    def repository(self, sqlite_url: str) -> Iterator[SqlScriptRepository]:
        engine = create_store_engine(sqlite_url)
        yield SqlScriptRepository(engine)
        engine.dispose()


@pytest.mark.postgres
class TestPostgresScriptRepository(ScriptRepositoryContract):
    @pytest.fixture
    def repository(self, postgres_engine: sqlalchemy.Engine) -> SqlScriptRepository:
        return SqlScriptRepository(postgres_engine)


@pytest.mark.postgres
class TestPostgresScriptRepositoryOnAHostEngine(ScriptRepositoryContract):
    """A host application's own engine: transactional connections, SQLAlchemy's defaults."""

    @pytest.fixture
    def repository(self, postgres_engine: sqlalchemy.Engine) -> Iterator[SqlScriptRepository]:
        engine = sqlalchemy.create_engine(postgres_engine.url)
        yield SqlScriptRepository(engine)
        engine.dispose()
