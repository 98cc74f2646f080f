"""Fixtures of the HTTP tests: every test runs against both adapters.

The bank runs in memory. A module also runs its tests with the bank's events on a UmaDB server
(the rest in SQLite) by parametrizing the ``bank`` fixture: ``pytestmark = ON_EACH_BACKEND``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from esruntime.runtime import Runtime
from tests.umadb_server import UmaDbServer
from tests.web.apps import Client, bank_runtime, make_client


@pytest.fixture
def bank(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[Runtime, dict[str, str]]]:
    """The bank in memory, or, parametrized with "umadb", with its events on a UmaDB server."""
    backend = getattr(request, "param", "memory")
    url = "memory://"
    if backend == "umadb":
        server: UmaDbServer = request.getfixturevalue("umadb_server")
        url = f"{server.url}?database=" + quote(f"sqlite:///{tmp_path}/rest.db", safe="")
    else:
        assert backend == "memory", backend
    runtime, keys = bank_runtime(url)
    yield runtime, keys
    runtime.close()


@pytest.fixture(params=["fastapi", "flask"])
def client(request: pytest.FixtureRequest, bank: tuple[Runtime, dict[str, str]]) -> Client:
    runtime, keys = bank
    return make_client(request.param, runtime, keys)
