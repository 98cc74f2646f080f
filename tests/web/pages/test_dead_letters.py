"""A script's page shows a scheduled script's next runs, and an event script's dead letters with
retry and discard buttons (htmx fragments, and plain forms without JavaScript): permissions,
CSRF, tenants, hostile ids and escaping, on both adapters."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote

import pytest

from esruntime.consumers import DeadLetter
from esruntime.runtime import Runtime
from esruntime.scripts.models import Script
from tests.web.letters import TRIGGERS, dead_letters_of, failing_script
from tests.web.pages.harness import Page, PageClient


@pytest.fixture
def runtime() -> Iterator[Runtime]:
    runtime = Runtime.from_url("memory://", **TRIGGERS)
    runtime.start()
    yield runtime
    runtime.close()


def letters(client: PageClient, count: int = 2) -> tuple[Script, tuple[DeadLetter, ...]]:
    script = failing_script(client.runtime, "acme", count)
    return script, dead_letters_of(client.runtime, "acme", count)


def retry(client: PageClient, script: Script, letter: DeadLetter, *, htmx: bool = False) -> Page:
    path = f"/{script.id}/dead-letters/{letter.id}/retry"
    if htmx:
        return client.request("POST", path, htmx=True)
    return client.post(path, {})


def discard(client: PageClient, script: Script, letter: DeadLetter, *, htmx: bool = False) -> Page:
    path = f"/{script.id}/dead-letters/{letter.id}"
    if htmx:
        return client.request("DELETE", path, htmx=True)
    return client.post(path, {"_method": "DELETE"})


def attempts(client: PageClient, letter: DeadLetter) -> int:
    return client.runtime.scripts.dead_letter(letter.id, tenant="acme").attempts


def test_an_event_scripts_page_lists_its_dead_letters_with_their_buttons(
    admin: PageClient,
) -> None:
    script, (first, second) = letters(admin)
    page = admin.get(f"/{script.id}")
    assert page.status == 200
    section = page.html.one("section", id="dead-letters")
    assert "2" in section.one("h2").text
    rows = section.find_all("tr", class_="dead-letter")
    assert [row.get("id") for row in rows] == [
        f"dead-letter-{first.id}",
        f"dead-letter-{second.id}",
    ]
    cells = rows[0].find_all("td")
    assert cells[0].text.startswith("order.created")
    assert first.event_id in cells[0].text
    assert cells[2].text == "4"
    assert "Error: no 0" in cells[3].text
    assert cells[1].one("time").get("title")  # the exact time on hover
    retry_form = rows[0].one("form", class_="retry-form")
    assert retry_form.get("action") == f"/scripts/{script.id}/dead-letters/{first.id}/retry"
    assert retry_form.get("method") == "post"
    assert retry_form.one("input", name="_csrf").get("value") == admin.csrf
    discard_form = rows[0].one("form", class_="discard-form")
    assert discard_form.one("input", name="_method").get("value") == "DELETE"
    assert discard_form.get("hx-delete") == f"/scripts/{script.id}/dead-letters/{first.id}"


def test_a_retry_through_htmx_answers_the_section_saying_how_it_went(admin: PageClient) -> None:
    script, (first, second) = letters(admin)
    admin.get(f"/{script.id}")
    failed = retry(admin, script, first, htmx=True)
    assert failed.status == 200
    assert failed.headers["hx-trigger-after-settle"] == "esr-executions-changed"
    section = failed.html.one("section", id="dead-letters")
    alert = section.one("div", class_="flash-error")
    assert "failed" in alert.text
    assert "Error: no 0" in alert.text
    assert "the dead letter stays" in alert.text
    assert section.one("tr", id=f"dead-letter-{first.id}").find_all("td")[2].text == "5"

    admin.runtime.scripts.update(script.id, source="return 'fine';", tenant="acme")
    done = retry(admin, script, first, htmx=True).html.one("section", id="dead-letters")
    assert "the dead letter is gone" in done.one("div", class_="flash-ok").text
    assert [row.get("id") for row in done.find_all("tr", class_="dead-letter")] == [
        f"dead-letter-{second.id}"
    ]
    runs = admin.runtime.scripts.executions(script.id, tenant="acme").items
    assert (runs[0].status, runs[0].output, runs[0].trigger.type) == ("completed", "fine", "event")


def test_the_forms_work_without_javascript(admin: PageClient) -> None:
    script, (first, second) = letters(admin)
    admin.get(f"/{script.id}")
    retried = retry(admin, script, first)
    assert retried.status == 303
    assert retried.location == f"/scripts/{script.id}#dead-letters"
    assert attempts(admin, first) == 5
    discarded = discard(admin, script, second)
    assert (discarded.status, discarded.location) == (303, f"/scripts/{script.id}#dead-letters")
    remaining = admin.runtime.scripts.dead_letters(tenant="acme").items
    assert [x.id for x in remaining] == [first.id]


def test_a_discard_through_htmx_answers_the_section_without_the_letter(
    admin: PageClient,
) -> None:
    script, (first,) = letters(admin, 1)
    admin.get(f"/{script.id}")
    page = discard(admin, script, first, htmx=True)
    assert page.status == 200
    section = page.html.one("section", id="dead-letters")
    assert section.find("tr", class_="dead-letter") is None
    assert "None." in section.text
    assert admin.runtime.scripts.dead_letters(tenant="acme").total == 0
    again = discard(admin, script, first, htmx=True)
    assert again.status == 404


def test_state_changes_without_the_csrf_token_are_refused(admin: PageClient) -> None:
    script, (first,) = letters(admin, 1)
    admin.get(f"/{script.id}")
    for page in (
        admin.post(f"/{script.id}/dead-letters/{first.id}/retry", {}, csrf=False),
        admin.post(f"/{script.id}/dead-letters/{first.id}", {"_method": "DELETE"}, csrf=False),
        admin.post(f"/{script.id}/dead-letters/{first.id}/retry", {"_csrf": "0" * 64}, csrf=False),
    ):
        assert page.status == 403
        assert "form is out of date" in page.html.text
    assert attempts(admin, first) == 4


@pytest.mark.parametrize(
    ("key", "can_retry", "can_discard"),
    [
        ("scripts.read", False, False),
        ("scripts.execute", True, False),
        ("scripts.delete", False, True),
    ],
)
def test_buttons_and_routes_follow_the_permissions(
    client: PageClient, key: str, can_retry: bool, can_discard: bool
) -> None:
    script, (first,) = letters(client, 1)
    client.login(key)
    page = client.get(f"/{script.id}")
    if key != "scripts.read":
        assert page.status == 403  # the page itself needs scripts.read
    else:
        section = page.html.one("section", id="dead-letters")
        assert section.find("form", class_="retry-form") is None
        assert section.find("form", class_="discard-form") is None
    client.get("/login")  # a page with a CSRF token for the forms
    assert (retry(client, script, first).status == 303) is can_retry
    assert (discard(client, script, first).status == 303) is can_discard
    if not can_retry and not can_discard:
        refused = retry(client, script, first)
        assert refused.status == 403
        assert "'scripts.execute'" in refused.html.text


def test_an_admin_of_another_tenant_finds_nothing(client: PageClient) -> None:
    script, (first,) = letters(client, 1)
    client.login("globex")
    assert client.get(f"/{script.id}").status == 404
    assert retry(client, script, first).status == 404
    assert discard(client, script, first).status == 404
    assert attempts(client, first) == 4


def test_a_letter_is_found_only_under_its_own_script(admin: PageClient) -> None:
    script, (first,) = letters(admin, 1)
    other = admin.runtime.scripts.create(
        name="other", type="oneoff", source="return 1;", tenant="acme"
    )
    admin.get(f"/{script.id}")
    assert retry(admin, other, first).status == 404
    assert discard(admin, other, first).status == 404
    assert attempts(admin, first) == 4


@pytest.mark.parametrize(
    "letter_id", ["nope", "x" * 101, quote("\u0000"), quote("é🙂 <b>"), "%2e%2e", "%ff"]
)
def test_unknown_and_hostile_letter_ids_are_not_found(admin: PageClient, letter_id: str) -> None:
    script, (first,) = letters(admin, 1)
    admin.get(f"/{script.id}")
    for page in (
        admin.post(f"/{script.id}/dead-letters/{letter_id}/retry", {}),
        admin.post(f"/{script.id}/dead-letters/{letter_id}", {"_method": "DELETE"}),
    ):
        assert page.status in (404, 405), page.text
        assert "<b>" not in page.text  # an id the page repeats is escaped
    assert attempts(admin, first) == 4


def test_a_disabled_script_shows_no_retry_and_refuses_one(admin: PageClient) -> None:
    script, (first,) = letters(admin, 1)
    admin.runtime.scripts.update(script.id, status="disabled", tenant="acme")
    section = admin.get(f"/{script.id}").html.one("section", id="dead-letters")
    assert section.find("form", class_="retry-form") is None
    assert section.find("form", class_="discard-form") is not None
    refused = retry(admin, script, first)
    assert refused.status == 409
    assert "disabled" in refused.html.text


def test_errors_show_as_text(admin: PageClient) -> None:
    script = admin.runtime.scripts.create(
        name="hostile",
        type="event",
        status="active",
        event_types=["order.created"],
        source="throw new Error('<img src=x onerror=alert(1)>');",
        tenant="acme",
    )
    from esruntime.events import Event

    admin.runtime.tenant("acme").store.append(Event("order.created", {"n": 0}))
    dead_letters_of(admin.runtime, "acme", 1)
    html = admin.get(f"/{script.id}").html
    section = html.one("section", id="dead-letters")
    assert section.find("img") is None
    assert "<img src=x onerror=alert(1)>" in section.text


def test_other_scripts_have_no_dead_letters_section(admin: PageClient) -> None:
    script_id = admin.create()
    assert admin.get(f"/{script_id}").html.find("section", id="dead-letters") is None
    watcher = admin.runtime.scripts.create(
        name="watcher", type="event", event_types=["x.y"], source="return 1;", tenant="acme"
    )
    empty = admin.get(f"/{watcher.id}").html.one("section", id="dead-letters")
    assert empty.find("table") is None
    assert "None." in empty.text
