"""Running a script from its page: the row, its statuses, the polled history, the details."""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest
from attrs import evolve

from esruntime.events import Event
from esruntime.scripts.models import Execution, Script, Trigger
from esruntime.web.pages.executions import RECHECK_S, WATCH_S, wake_after_s
from tests.web.pages.harness import PageClient

LOGGING = """sdk.log.info('starting', {step: 1});
sdk.log.warn('careful');
return { total: context.input.a + 1 };"""


def test_a_manual_run_answers_its_row(admin: PageClient) -> None:
    script_id = admin.create(Source=LOGGING)
    page = admin.post(f"/{script_id}/execute", {"Input": '{"a": 41}'}, htmx=True)
    assert page.status == 200
    assert page.headers["hx-trigger-after-settle"] == "esr-executions-changed"
    row = page.html.one("tr", class_="execution")
    assert row.get("data-status") == "completed"
    assert '{"total": 42}' in row.one("td", class_="result").text
    assert "manual" in row.text


def test_a_failed_run_is_500_with_the_message_line_and_execution_id(admin: PageClient) -> None:
    script_id = admin.create(Source="const a = 1;\nthrow new TypeError('boom');")
    page = admin.post(f"/{script_id}/execute", {}, htmx=True)
    assert page.status == 500
    row = page.html.one("tr", class_="execution")
    assert row.get("data-status") == "failed"
    result = row.one("td", class_="result").text
    assert "TypeError: boom (line 2" in result
    execution_id = (row.get("id") or "").removeprefix("execution-")
    assert execution_id in result


@pytest.mark.slow
def test_a_run_past_its_time_limit_is_504(admin: PageClient) -> None:
    script_id = admin.create(Source="while (true) {}", MaxExecutionTimeMs="1000")
    page = admin.post(f"/{script_id}/execute", {}, htmx=True)
    assert page.status == 504
    row = page.html.one("tr", class_="execution")
    assert row.get("data-status") == "timeout"
    assert "TimeoutError" in row.one("td", class_="result").text


def test_without_javascript_a_run_goes_back_to_the_script(admin: PageClient) -> None:
    script_id = admin.create()
    page = admin.post(f"/{script_id}/execute", {})
    assert page.status == 303
    assert page.location.startswith(f"/scripts/{script_id}?run=")
    assert page.location.endswith("#executions")
    detail = admin.get(f"/{script_id}").html
    assert detail.one("tbody", id="executions").find("tr", class_="execution") is not None


@pytest.mark.parametrize(
    ("given", "message"),
    [("[1, 2]", "JSON object"), ("{nope", "JSON object"), ("{}" + " " * 70_000, "exceeds"),
     ("[" * 5000 + "]" * 5000, "JSON object")],
)  # fmt: skip
def test_a_bad_input_is_400(admin: PageClient, given: str, message: str) -> None:
    script_id = admin.create()
    page = admin.post(f"/{script_id}/execute", {"Input": given}, htmx=True)
    assert page.status == 400
    assert message in page.html.one("div", class_="flash").text
    assert page.headers["hx-retarget"] == "#flash"
    assert admin.runtime.scripts.executions(script_id, tenant="acme").total == 0


def test_a_disabled_script_does_not_run(admin: PageClient) -> None:
    script_id = admin.create(Status="disabled")
    assert admin.post(f"/{script_id}/execute", {}, htmx=True).status == 409
    assert admin.get(f"/{script_id}").html.find("form", class_="run-form") is None


def _running(admin: PageClient, script_id: str) -> str:
    script = admin.runtime.scripts.get(script_id, tenant="acme")
    execution_id = str(uuid.uuid4())
    admin.runtime.scripts.repository.add_execution(
        Execution(
            execution_id,
            "acme",
            script_id,
            script.version,
            "running",
            Trigger.manual(),
            {},
            created_at=datetime.now(UTC),
            started_at=datetime.now(UTC),
        )
    )
    return execution_id


