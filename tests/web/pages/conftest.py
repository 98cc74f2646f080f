"""Fixtures of the page tests: a runtime with keys, and a client of each adapter."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from esruntime.runtime import Runtime
from esruntime.web.pages import PagesConfig
from tests.web.pages.browser import screenshot_folder
from tests.web.pages.harness import PageClient, make_app, page_keys

CONFIG = PagesConfig(secret_key=b"a test secret of enough bytes", execute_wait_s=60)


@pytest.fixture
def runtime() -> Iterator[Runtime]:
    runtime = Runtime.from_url("memory://")
    yield runtime
    runtime.close()


@pytest.fixture(params=["fastapi", "flask"])
def adapter(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def client(adapter: str, runtime: Runtime) -> PageClient:
    return PageClient(adapter, make_app(adapter, runtime, CONFIG), page_keys(runtime), runtime)


@pytest.fixture
def admin(client: PageClient) -> PageClient:
    client.login("admin")
    return client


@pytest.fixture
def screenshots(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty folder, kept after the run, for the test's screenshots (``browser.py``)."""
    return screenshot_folder(request, tmp_path_factory.getbasetemp())
