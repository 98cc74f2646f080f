"""Fixtures of the HTTP tests: every test runs against both adapters."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from esruntime.runtime import Runtime
from tests.web.apps import Client, bank_runtime, make_client


@pytest.fixture
def bank() -> Iterator[tuple[Runtime, dict[str, str]]]:
    runtime, keys = bank_runtime()
    yield runtime, keys
    runtime.close()


@pytest.fixture(params=["fastapi", "flask"])
def client(request: pytest.FixtureRequest, bank: tuple[Runtime, dict[str, str]]) -> Client:
    runtime, keys = bank
    return make_client(request.param, runtime, keys)
