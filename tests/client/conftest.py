"""Fixtures of the client's tests: one live server for the session, a fresh tenant per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from esruntime.client import Client
from esruntime.runtime import Runtime
from tests.client.servers import Bank, HeaderLog, LiveServer, new_bank, serving

Live = tuple[LiveServer, Runtime, HeaderLog]


@pytest.fixture(scope="session")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    with serving(tmp_path_factory.mktemp("server") / "esruntime.db") as running:
        yield running


@pytest.fixture
def bank(live: Live) -> Bank:
    return new_bank(*live)


@pytest.fixture
def client(bank: Bank) -> Iterator[Client]:
    with Client(bank.url, api_key=bank.key, backoff=0.001, max_backoff=0.01) as client:
        yield client
