"""Scripts that run by themselves, watched in a real headless Chromium: a scheduled script's
runs, an HTTP script's calls and an event script's events appear on its page without reloading.

The server is what ``esruntime serve`` runs (the JSON API, the hooks, the pages) under uvicorn,
its lifespan starting the runtime's scheduler and event triggers. Each test marks the page's
window object after it loaded and checks the mark is still there at the end: the new row came
by htmx, not by a reload.

The scheduled script runs on the real clock (``* * * * *``): its first run comes at the next
minute, so that test waits up to a minute and a half. A clock the test advanced would not move
the browser's own timer (the page asks again at the next tick, in real seconds) nor the
times the script service and the runner stamp, so it would test something else.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from esruntime.client import Client
from esruntime.client.models import CommandOk
from esruntime.runtime import Runtime
from tests.client.servers import LiveServer
from tests.commands.bank import SCHEMA, OpenAccount
from tests.web.pages.browser import (
    WAIT_MS,
    expect,
    full_server,
    headless_chromium,
    sign_in_with,
    type_source,
)

pytestmark = pytest.mark.slow

FIRST_TICK_MS = 150_000
"""A bound for the first run of a ``* * * * *`` script: the next minute (at most 60 s), the
scheduler's next pass and the page's next look, on a busy machine."""

Site = tuple[LiveServer, Runtime, str]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with headless_chromium() as browser:
        yield browser


@pytest.fixture
def site() -> Iterator[Site]:
    """Tenant ``acme`` with the bank's schema and its ``open_account`` command, an admin key,
    and the whole server running its workers."""
    runtime = Runtime.from_url("memory://")
    acme = runtime.tenant("acme")
    acme.schema_registry.push(SCHEMA)
    acme.register(OpenAccount)
    key = runtime.api_keys.create("acme", "alice", ["admin"]).secret
    with full_server(runtime) as server:
        assert len(runtime.workers) == 2, "the app's lifespan starts the scheduler and triggers"
        yield server, runtime, key
    runtime.close()


@pytest.fixture
def page(browser: Any, site: Site) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    page.csp_violations = []
    page.on(
        "console",
        lambda message: (
            "Content Security Policy" in message.text
            and page.csp_violations.append(f"{page.url}: {message.text[:90]}")
        ),
    )
    sign_in_with(page, site[0].origin, site[2])
    yield page
    context.close()


def create(page: Any, site: Site, name: str, kind: str, source: str, **fields: str) -> str:
    """Fill the new-script form for an active script of type ``kind`` and submit it; the new
    script's page is open after, and marked (see the module docstring). Its id."""
    page.goto(site[0].origin + "/scripts/new")
    page.fill("#Name", name)
    page.select_option("#Type", kind)
    page.select_option("#Status", "active")
    for selector, value in fields.items():
        field = page.locator(f"#{selector}")
        expect(field).to_be_visible(timeout=WAIT_MS)  # the form shows the type's own fields
        field.fill(value)
    if kind == "http":
        page.check("input[name=HTTPMethods][value=POST]")
    type_source(page, source)
    page.click("button:has-text('Create script')")
    page.wait_for_selector(f"h1:has-text('{name}')")
    page.evaluate("window.esrLoaded = 'once'")
    return str(page.url.rsplit("/", 1)[1])


def assert_not_reloaded(page: Any) -> None:
    assert page.evaluate("window.esrLoaded") == "once", "the page was loaded again"
    assert page.csp_violations == []


def test_a_scheduled_script_s_runs_appear_on_its_page(
    page: Any, site: Site, screenshots: Path
) -> None:
    script_id = create(
        page,
        site,
        "every minute",
        "scheduled",
        "sdk.log.info('tick ' + context.input.scheduledAt);\n"
        "return { tick: context.input.scheduledAt };",
        CronExpression="* * * * *",
    )
    assert "next tick" in page.inner_text("#executions")  # the empty state says what comes
    page.screenshot(path=screenshots / "scheduled-waiting.png", full_page=True)

    row = page.locator("#executions tr.execution").first
    expect(row).to_have_attribute("data-status", "completed", timeout=FIRST_TICK_MS)
    recorded = site[1].scripts.executions(script_id, tenant="acme").items[0]
    tick = recorded.input["scheduledAt"]
    assert recorded.trigger.type == "cron"
    assert tick.endswith(":00Z")
    cell = row.locator("td.trigger-cell")
    assert cell.locator(".badge").inner_text() == "cron"
    assert cell.inner_text().split() == ["cron", tick[11:16], "UTC"]
    assert tick in row.inner_text().replace(" ", "")
    assert_not_reloaded(page)

    row.locator("a").click()
    page.wait_for_selector(f"#execution-detail .logs li.log-info:has-text('tick {tick}')")
    assert "schedule * * * * *" in page.inner_text("#execution-detail dl.facts")
    page.screenshot(path=screenshots / "scheduled-ran.png", full_page=True)


