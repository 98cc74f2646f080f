"""Event scripts run by themselves, once per matching event of their tenant, on memory, SQLite
and PostgreSQL: after commands and ``events.publish``, with retries and dead letters."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator

import pytest

from esruntime.consumers import DeadLetter
from esruntime.events import Event
from esruntime.runtime import Runtime
from esruntime.scripts.models import Execution, Script
from tests.commands.bank import SCHEMA, Deposit, OpenAccount
from tests.triggers.helpers import FAST, all_executions, wait_for

ECHO = "return context.trigger;"
FAILS = "throw new Error('no ' + context.trigger.eventPayload.n);"


@pytest.fixture
def runtime(runtime_url: str) -> Iterator[Runtime]:
    with Runtime.from_url(runtime_url, event_triggers=FAST) as runtime:
        runtime.start()
        yield runtime


def event_script(
    runtime: Runtime, name: str, types: list[str], source: str = ECHO, tenant: str | None = None
) -> Script:
    return runtime.scripts.create(
        name=name, type="event", status="active", event_types=types, source=source, tenant=tenant
    )


def append(
    runtime: Runtime, count: int, event_type: str = "order.created", tenant: str | None = None
) -> None:
    store = runtime.tenant(tenant).store
    for n in range(count):
        store.append(Event(event_type, {"n": n}))


def runs_of(runtime: Runtime, script_id: str, count: int) -> list[Execution]:
    """The script's executions, once at least ``count`` of them finished."""

    def finished() -> list[Execution] | None:
        runs = all_executions(runtime, script_id)
        return runs if sum(run.finished for run in runs) >= count else None

    return wait_for(finished)


def letters_of(
    runtime: Runtime, count: int, *, tenant: str | None = None, script_id: str | None = None
) -> tuple[DeadLetter, ...]:
    """The dead letters, once there are ``count``."""

    def found() -> tuple[DeadLetter, ...] | None:
        page = runtime.scripts.dead_letters(tenant=tenant, script_id=script_id)
        return page.items if page.total == count else None

    return wait_for(found)


def test_commands_trigger_event_scripts_with_the_event_in_context(runtime: Runtime) -> None:
    runtime.push_schema(SCHEMA)
    runtime.register(OpenAccount)
    runtime.register(Deposit)
    script = event_script(runtime, "account watcher", ["AccountOpened", "Deposited"])
    other = event_script(runtime, "order watcher", ["order.created"])
    runtime.execute("open_account", {"account_id": "a1", "owner": "Ada"})
    runtime.execute("deposit", {"account_id": "a1", "amount": 5})
    runs = runs_of(runtime, script.id, 2)
    assert [(r.status, r.trigger.type) for r in runs] == [("completed", "event")] * 2
    assert [r.output for r in runs] == [
        {
            "type": "event",
            "eventType": "AccountOpened",
            "eventPayload": {"account_id": "a1", "owner": "Ada", "currency": "EUR"},
            "httpRequest": None,
            "cronExpression": None,
        },
        {
            "type": "event",
            "eventType": "Deposited",
            "eventPayload": {"account_id": "a1", "amount": 5},
            "httpRequest": None,
            "cronExpression": None,
        },
    ]
    assert runtime.scripts.executions(other.id).total == 0


def test_events_published_by_a_script_trigger_other_scripts(runtime: Runtime) -> None:
    runtime.scripts.create(
        name="checkout",
        type="embedded",
        source="return await events.publish('order.created', {id: context.input.id});",
    )
    audit = event_script(runtime, "audit", ["order.created"])
    for order in ("o-1", "o-2", "o-3"):
        assert runtime.scripts.call("checkout", {"id": order}) is True
    runs = runs_of(runtime, audit.id, 3)
    assert [r.trigger.event_payload for r in runs] == [{"id": "o-1"}, {"id": "o-2"}, {"id": "o-3"}]


def test_a_script_sees_only_its_own_tenants_events(runtime: Runtime) -> None:
    mine = event_script(runtime, "watcher", ["order.created"])
    theirs = event_script(runtime, "watcher", ["order.created"], tenant="beta")
    append(runtime, 2, tenant="beta")
    append(runtime, 1)
    wait_for(lambda: runtime.scripts.executions(theirs.id, tenant="beta").total == 2)
    wait_for(lambda: runtime.scripts.executions(mine.id).total == 1)
    assert [r.trigger.event_payload for r in all_executions(runtime, mine.id)] == [{"n": 0}]


def test_a_failing_script_lands_in_dead_letters_after_its_retries_and_blocks_no_other(
    runtime: Runtime,
) -> None:
    failing = event_script(runtime, "failing", ["order.created"], FAILS)
    healthy = event_script(runtime, "healthy", ["order.created"])
    append(runtime, 3)
    wait_for(lambda: runtime.scripts.executions(healthy.id).total == 3)
    letters = letters_of(runtime, 3, script_id=failing.id)
    assert [(x.event_type, x.attempts, x.script_id) for x in letters] == [
        ("order.created", 4, failing.id)
    ] * 3
    for n, letter in enumerate(letters):
        last = _last_run(runtime, failing.id, n)
        expected = (
            rf"EventScriptFailed: execution {last} failed: Error: no {n} \(line 1, column \d+\)"
        )
        assert re.fullmatch(expected, letter.error)
    runs = all_executions(runtime, failing.id)
    assert Counter(r.trigger.event_payload["n"] for r in runs) == {0: 4, 1: 4, 2: 4}
    assert {r.status for r in runs} == {"failed"}
    store = runtime.tenant().store
    assert [store.get(x.event_id).data for x in letters] == [{"n": n} for n in range(3)]  # type: ignore[union-attr]