def test_the_history_polls_every_5s_only_while_a_run_is_going(admin: PageClient) -> None:
    script_id = admin.create()
    idle = admin.get(f"/{script_id}/executions").html.one("tbody", id="executions")
    assert "every 5s" not in (idle.get("hx-trigger") or "")
    assert "esr-executions-changed from:body" in (idle.get("hx-trigger") or "")
    assert "No runs yet" in idle.text
    execution_id = _running(admin, script_id)
    busy = admin.get(f"/{script_id}/executions").html.one("tbody", id="executions")
    assert (busy.get("hx-trigger") or "").startswith("every 5s")
    assert busy.one("tr", id=f"execution-{execution_id}").get("data-status") == "running"
    detail = admin.get(f"/{script_id}").html.one("tbody", id="executions")
    assert (detail.get("hx-trigger") or "").startswith("every 5s")
    admin.post(f"/{script_id}/execute", {}, htmx=True)
    rows = admin.get(f"/{script_id}/executions").html.one("tbody").find_all("tr")
    assert [r.get("data-status") for r in rows] == ["completed", "running"]


def test_an_execution_opens_with_input_output_logs_and_levels(admin: PageClient) -> None:
    script_id = admin.create(Source=LOGGING)
    row = admin.post(f"/{script_id}/execute", {"Input": '{"a": 1}'}, htmx=True).html.one("tr")
    link = row.one("a")
    assert link.get("hx-target") == "#execution-detail"
    href = (link.get("href") or "").removeprefix("/scripts")
    fragment = admin.get(href, htmx=True)
    assert fragment.status == 200
    assert fragment.html.find("html") is None
    article = fragment.html.one("article", class_="execution-detail")
    levels = [li.get("class") for li in article.one("ul", class_="logs").find_all("li")]
    assert levels == ["log log-info", "log log-warn"]
    pres = [p.raw_text for p in article.find_all("pre")]
    assert '"a": 1' in pres[0]
    assert '"total": 2' in pres[1]
    page = admin.get(href)
    assert page.html.find("html") is not None
    assert "manual" in page.html.one("article").text


def test_an_event_runs_execution_names_its_event(admin: PageClient) -> None:
    script_id = admin.create(Source="return context.trigger.eventPayload;")
    script = admin.runtime.scripts.get(script_id, tenant="acme")
    store = admin.runtime.tenant("acme").store
    store.append(Event("order.created", {"n": 1}))
    (event,) = store.read()
    execution = admin.runtime.scripts.run_for_event(script, event)
    article = admin.get(f"/{script_id}/executions/{execution.id}", htmx=True).html.one("article")
    assert f"event {event.id}" in article.text
    assert "event" not in admin.get(href_of(admin, script_id)).html.one("article").text


def href_of(admin: PageClient, script_id: str) -> str:
    """A manual run's execution page."""
    row = admin.post(f"/{script_id}/execute", {}, htmx=True).html.one("tr")
    return (row.one("a").get("href") or "").removeprefix("/scripts")


def test_an_execution_of_another_script_is_404(admin: PageClient) -> None:
    first, second = admin.create(Name="first"), admin.create(Name="second")
    row = admin.post(f"/{first}/execute", {}, htmx=True).html.one("tr")
    execution_id = (row.get("id") or "").removeprefix("execution-")
    assert admin.get(f"/{second}/executions/{execution_id}").status == 404
    assert admin.get(f"/{first}/executions/not-an-id").status == 404


def test_an_idle_scheduled_script_looks_again_at_its_next_run(admin: PageClient) -> None:
    script_id = admin.create(Type="scheduled", CronExpression="* * * * *")
    trigger = admin.get(f"/{script_id}/executions").html.one("tbody").get("hx-trigger") or ""
    delay = re.match(r"load delay:(\d+)s, esr-executions-changed from:body$", trigger)
    assert delay is not None, trigger
    assert 1 <= int(delay.group(1)) <= 61
    assert "every 5s" not in trigger
    paused = admin.create(
        Name="paused one", Type="scheduled", CronExpression="* * * * *", Status="paused"
    )
    idle = admin.get(f"/{paused}").html.one("tbody", id="executions").get("hx-trigger")
    assert idle == "esr-executions-changed from:body"


