"""The TypeScript client (``@esruntime/sdk``) in a real headless Chromium page against a real
``esruntime serve`` holding the bank of examples/bank.

The server sends no CORS headers, so the page is served from the API's own origin: Playwright
answers ``<server>/__sdk__/...`` with the built ``dist/`` modules and a small page importing them
as ES modules (clients/typescript/test/browser), and every other request reaches the server.
The page's results come back as data (``page.evaluate``) and are checked here, also against
what the server stored, read with the Python client.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

import pytest
from attrs import define, field

from esruntime.client import Client
from tests.cli.processes import Served, environment, serve
from tests.client.typescript import SDK, build_sdk, chromium, load_bank, node

if TYPE_CHECKING:
    from playwright.sync_api import ConsoleMessage, Page, Route

pytestmark = pytest.mark.slow

WAIT_MS = 60_000
"""The longest the browser awaits anything: a bound for a busy machine, never a duration."""
PREFIX = "/__sdk__/"
HELD = PREFIX + "held/"
"""Requests under this path are held unanswered, so that a call can be aborted in flight."""
# What the page may load of the client's folder, and as what.
SERVED_FOLDERS = ("dist", "src", "test/browser")
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".map": "application/json",
    ".ts": "text/plain; charset=utf-8",
}
# Chromium reports every answer with an error status on the console; these are the ones the
# scenario asks for (a rejection is a 422 answer, a stranger's call a 401).
EXPECTED_LOADS = re.compile(
    r"Failed to load resource: the server responded with a status of (401|422) "
)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    chromium()  # fails or skips, saying why, before a server starts
    node()
    build_sdk()
    running = serve(cwd=tmp_path_factory.mktemp("browser-server"), env=environment())
    try:
        assert running.admin_key is not None
        load_bank(running.url, running.admin_key)
        yield running
    finally:
        running.stop()


def client_file(url: str) -> Path | None:
    """The file of the client's folder a ``/__sdk__/`` URL names, if the page may load it."""
    relative = unquote(urlsplit(url).path).removeprefix(PREFIX)
    target = (SDK / relative).resolve()
    allowed = any(target.is_relative_to(SDK / folder) for folder in SERVED_FOLDERS)
    return target if allowed and target.is_file() else None


@define
class Tab:
    """A page of the server's origin with the client loaded, and its console's errors."""

    page: Page
    origin: str
    console_errors: list[str] = field(factory=list)

    def record(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.console_errors.append(f"{message.text} {message.location}")


@pytest.fixture
def tab(served: Served) -> Iterator[Tab]:
    from playwright.sync_api import sync_playwright

    origin = "{0.scheme}://{0.netloc}".format(urlsplit(served.url))

    def answer(route: Route) -> None:
        if urlsplit(route.request.url).path.startswith(HELD):
            return  # never answered: the page aborts the call
        target = client_file(route.request.url)
        if target is None:
            route.fulfill(status=404, content_type="text/plain", body="not part of the client")
        else:
            content_type = CONTENT_TYPES.get(target.suffix, "application/octet-stream")
            route.fulfill(status=200, content_type=content_type, body=target.read_bytes())

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium(), args=["--no-sandbox"])
        try:
            context = browser.new_context()
            context.set_default_timeout(WAIT_MS)
            tab = Tab(context.new_page(), origin)
            tab.page.on("console", lambda message: tab.record(message))
            tab.page.on("pageerror", lambda error: tab.console_errors.append(f"uncaught: {error}"))
            tab.page.route(origin + PREFIX + "**", answer)
            tab.page.goto(origin + PREFIX + "test/browser/index.html")
            tab.page.wait_for_selector("html[data-ready]", state="attached")
            loaded = tab.page.evaluate("() => document.documentElement.dataset")
            assert loaded["ready"] == "true", (loaded, tab.console_errors)
            yield tab
            context.close()
        finally:
            browser.close()


def loads(errors: list[str]) -> tuple[list[str], list[str]]:
    """The statuses of the expected failed loads among ``errors``, and the other errors."""
    statuses, others = [], []
    for error in errors:
        match = EXPECTED_LOADS.match(error)
        if match is None:
            others.append(error)
        else:
            statuses.append(match[1])
    return sorted(statuses), others


def fields(value: dict[str, Any], *names: str) -> dict[str, Any]:
    return {name: value[name] for name in names}


