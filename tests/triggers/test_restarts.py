"""A runtime closed in the middle of a backlog, and another started on the same database, run
each event exactly once (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections import Counter

import pytest

from esruntime.events import Event
from esruntime.runtime import Runtime
from esruntime.scripts.models import Execution
from tests.triggers.helpers import FAST, all_executions, wait_for

BACKLOG = 1000


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, sqlite_url: str) -> str:
    if request.param == "sqlite":
        return sqlite_url
    url: str = request.getfixturevalue("clean_postgres_url")
    return url


@pytest.mark.slow
def test_a_restart_in_the_middle_of_a_backlog_runs_each_event_exactly_once(
    database_url: str,
) -> None:
    with Runtime.from_url(database_url, event_triggers=FAST) as first:
        first.start()
        script = first.scripts.create(
            name="counter",
            type="event",
            status="active",
            event_types=["order.created"],
            source="return context.trigger.eventPayload.n;",
        )
        store = first.tenant().store
        for start in range(0, BACKLOG, 100):
            store.append([Event("order.created", {"n": n}) for n in range(start, start + 100)])
        wait_for(lambda: first.scripts.executions(script.id).total >= 100)
    before = Counter(r.output for r in all_executions_of(database_url, script.id))
    assert 100 <= sum(before.values()) < BACKLOG  # closed in the middle
    with Runtime.from_url(database_url, event_triggers=FAST) as second:
        second.start()
        consumers, name = second.consumer_store, f"script:{script.id}"
        wait_for(lambda: consumers.checkpoint("default", name) == BACKLOG, limit=180)
        runs = all_executions(second, script.id)
    assert {r.status for r in runs} == {"completed"}
    assert Counter(r.trigger.event_payload["n"] for r in runs) == dict.fromkeys(range(BACKLOG), 1)


def all_executions_of(url: str, script_id: str) -> list[Execution]:
    with Runtime.from_url(url) as runtime:
        return [r for r in all_executions(runtime, script_id) if r.status == "completed"]


@pytest.mark.slow
def test_stopping_the_workers_in_the_middle_of_a_backlog_in_memory_runs_each_event_once() -> None:
    with Runtime(event_triggers=FAST) as runtime:
        runtime.start()
        script = runtime.scripts.create(
            name="counter",
            type="event",
            status="active",
            event_types=["order.created"],
            # Slow enough (milliseconds) that the stop below falls in the middle of the backlog.
            source="for (let i = 0; i < 200000; i++) {} return context.trigger.eventPayload.n;",
        )
        runtime.tenant().store.append([Event("order.created", {"n": n}) for n in range(BACKLOG)])
        wait_for(lambda: runtime.scripts.executions(script.id).total >= 100)
        runtime.stop()
        assert 100 <= runtime.scripts.executions(script.id).total < BACKLOG
        runtime.start()
        consumers, name = runtime.consumer_store, f"script:{script.id}"
        wait_for(lambda: consumers.checkpoint("default", name) == BACKLOG, limit=180)
        runs = all_executions(runtime, script.id)
    assert {r.status for r in runs} == {"completed"}
    assert Counter(r.trigger.event_payload["n"] for r in runs) == dict.fromkeys(range(BACKLOG), 1)
