"""A script's JSON has ``next_runs``: the next 5 ticks of an active scheduled script, in UTC, and
an empty list for every other script; listings leave it out. Both adapters."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from esruntime.triggers.cron import CronSchedule
from tests.web.apps import Client

YEARLY = {
    "name": "new year",
    "type": "scheduled",
    "status": "active",
    "cron_expression": "@yearly",
    "timezone": "Pacific/Auckland",
    "source": "return 1;",
}


def test_an_active_scheduled_script_shows_its_next_five_runs(client: Client) -> None:
    before = datetime.now(UTC)
    created = client.post("/scripts", json_body=YEARLY).json()
    expected = CronSchedule.parse("@yearly", "Pacific/Auckland").next_runs(5, after=before)
    runs = [datetime.fromisoformat(t) for t in created["next_runs"]]
    assert runs == expected
    assert all(t.endswith(".000Z") for t in created["next_runs"])
    local = [run.astimezone(ZoneInfo("Pacific/Auckland")) for run in runs]
    assert {(t.month, t.day, t.hour, t.minute) for t in local} == {(1, 1, 0, 0)}
    assert [b.year - a.year for a, b in itertools.pairwise(local)] == [1] * 4
    got = client.get(f"/scripts/{created['id']}").json()
    assert got["next_runs"] == created["next_runs"]
    assert "next_runs" not in client.get("/scripts").json()["scripts"][0]


def test_every_other_script_has_no_next_runs(client: Client) -> None:
    paused = client.post("/scripts", json_body=YEARLY | {"status": "paused"}).json()
    assert paused["next_runs"] == []
    resumed = client.put(f"/scripts/{paused['id']}", json_body={"status": "active"}).json()
    assert len(resumed["next_runs"]) == 5
    hourly = client.put(f"/scripts/{paused['id']}", json_body={"cron_expression": "@hourly"})
    first = datetime.fromisoformat(hourly.json()["next_runs"][0])
    assert (first.minute, first.second) == (0, 0)
    assert first - datetime.now(UTC) <= timedelta(hours=1)
    for fields in (
        {"type": "oneoff"},
        {"type": "event", "event_types": ["order.created"], "status": "active"},
        {"type": "http", "http_path": "/x", "http_methods": ["GET"], "status": "active"},
    ):
        body = {"name": f"other {fields['type']}", "source": "return 1;"} | fields
        other = client.post("/scripts", json_body=body).json()
        assert other["next_runs"] == []
        assert client.get(f"/scripts/{other['id']}").json()["next_runs"] == []
