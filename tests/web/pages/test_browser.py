"""The pages in a real headless Chromium: sign in, write, run, edit and delete scripts.

Screenshots of the list, the editor and a script's page are saved in the test's screenshot
folder, kept after the run (the ``screenshots`` fixture:
``/tmp/pytest-of-<user>/esruntime-screenshots/<test>``). Every wait is for a condition, bounded
by a generous limit.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from esruntime.runtime import Runtime
from tests.client.servers import LiveServer
from tests.web.pages.browser import (
    WAIT_MS,
    expect,
    headless_chromium,
    pages_server,
    sign_in_with,
    type_source,
)

pytestmark = pytest.mark.slow

SLOW_SOURCE = """// runs for about three seconds
const until = Date.now() + 3000;
while (Date.now() < until) {}
sdk.log.info('done waiting');
return { waited: true };"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with headless_chromium() as browser:
        yield browser


@pytest.fixture
def site() -> Iterator[tuple[LiveServer, Runtime, str]]:
    runtime = Runtime.from_url("memory://")
    key = runtime.api_keys.create("acme", "alice", ["admin"]).secret
    with pages_server(runtime) as server:
        yield server, runtime, key
    runtime.close()


@pytest.fixture
def page(browser: Any, site: tuple[LiveServer, Runtime, str]) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    page.csp_violations = []
    page.on(
        "console",
        lambda message: (
            "Content Security Policy" in message.text
            and page.csp_violations.append(f"{page.url}: {message.text[:90]} {message.location}")
        ),
    )
    page.on("dialog", lambda dialog: dialog.accept())
    yield page
    context.close()


def sign_in(page: Any, site: tuple[LiveServer, Runtime, str]) -> None:
    sign_in_with(page, site[0].origin, site[2])


def create(page: Any, site: tuple[LiveServer, Runtime, str], name: str, source: str) -> None:
    page.goto(site[0].origin + "/scripts/new")
    page.fill("#Name", name)
    page.select_option("#Type", "oneoff")
    page.select_option("#Status", "active")
    type_source(page, source)
    page.click("button:has-text('Create script')")


def test_sign_in_write_run_edit_delete(
    page: Any, site: tuple[LiveServer, Runtime, str], screenshots: Path
) -> None:
    sign_in(page, site)
    page.screenshot(path=screenshots / "empty-list.png")

    create(page, site, "slow report", SLOW_SOURCE)
    page.wait_for_selector("h1:has-text('slow report')")
    assert "v1" in page.inner_text("h1")

    page.click("button:has-text('Run')")
    row = page.locator("#executions tr.execution").first
    expect(row).to_have_attribute("data-status", "running")
    page.screenshot(path=screenshots / "detail-running.png", full_page=True)
    expect(row).to_have_attribute("data-status", "completed", timeout=WAIT_MS)
    assert '"waited":true' in row.inner_text().replace(" ", "")
    polling = page.locator("#executions")
    expect(polling).not_to_have_attribute("data-polling", "true")
    row.locator("a").click()
    page.wait_for_selector("#execution-detail .logs li.log-info:has-text('done waiting')")
    page.screenshot(path=screenshots / "detail.png", full_page=True)

    page.click("a:has-text('Edit')")
    type_source(page, "return { version: 2 };")
    page.screenshot(path=screenshots / "editor.png", full_page=True)
    page.click("button:has-text('Save changes')")
    page.wait_for_selector("h1:has-text('v2')")
    assert page.locator("ol.versions li").count() == 2

    create(page, site, "another", "return 1;")
    page.wait_for_selector("h1:has-text('another')")
    page.goto(site[0].origin + "/scripts")
    page.screenshot(path=screenshots / "list.png", full_page=True)
    assert page.locator("table tbody tr").count() == 2
    page.locator("tr:has-text('another') button:has-text('Delete')").click()
    expect(page.locator("table tbody tr")).to_have_count(1)
    assert page.locator("tr:has-text('slow report')").count() == 1
    page.reload()
    assert page.locator("table tbody tr").count() == 1

    page.fill("input[name=q]", "nothing like it")  # htmx searches as one types
    page.wait_for_selector("h2:has-text('No script matches')")
    assert "q=nothing%20like%20it" in page.url  # the address can be shared
    page.fill("input[name=q]", "slow")
    expect(page.locator("table tbody tr")).to_have_count(1)
    assert page.csp_violations == []


def test_a_validation_error_shows_inline_with_the_input_kept(
    page: Any, site: tuple[LiveServer, Runtime, str], screenshots: Path
) -> None:
    sign_in(page, site)
    create(page, site, "ab", "return 'kept';")
    page.wait_for_selector("#Name-error")
    assert "at least 3 characters" in page.inner_text("#Name-error")
    assert page.input_value("#Name") == "ab"
    page.wait_for_selector("html[data-editor-ready=codemirror]", state="attached")
    assert page.inner_text(".cm-content") == "return 'kept';"
    page.screenshot(path=screenshots / "invalid.png", full_page=True)
    assert page.csp_violations == []


def test_a_duplicate_name_is_refused_on_the_field(
    page: Any, site: tuple[LiveServer, Runtime, str]
) -> None:
    sign_in(page, site)
    create(page, site, "only one", "return 1;")
    page.wait_for_selector("h1:has-text('only one')")
    create(page, site, "only one", "return 2;")
    page.wait_for_selector("#Name-error")
    assert "already exists" in page.inner_text("#Name-error")
    assert page.inner_text(".cm-content") == "return 2;"


def test_the_editor_completes_the_sdk(
    page: Any, site: tuple[LiveServer, Runtime, str], screenshots: Path
) -> None:
    sign_in(page, site)
    page.goto(site[0].origin + "/scripts/new")
    type_source(page, "const r = await sdk.http.")
    options = page.locator(".cm-tooltip-autocomplete li")
    expect(options.first).to_be_visible()
    labels = options.all_inner_texts()
    assert any(label.startswith("get") for label in labels), labels
    page.screenshot(path=screenshots / "completion.png")
    page.keyboard.type("g")
    expect(options).to_have_count(1)
    page.keyboard.press("Enter")
    assert "sdk.http.get" in page.inner_text(".cm-content")
    page.keyboard.type("('https://example.com');\ncon")
    expect(page.locator(".cm-tooltip-autocomplete li:has-text('context')")).to_be_visible()
    assert page.csp_violations == []


def test_the_forms_work_without_javascript(
    browser: Any, site: tuple[LiveServer, Runtime, str]
) -> None:
    context = browser.new_context(java_script_enabled=False)
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    try:
        sign_in(page, site)
        page.goto(site[0].origin + "/scripts/new")
        assert page.locator(".cm-content").count() == 0
        page.fill("#Name", "plain form")
        page.fill("textarea#Source", "return 40 + 2;")
        page.click("button:has-text('Create script')")
        page.wait_for_selector("h1:has-text('plain form')")
        page.click("button:has-text('Run')")
        page.wait_for_selector("#executions tr.execution[data-status=completed]")
        assert "42" in page.inner_text("#executions")
        page.click("button:has-text('Delete')")
        page.wait_for_selector("h2:has-text('No scripts yet')")
    finally:
        context.close()
