"""A real server with the pages and a real headless Chromium driving them (Playwright)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from fastapi import FastAPI

from esruntime.contrib.fastapi.pages import install_pages
from esruntime.runtime import Runtime
from esruntime.web.pages import PagesConfig
from tests.client.servers import LiveServer

__all__ = ["chromium_path", "pages_server"]

WAIT_MS = 60_000
"""The longest any condition is awaited in the browser: a bound for a busy machine."""


def chromium_path() -> str:
    """Debian's chromium; without it the browser tests skip, except in CI where they fail."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if os.environ.get("ESRUNTIME_REQUIRE_CHROMIUM"):
            pytest.fail("ESRUNTIME_REQUIRE_CHROMIUM is set but no chromium binary is installed")
        pytest.skip("no chromium binary (apt-get install chromium)")
    return found


@contextmanager
def pages_server(runtime: Runtime, config: PagesConfig | None = None) -> Iterator[LiveServer]:
    """The pages of ``runtime`` under uvicorn on a free port."""
    app = FastAPI()
    install_pages(app, runtime, config or PagesConfig(execute_wait_s=0.3))
    server = LiveServer(app).start()
    try:
        yield server
    finally:
        server.stop()
