"""An event whose run was recorded does not run again when it is handed over a second time:
the crash window (the run recorded, the consumer's checkpoint not yet moved) is replayed by
recording runs and then starting the triggers from the old checkpoint, on memory, SQLite and
PostgreSQL. A run cut short by a dying process (recorded ``running``) is not complete: its event
runs again."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from esruntime.events import Event
from esruntime.runtime import Runtime
from esruntime.scripts.models import Execution, Trigger
from tests.triggers.helpers import FAST, all_executions, wait_for

EVENTS = 6
SOURCE = "return context.trigger.eventPayload.n;"


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def runtime(request: pytest.FixtureRequest, sqlite_url: str) -> Iterator[Runtime]:
    if request.param == "memory":
        runtime = Runtime(event_triggers=FAST)
    elif request.param == "sqlite":
        runtime = Runtime.from_url(sqlite_url, event_triggers=FAST)
    else:
        runtime = Runtime.from_url(
            request.getfixturevalue("clean_postgres_url"), event_triggers=FAST
        )
    with runtime:
        yield runtime


def test_an_event_run_recorded_before_a_crash_is_not_run_again(runtime: Runtime) -> None:
    tenant = runtime.default_tenant
    script = runtime.scripts.create(
        name="counter", type="event", status="active", event_types=["order.created"], source=SOURCE
    )
    name = f"script:{script.id}"
    runtime.consumer_store.ensure(tenant, name, 0)
    store = runtime.tenant().store
    store.append([Event("order.created", {"n": n}) for n in range(EVENTS)])
    events = list(store.read())
    # What a process left when it died: the runs of events 0 and 1 recorded while the checkpoint
    # stayed before them, and event 2's run started but never finished.
    for event in events[:2]:
        assert runtime.scripts.run_for_event(script, event).status == "completed"
    cut_short = Execution(
        id="00000000-0000-4000-8000-000000000002",
        tenant=tenant,
        script_id=script.id,
        script_version=script.version,
        status="running",
        trigger=Trigger.event(events[2].type, events[2].data, events[2].id),
        input={},
        created_at=datetime.now(UTC),
        started_at=datetime.now(UTC),
    )
    runtime.scripts.repository.add_execution(cut_short)
    assert runtime.consumer_store.checkpoint(tenant, name) == 0

    runtime.start()  # a fresh consumer, from the old checkpoint
    wait_for(lambda: runtime.consumer_store.checkpoint(tenant, name) == store.head())

    runs = all_executions(runtime, script.id)
    completed = [r for r in runs if r.status == "completed"]
    assert Counter(r.output for r in completed) == dict.fromkeys(range(EVENTS), 1)
    assert {r.trigger.event_id for r in completed} == {e.id for e in events}
    assert [r.id for r in runs if r.status != "completed"] == [cut_short.id]


def test_the_execution_shows_its_event(runtime: Runtime) -> None:
    script = runtime.scripts.create(
        name="counter", type="event", status="active", event_types=["order.created"], source=SOURCE
    )
    store = runtime.tenant().store
    store.append(Event("order.created", {"n": 7}))
    (event,) = store.read()
    execution = runtime.scripts.run_for_event(script, event)
    again = runtime.scripts.execution(execution.id)
    assert again.trigger.event_id == event.id
    assert again.output == 7
    # The script sees the trigger of the specification, without the id.
    assert "eventId" not in again.trigger.to_context()
    # Handed over again, the event is not run again: the recorded run is the answer.
    assert runtime.scripts.run_for_event(script, event) == again
    assert runtime.scripts.executions(script.id).total == 1