def test_an_http_script_s_calls_appear_on_its_page(
    page: Any, site: Site, screenshots: Path
) -> None:
    server, _, key = site
    create(
        page,
        site,
        "greeter hook",
        "http",
        "const { body } = context.trigger.httpRequest;\n"
        "return { status: 201, body: { hello: body.name } };",
        HTTPPath="/greetings",
    )
    history = page.locator("#executions")
    expect(history).to_have_attribute("data-watching", "true", timeout=WAIT_MS)
    assert "/greetings" in history.inner_text()

    answer = httpx.post(
        server.origin + "/hooks/greetings",
        json={"name": "Ada"},
        headers={"Authorization": f"Bearer {key}"},
        timeout=WAIT_MS / 1000,
    )
    assert (answer.status_code, answer.json()) == (201, {"hello": "Ada"})

    row = page.locator("#executions tr.execution").first
    expect(row).to_have_attribute("data-status", "completed", timeout=WAIT_MS)
    cell = row.locator("td.trigger-cell")
    assert cell.locator(".badge").inner_text() == "http"
    assert cell.locator("code").inner_text() == "POST /hooks/greetings"
    assert '"hello":"Ada"' in row.inner_text().replace(" ", "")
    assert_not_reloaded(page)
    page.screenshot(path=screenshots / "http-called.png", full_page=True)

    # A refused call (a method the script does not declare) runs nothing: still one row.
    refused = httpx.get(
        server.origin + "/hooks/greetings",
        headers={"Authorization": f"Bearer {key}"},
        timeout=WAIT_MS / 1000,
    )
    assert refused.status_code == 405
    second = httpx.post(
        server.origin + "/hooks/greetings",
        json={"name": "Grace"},
        headers={"Authorization": f"Bearer {key}"},
        timeout=WAIT_MS / 1000,
    )
    assert second.status_code == 201
    expect(page.locator("#executions tr.execution")).to_have_count(2, timeout=WAIT_MS)
    assert '"hello":"Grace"' in row.inner_text().replace(" ", "")
    assert_not_reloaded(page)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=screenshots / "http-called-narrow.png", full_page=True)


def test_an_event_script_s_runs_appear_on_its_page(
    page: Any, site: Site, screenshots: Path
) -> None:
    server, runtime, key = site
    script_id = create(
        page,
        site,
        "welcome mail",
        "event",
        "sdk.log.info('welcoming ' + context.trigger.eventPayload.owner);\n"
        "return { welcomed: context.trigger.eventPayload.account_id };",
        EventTypes="AccountOpened",
    )
    expect(page.locator("#executions")).to_have_attribute("data-watching", "true", timeout=WAIT_MS)

    with Client(server.origin + "/v1", api_key=key, timeout=WAIT_MS / 1000) as client:
        result = client.execute("open_account", {"account_id": "acc-7", "owner": "Ada"})
    assert isinstance(result, CommandOk)

    row = page.locator("#executions tr.execution").first
    expect(row).to_have_attribute("data-status", "completed", timeout=WAIT_MS)
    cell = row.locator("td.trigger-cell")
    assert cell.locator(".badge").inner_text() == "event"
    assert cell.locator("code").inner_text() == "AccountOpened"
    assert '"welcomed":"acc-7"' in row.inner_text().replace(" ", "")
    assert_not_reloaded(page)
    recorded = runtime.scripts.executions(script_id, tenant="acme").items
    assert [e.trigger.event_type for e in recorded] == ["AccountOpened"]

    row.locator("a").click()
    page.wait_for_selector("#execution-detail .logs li.log-info:has-text('welcoming Ada')")
    page.screenshot(path=screenshots / "event-ran.png", full_page=True)
    page.emulate_media(color_scheme="dark")
    page.screenshot(path=screenshots / "event-ran-dark.png", full_page=True)


def test_a_manual_run_shows_its_trigger_and_who(page: Any, site: Site) -> None:
    create(page, site, "by hand", "oneoff", "return 1;")
    page.click("button:has-text('Run')")
    row = page.locator("#executions tr.execution").first
    expect(row).to_have_attribute("data-status", "completed", timeout=WAIT_MS)
    cell = row.locator("td.trigger-cell")
    assert cell.inner_text().split() == ["manual", "alice"]
    assert page.locator("#executions").get_attribute("data-watching") is None
    assert_not_reloaded(page)
