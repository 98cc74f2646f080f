"""In a real headless Chromium: an event script's dead letters retried and discarded from its
page with htmx, the section updating in place, under the pages' strict Content-Security-Policy.
A screenshot of the section is saved in the test's screenshot folder (``screenshots``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from esruntime.runtime import Runtime
from tests.client.servers import LiveServer
from tests.web.letters import TRIGGERS, dead_letters_of, failing_script
from tests.web.pages.browser import pages_server
from tests.web.pages.test_browser import browser, page, sign_in

pytestmark = pytest.mark.slow
__all__ = ["browser", "page"]  # the fixtures this module shares with the other browser tests


@pytest.fixture
def site() -> Iterator[tuple[LiveServer, Runtime, str]]:
    runtime = Runtime.from_url("memory://", **TRIGGERS)
    runtime.start()
    key = runtime.api_keys.create("acme", "alice", ["admin"]).secret
    with pages_server(runtime) as server:
        yield server, runtime, key
    runtime.close()


def test_dead_letters_are_retried_and_discarded_in_place(
    page: Any, site: tuple[LiveServer, Runtime, str], screenshots: Path
) -> None:
    server, runtime, _ = site
    script = failing_script(runtime, "acme", 2)
    first, second = dead_letters_of(runtime, "acme", 2)
    sign_in(page, site)
    page.goto(f"{server.origin}/scripts/{script.id}")
    page.wait_for_selector(f"#dead-letter-{first.id}")
    page.screenshot(path=screenshots / "dead-letters.png", full_page=True)

    page.click(f"#dead-letter-{first.id} button:has-text('Retry')")
    page.wait_for_selector("#dead-letters .flash-error:has-text('the dead letter stays')")
    assert page.inner_text(f"#dead-letter-{first.id} td.num") == "5"

    runtime.scripts.update(script.id, source="return 'fine';", tenant="acme")
    page.click(f"#dead-letter-{first.id} button:has-text('Retry')")
    page.wait_for_selector("#dead-letters .flash-ok")
    assert page.locator(f"#dead-letter-{first.id}").count() == 0
    # The run shows in the history without a reload.
    page.wait_for_selector("#executions tr[data-status=completed]")

    page.click(f"#dead-letter-{second.id} button:has-text('Discard')")  # the dialog is accepted
    page.wait_for_selector("#dead-letters p:has-text('None.')")
    assert runtime.scripts.dead_letters(tenant="acme").total == 0
    assert page.csp_violations == []
