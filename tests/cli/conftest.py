"""Fixtures of the CLI's tests: one ``esruntime serve`` process for the session."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from esruntime.backends.sql import SqlApiKeyStore
from tests.cli.processes import Served, environment, serve


@pytest.fixture(scope="session")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    home = tmp_path_factory.mktemp("served")
    server = serve(cwd=home)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def database(served: Served) -> str:
    return f"sqlite:///{Path(served.stderr).parent / 'esruntime.db'}"


def tenant_key(database: str, tenant: str, *permissions: str) -> str:
    store = SqlApiKeyStore(database)
    try:
        return store.create(tenant, "test", permissions or ("admin",)).secret
    finally:
        store.close()


@pytest.fixture
def env(served: Served, database: str) -> dict[str, str]:
    """ESRUNTIME_URL and ESRUNTIME_API_KEY of an admin of a tenant of this test's own."""
    tenant = f"cli-{uuid.uuid4().hex[:12]}"
    return environment(ESRUNTIME_URL=served.url, ESRUNTIME_API_KEY=tenant_key(database, tenant))