def test_the_next_run_is_found_in_the_scripts_timezone() -> None:
    script = Script(
        "id", "acme", "nightly", "return 1;", "scheduled", "active",
        cron_expression="0 2 * * *", timezone="Europe/Paris",
    )  # fmt: skip
    now = datetime(2026, 12, 7, 0, 30, tzinfo=UTC)  # 01:30 in Paris: the run is in 30 minutes
    assert wake_after_s(script, now) == 30 * 60 + 1
    assert wake_after_s(evolve(script, type="oneoff"), now) is None


def test_a_tick_whose_run_has_not_shown_yet_is_looked_for_again_soon() -> None:
    script = Script(
        "id", "acme", "minutely", "return 1;", "scheduled", "active",
        cron_expression="* * * * *", updated_at=datetime(2026, 12, 7, 10, 0, 30, tzinfo=UTC),
    )  # fmt: skip
    tick = datetime(2026, 12, 7, 10, 1, tzinfo=UTC)
    after = tick + timedelta(seconds=10)
    assert wake_after_s(script, after) == RECHECK_S  # the scheduler has not started it yet
    ran = Execution(
        "e", "acme", "id", 1, "completed", Trigger.cron("* * * * *"),
        {"scheduledAt": "2026-12-07T10:01:00Z"}, created_at=tick + timedelta(seconds=2),
    )  # fmt: skip
    assert wake_after_s(script, after, [ran]) == 51  # its run is there: wait for the next tick
    manual = evolve(ran, trigger=Trigger.manual())
    assert wake_after_s(script, after, [manual]) == RECHECK_S  # a manual run is not the tick's
    assert wake_after_s(script, tick + timedelta(seconds=40)) == 21  # too late: next tick
    saved_after_the_tick = evolve(script, updated_at=tick + timedelta(seconds=5))
    assert wake_after_s(saved_after_the_tick, after) == 51  # its first tick is the next one


@pytest.mark.parametrize("kind", ["http", "event"])
def test_the_idle_history_of_a_script_run_by_calls_or_events_is_watched(
    admin: PageClient, kind: str
) -> None:
    fields = {"HTTPPath": "/watched", "HTTPMethods": "POST"} if kind == "http" else {}
    script_id = admin.create(Type=kind, EventTypes="Thing.Happened", **fields)
    body = admin.get(f"/{script_id}").html.one("tbody", id="executions")
    assert body.get("data-watching") == "true"
    assert body.get("hx-trigger") == f"every {WATCH_S}s, esr-executions-changed from:body"
    seen = json.loads(body.get("hx-vals") or "{}")["seen"]
    unchanged = admin.get(f"/{script_id}/executions?seen={seen}")
    assert (unchanged.status, unchanged.body) == (204, b"")
    admin.post(f"/{script_id}/execute", {}, htmx=True)
    changed = admin.get(f"/{script_id}/executions?seen={seen}")
    assert changed.status == 200
    rows = changed.html.one("tbody", id="executions")
    assert [r.get("data-status") for r in rows.find_all("tr")] == ["completed"]
    assert json.loads(rows.get("hx-vals") or "{}")["seen"] != seen
    for hostile in ("", "<script>", "x" * 5000):
        answer = admin.get(f"/{script_id}/executions?seen={quote(hostile)}")
        assert answer.status == 200


def test_a_running_or_paused_history_is_not_watched(admin: PageClient) -> None:
    http = admin.create(Name="hook", Type="http", HTTPPath="/p", HTTPMethods="POST")
    _running(admin, http)
    busy = admin.get(f"/{http}").html.one("tbody", id="executions")
    assert busy.get("data-watching") is None
    assert busy.get("data-polling") == "true"
    seen = admin.get(f"/{http}/executions?seen=anything")
    assert seen.status == 200  # while a run goes, the rows always come
    paused = admin.create(
        Name="paused hook", Type="http", HTTPPath="/q", HTTPMethods="POST", Status="paused"
    )
    idle = admin.get(f"/{paused}").html.one("tbody", id="executions")
    assert idle.get("hx-trigger") == "esr-executions-changed from:body"
    oneoff = admin.create(Name="by hand")
    assert admin.get(f"/{oneoff}").html.one("tbody").get("data-watching") is None
