"""A real server with the pages and a real headless Chromium driving them (Playwright)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi import FastAPI

from esruntime.contrib.fastapi import create_app
from esruntime.contrib.fastapi.pages import install_pages
from esruntime.runtime import Runtime
from esruntime.web.pages import PagesConfig
from tests.client.servers import LiveServer

__all__ = ["WAIT_MS", "chromium_path", "full_server", "pages_server", "sign_in_with", "type_source"]

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


@contextmanager
def full_server(runtime: Runtime, config: PagesConfig | None = None) -> Iterator[LiveServer]:
    """What ``esruntime serve`` runs, under uvicorn on a free port: the JSON API under ``/v1``,
    the ``http`` scripts under ``/hooks``, the pages under ``/scripts``, and the runtime's
    workers (the scheduler and the event triggers) started by the app's lifespan."""
    app = create_app(runtime)
    install_pages(app, runtime, config or PagesConfig(execute_wait_s=0.3))
    server = LiveServer(app, lifespan="on").start()
    try:
        yield server
    finally:
        server.stop()


def sign_in_with(page: Any, origin: str, key: str) -> None:
    """Sign in on the login page with an API key, as a person would."""
    page.goto(origin + "/scripts")
    page.fill("#ApiKey", key)
    page.click("button:has-text('Sign in')")
    page.wait_for_selector("h1:has-text('Scripts')")


def type_source(page: Any, text: str) -> None:
    """Replace the editor's text by typing, as a person would."""
    page.wait_for_selector("html[data-editor-ready=codemirror]", state="attached")
    editor = page.locator(".cm-content")
    editor.click()
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    editor.type(text) if "\n" not in text else page.keyboard.insert_text(text)
