"""A real server with the pages and a real headless Chromium driving them (Playwright).

Without Debian's ``chromium`` or Playwright's Python package (which drives it; never
``playwright install``) a browser test skips saying which is missing; with
``ESRUNTIME_REQUIRE_CHROMIUM=1`` (as CI sets it) it fails instead. Screenshots go to a folder
that outlives pytest's temporary ones (:func:`screenshot_folder`).
"""

from __future__ import annotations

import importlib
import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any, NoReturn

import pytest
from fastapi import FastAPI

from esruntime.contrib.fastapi import create_app
from esruntime.contrib.fastapi.pages import install_pages
from esruntime.runtime import Runtime
from esruntime.web.pages import PagesConfig
from tests.client.servers import LiveServer

__all__ = [
    "SCREENSHOTS_VARIABLE",
    "WAIT_MS",
    "chromium_path",
    "expect",
    "full_server",
    "headless_chromium",
    "pages_server",
    "playwright_sync_api",
    "screenshot_folder",
    "sign_in_with",
    "type_source",
]

WAIT_MS = 60_000
"""The longest any condition is awaited in the browser: a bound for a busy machine."""


SCREENSHOTS_VARIABLE = "ESRUNTIME_SCREENSHOTS"
"""Where the browser tests save their screenshots, one folder per test, when set."""


def unavailable(reason: str) -> NoReturn:
    """Skip the calling test for want of the browser, or fail it where the browser is required
    (``ESRUNTIME_REQUIRE_CHROMIUM=1``)."""
    if os.environ.get("ESRUNTIME_REQUIRE_CHROMIUM") == "1":
        pytest.fail(f"ESRUNTIME_REQUIRE_CHROMIUM=1 but {reason}")
    pytest.skip(reason)


def chromium_path() -> str:
    """Debian's chromium; without it the browser tests skip, except in CI where they fail."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        unavailable("no chromium binary is installed (apt-get install chromium)")
    return found


def playwright_sync_api() -> ModuleType:
    """Playwright's synchronous API; without the package the browser tests skip, except in CI
    where they fail."""
    try:
        return importlib.import_module("playwright.sync_api")
    except ImportError:
        unavailable(
            "Playwright's Python package is not installed (pip install -e '.[test]'; it drives "
            "Debian's chromium, so never run `playwright install`)"
        )


def expect(target: Any) -> Any:
    """Playwright's ``expect``: assertions that wait (up to their timeout) for a condition."""
    return playwright_sync_api().expect(target)


@contextmanager
def headless_chromium() -> Iterator[Any]:
    """Debian's chromium, headless, driven by Playwright (skips or fails when either is
    missing, saying which)."""
    path = chromium_path()
    api = playwright_sync_api()
    with api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=["--no-sandbox"])
        try:
            yield browser
        finally:
            browser.close()


def screenshot_folder(request: pytest.FixtureRequest, base_temp: Path) -> Path:
    """An empty folder for the screenshots of the requesting test, which outlives the run:
    ``$ESRUNTIME_SCREENSHOTS/<test>``, else ``esruntime-screenshots/<test>`` next to pytest's
    numbered base temporary folders (``/tmp/pytest-of-<user>/``), since pytest removes
    ``tmp_path`` after a passing test. ``base_temp`` is ``tmp_path_factory.getbasetemp()``."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base_temp = base_temp.parent  # a worker's own base folder is inside the run's
    chosen = os.environ.get(SCREENSHOTS_VARIABLE)
    root = Path(chosen) if chosen else base_temp.parent / "esruntime-screenshots"
    folder = root / re.sub(r"[^\w.=-]+", "_", request.node.name).strip("_")
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


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