def test_the_client_works_in_a_browser_page(tab: Tab, served: Served) -> None:
    """Commands (ok, replayed, rejected), a typed auth error, pages of events through the async
    iterator and an abort before sending, all through the browser's own fetch."""
    suffix = uuid.uuid4().hex[:8]
    results = tab.page.evaluate(
        "(args) => window.scenario.run(args)",
        {"baseUrl": served.url, "apiKey": served.admin_key, "suffix": suffix},
    )

    assert [opened["status"] for opened in results["opened"]] == ["ok", "ok"], results["opened"]
    assert results["deposited"]["status"] == "ok"
    ok = results["ok"]
    assert fields(ok, "status", "replayed", "attempts") == {
        "status": "ok",
        "replayed": False,
        "attempts": 1,
    }, ok
    assert [event["type"] for event in ok["events"]] == ["SentFunds", "ReceivedFunds"]
    assert re.fullmatch(r"esr-[0-9a-f]{32}", ok["idempotencyKey"]), ok  # the page's Web Crypto
    assert ok["requestId"].startswith("req_"), ok
    replayed = results["replayed"]
    assert fields(replayed, "status", "replayed") == {"status": "ok", "replayed": True}, replayed
    assert [event["id"] for event in replayed["events"]] == [event["id"] for event in ok["events"]]
    rejected = results["rejected"]
    assert fields(rejected, "status", "code") == {
        "status": "rejected",
        "code": "insufficient_funds",
    }, rejected
    assert rejected["message"], rejected

    unauthorized = results["unauthorized"]
    assert fields(
        unauthorized, "name", "unauthorized", "apiError", "esruntimeError", "status", "code"
    ) == {
        "name": "UnauthorizedError",
        "unauthorized": True,
        "apiError": True,
        "esruntimeError": True,
        "status": 401,
        "code": "unauthorized",
    }, unauthorized
    assert unauthorized["message"] == "Invalid or revoked API key"
    assert unauthorized["requestId"].startswith("req_"), unauthorized

    pages = results["pages"]
    assert [len(p["events"]) for p in pages] == [2, 2, 1], pages
    assert [p["hasMore"] for p in pages] == [True, True, False]
    seen = [event for p in pages for event in p["events"]]
    positions = [event["position"] for event in seen]
    assert positions == sorted(set(positions)), positions
    assert [p["nextPosition"] for p in pages] == [p["events"][-1]["position"] for p in pages]

    # What the page saw is what the server stored: the same events, read with the Python client.
    with Client(served.url, api_key=served.admin_key) as python:
        stored = python.query_events(
            domain_ids={"account_id": [f"alice-{suffix}", f"bob-{suffix}"]}
        )
        assert [event.id for event in stored.events] == [event["id"] for event in seen]
        transfer = python.get_event(ok["events"][0]["id"])
    assert (transfer.type, transfer.data["amount"]) == ("SentFunds", 30)

    before = results["beforeSending"]
    assert fields(before, "name", "aborted", "esruntimeError", "cause") == {
        "name": "RequestAbortedError",
        "aborted": True,
        "esruntimeError": True,
        "cause": "never sent",
    }, before
    assert loads(tab.console_errors) == (["401", "422"], []), tab.console_errors


def test_a_call_in_flight_is_aborted_by_its_signal(tab: Tab, served: Served) -> None:
    """The request reaches the network and is held unanswered; the AbortController's abort
    ends the call with RequestAbortedError carrying the reason."""
    held_url = tab.origin + HELD + "v1"
    with tab.page.expect_request(lambda request: request.url.startswith(held_url)) as sent:
        tab.page.evaluate(
            "(args) => window.scenario.startHeld(args)",
            {"baseUrl": held_url, "apiKey": served.admin_key},
        )
    assert sent.value.method == "POST"
    assert sent.value.url == held_url + "/commands/deposit"
    assert sent.value.headers["authorization"] == f"Bearer {served.admin_key}"

    aborted = tab.page.evaluate("() => window.scenario.abortHeld()")
    assert fields(aborted, "name", "aborted", "esruntimeError", "apiError", "cause") == {
        "name": "RequestAbortedError",
        "aborted": True,
        "esruntimeError": True,
        "apiError": False,
        "cause": "the caller gave up",
    }, aborted
    assert tab.console_errors == []
