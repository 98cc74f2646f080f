"""A scheduled script's page lists its next 5 runs: relative, with the exact time in UTC and in
the script's time zone; a paused one says it has none; other scripts show no such list."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.web.pages.harness import PageClient


def scheduled(client: PageClient, status: str = "active") -> str:
    return client.runtime.scripts.create(
        name="morning report",
        type="scheduled",
        status=status,
        cron_expression="0 9 * * 1-5",
        timezone="Europe/Paris",
        source="return 1;",
        tenant="acme",
    ).id


def test_an_active_scheduled_script_shows_its_next_five_runs(admin: PageClient) -> None:
    script_id = scheduled(admin)
    before = admin.runtime.scripts.next_runs(script_id, tenant="acme")
    page = admin.get(f"/{script_id}")
    after = admin.runtime.scripts.next_runs(script_id, tenant="acme")
    assert page.status == 200
    runs = page.html.one("div", id="next-runs").find_all("li")
    assert len(runs) == 5
    times = [run.one("time") for run in runs]
    shown = [datetime.fromisoformat(t.get("datetime") or "") for t in times]
    assert shown in (before, after)  # (after: a tick passed meanwhile)
    for run, moment, time in zip(runs, shown, times, strict=True):
        exact = moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        assert time.get("title") == exact
        assert time.text.startswith("in ")
        assert exact in run.text
        assert " 09:00 CE" in run.text  # 09:00 in Paris, CET or CEST
        assert moment.astimezone(UTC).hour in (7, 8)


def test_a_paused_scheduled_script_says_it_has_no_runs(admin: PageClient) -> None:
    script_id = scheduled(admin, status="paused")
    section = admin.get(f"/{script_id}").html.one("div", id="next-runs")
    assert section.find("li") is None
    assert "the script is paused" in section.text


def test_other_scripts_show_no_next_runs(admin: PageClient) -> None:
    script_id = admin.create()
    assert admin.get(f"/{script_id}").html.find("div", id="next-runs") is None