def _last_run(runtime: Runtime, script_id: str, n: int) -> str:
    runs = [r for r in all_executions(runtime, script_id) if r.trigger.event_payload["n"] == n]
    return runs[-1].id


def test_retrying_a_dead_letter_runs_the_script_again_and_forgets_it_on_success(
    runtime: Runtime,
) -> None:
    script = event_script(runtime, "flaky", ["order.created"], FAILS)
    append(runtime, 2)
    letters = letters_of(runtime, 2)
    failed = runtime.scripts.retry_dead_letter(letters[0].id)
    assert failed.status == "failed"
    (kept, _) = runtime.scripts.dead_letters().items
    assert (kept.id, kept.attempts) == (letters[0].id, 5)
    assert re.fullmatch(r"Error: no 0 \(line 1, column \d+\)", kept.error)
    runtime.scripts.update(script.id, source="return context.trigger.eventPayload.n * 10;")
    done = runtime.scripts.retry_dead_letter(letters[0].id)
    assert (done.status, done.output, done.trigger.type) == ("completed", 0, "event")
    assert [x.id for x in runtime.scripts.dead_letters().items] == [letters[1].id]
    assert runtime.scripts.execution(done.id).trigger.event_payload == {"n": 0}


def test_discarding_a_dead_letter_forgets_it_without_running(runtime: Runtime) -> None:
    script = event_script(runtime, "failing", ["order.created"], FAILS)
    append(runtime, 1)
    (letter,) = letters_of(runtime, 1)
    runs = runtime.scripts.executions(script.id).total
    runtime.scripts.discard_dead_letter(letter.id)
    assert runtime.scripts.dead_letters().total == 0
    assert runtime.scripts.executions(script.id).total == runs
    from esruntime.errors import ScriptNotFoundError

    with pytest.raises(ScriptNotFoundError):
        runtime.scripts.discard_dead_letter(letter.id)
    with pytest.raises(ScriptNotFoundError):
        runtime.scripts.retry_dead_letter(letter.id)


def test_dead_letters_belong_to_their_tenant(runtime: Runtime) -> None:
    event_script(runtime, "failing", ["order.created"], FAILS, tenant="beta")
    append(runtime, 1, tenant="beta")
    (letter,) = letters_of(runtime, 1, tenant="beta")
    assert runtime.scripts.dead_letters().total == 0
    from esruntime.errors import ScriptNotFoundError

    with pytest.raises(ScriptNotFoundError):
        runtime.scripts.retry_dead_letter(letter.id)
    with pytest.raises(ScriptNotFoundError):
        runtime.scripts.discard_dead_letter(letter.id)
    runtime.scripts.discard_dead_letter(letter.id, tenant="beta")


def test_a_paused_script_keeps_its_place_and_catches_up_when_active_again(
    runtime: Runtime,
) -> None:
    script = event_script(runtime, "watcher", ["order.created"])
    append(runtime, 1)
    wait_for(lambda: runtime.scripts.executions(script.id).total == 1)
    runtime.scripts.update(script.id, status="paused")
    wait_for(lambda: not runtime.workers[0].consumers)  # type: ignore[attr-defined]
    runtime.tenant().store.append(Event("order.created", {"n": 1}))
    runtime.scripts.update(script.id, status="active")
    runs = runs_of(runtime, script.id, 2)
    assert [r.trigger.event_payload for r in runs] == [{"n": 0}, {"n": 1}]


def test_changing_the_event_types_changes_what_runs_the_script(runtime: Runtime) -> None:
    script = event_script(runtime, "watcher", ["order.created"])
    runtime.scripts.update(script.id, event_types=["order.shipped"])
    store = runtime.tenant().store
    store.append(Event("order.created", {"n": 0}))
    store.append(Event("order.shipped", {"n": 1}))
    runs = wait_for(lambda: all_executions(runtime, script.id))
    assert [r.trigger.event_type for r in runs] == ["order.shipped"]


def test_stopping_and_starting_the_workers_runs_each_event_once(runtime: Runtime) -> None:
    script = event_script(runtime, "counter", ["order.created"])
    append(runtime, 20)
    wait_for(lambda: runtime.scripts.executions(script.id).total >= 1)
    runtime.stop()
    append(runtime, 5)
    runtime.start()
    wait_for(lambda: runtime.scripts.executions(script.id).total >= 25)
    runs = all_executions(runtime, script.id)
    assert sorted(Counter(r.trigger.event_payload["n"] for r in runs).items()) == [
        (n, 2 if n < 5 else 1) for n in range(20)
    ]


def test_deleting_a_script_stops_it_and_forgets_its_dead_letters(runtime: Runtime) -> None:
    script = event_script(runtime, "failing", ["order.created"], FAILS)
    append(runtime, 1)
    letters_of(runtime, 1)
    runtime.scripts.delete(script.id)
    assert runtime.scripts.dead_letters().total == 0
    assert runtime.consumer_store.checkpoint("default", f"script:{script.id}") is None
    wait_for(lambda: not runtime.workers[0].consumers)  # type: ignore[attr-defined]
