"""Fixtures of the script tests: a repository on each backend, a Python runner, a service."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from esruntime.backends.memory import InMemoryEventStore, InMemoryScriptRepository
from esruntime.backends.sql import create_store_engine
from esruntime.backends.sql.scripts import SqlScriptRepository
from esruntime.protocols import ScriptRepository
from esruntime.scripts.service import ScriptService
from tests.scripts.runners import PythonRunner


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def repository(request: pytest.FixtureRequest, tmp_path: object) -> Iterator[ScriptRepository]:
    if request.param == "memory":
        yield InMemoryScriptRepository()
        return
    if request.param == "sqlite":
        engine = create_store_engine(f"sqlite:///{tmp_path}/scripts.db")
    else:
        engine = request.getfixturevalue("postgres_engine")
    yield SqlScriptRepository(engine)
    if request.param == "sqlite":
        engine.dispose()


@pytest.fixture
def runner() -> PythonRunner:
    return PythonRunner()


@pytest.fixture
def stores() -> dict[str, InMemoryEventStore]:
    return {}


@pytest.fixture
def service(
    repository: ScriptRepository, runner: PythonRunner, stores: dict[str, InMemoryEventStore]
) -> Iterator[ScriptService]:
    def store(tenant: str) -> InMemoryEventStore:
        return stores.setdefault(tenant, InMemoryEventStore(tenant))

    service = ScriptService(repository, runner, event_store=store, default_tenant="acme")
    yield service
    service.close()
