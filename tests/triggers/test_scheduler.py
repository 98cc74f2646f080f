"""The scheduler on each backend with real JavaScript: ticks, missed ticks, changes to scripts,
and a real background thread."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from attrs import evolve

from esruntime.errors import ScriptNotFoundError, ScriptValidationError
from esruntime.protocols import ScriptRepository
from esruntime.scripts.engines import QuickJsRunner
from esruntime.scripts.models import Execution
from esruntime.scripts.service import ScriptService
from esruntime.triggers.schedule import Scheduler
from tests.triggers.conftest import ManualClock
from tests.triggers.helpers import scheduler_for

MINUTE = timedelta(minutes=1)
NOON = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
SOURCE = "return {trigger: context.trigger, input: context.input};"


def scheduled(service: ScriptService, cron: str = "* * * * *", **fields: Any) -> str:
    values: dict[str, Any] = {
        "name": "tick",
        "type": "scheduled",
        "status": "active",
        "source": SOURCE,
        "cron_expression": cron,
    }
    values.update(fields)
    return service.create(**values).id


def history(service: ScriptService, script_id: str) -> list[Execution]:
    return list(reversed(service.executions(script_id, limit=100).items))


def ticks(service: ScriptService, script_id: str) -> list[str]:
    return [e.input["scheduledAt"] for e in history(service, script_id)]


def test_a_script_runs_at_its_tick_with_a_cron_trigger(
    service: ScriptService, clock: ManualClock
) -> None:
    script_id = scheduled(service, "0 12 * * *")  # created at 11:58:30
    scheduler = scheduler_for(service, clock=clock)
    assert scheduler.run_due() == []
    clock.set(NOON - timedelta(seconds=1))
    assert scheduler.run_due() == []
    clock.set(NOON)
    [execution] = scheduler.run_due()
    assert execution.status == "completed"
    assert execution.output == {
        "trigger": {
            "type": "cron",
            "cronExpression": "0 12 * * *",
            "eventType": None,
            "eventPayload": None,
            "httpRequest": None,
        },
        "input": {"scheduledAt": "2026-05-01T12:00:00Z"},
    }
    assert scheduler.run_due() == []  # the same tick never runs twice
    clock.advance(MINUTE)
    assert scheduler.run_due() == []
    assert [e.id for e in history(service, script_id)] == [execution.id]
    clock.set(NOON + timedelta(days=1))
    assert len(scheduler.run_due()) == 1
    assert ticks(service, script_id) == ["2026-05-01T12:00:00Z", "2026-05-02T12:00:00Z"]


def test_ticks_missed_while_nothing_ran_run_once(
    service: ScriptService, clock: ManualClock
) -> None:
    script_id = scheduled(service, "*/5 * * * *")
    scheduler = scheduler_for(service, clock=clock)
    scheduler.run_due()
    clock.set(NOON + timedelta(hours=3, minutes=2))  # 37 ticks passed while down
    assert len(scheduler.run_due()) == 1
    assert scheduler.run_due() == []
    assert ticks(service, script_id) == ["2026-05-01T12:00:00Z"]
    assert service.next_runs(script_id, 1) == [NOON + timedelta(hours=3, minutes=5)]
    clock.set(NOON + timedelta(hours=3, minutes=5))
    assert len(scheduler.run_due()) == 1


def test_a_script_created_while_no_scheduler_ran_runs_once_for_what_it_missed(
    service: ScriptService, clock: ManualClock
) -> None:
    script_id = scheduled(service, "@hourly")
    clock.set(NOON + timedelta(hours=5, minutes=10))
    scheduler = scheduler_for(service, clock=clock)
    assert len(scheduler.run_due()) == 1
    assert scheduler.run_due() == []
    assert ticks(service, script_id) == ["2026-05-01T12:00:00Z"]


def test_only_active_scheduled_scripts_run(service: ScriptService, clock: ManualClock) -> None:
    for status in ("draft", "paused", "disabled", "archived"):
        scheduled(service, name=f"{status} one", status=status)
    service.create(name="manual", type="oneoff", status="active", source=SOURCE)
    scheduler = scheduler_for(service, clock=clock)
    clock.set(NOON + timedelta(hours=1))
    assert scheduler.run_due() == []


def test_pausing_resuming_and_rescheduling_take_effect_on_the_next_pass(
    service: ScriptService, clock: ManualClock
) -> None:
    script_id = scheduled(service, "*/10 * * * *")
    scheduler = scheduler_for(service, clock=clock)
    clock.set(NOON)
    assert len(scheduler.run_due()) == 1

    clock.set(NOON + timedelta(minutes=5))
    service.update(script_id, status="paused")
    clock.set(NOON + timedelta(minutes=40))
    assert scheduler.run_due() == []  # ticks of a paused script are not made up later
    service.update(script_id, status="active")  # at 12:40
    assert scheduler.run_due() == []
    assert service.next_runs(script_id, 2) == [NOON + 5 * 10 * MINUTE, NOON + 6 * 10 * MINUTE]

    clock.set(NOON + timedelta(minutes=45))
    service.update(script_id, cron_expression="0 14 * * *", timezone="Europe/Berlin")
    clock.set(NOON + timedelta(minutes=50))
    assert scheduler.run_due() == []  # 12:50 is no tick of the new schedule
    clock.set(NOON)  # 14:00 in Berlin is 12:00 UTC: the next day's
    clock.set(NOON + timedelta(days=1))
    [execution] = scheduler.run_due()
    assert execution.trigger.cron_expression == "0 14 * * *"
    assert ticks(service, script_id) == ["2026-05-01T12:00:00Z", "2026-05-02T12:00:00Z"]


def test_a_deleted_script_stops_running_and_loses_its_row(
    service: ScriptService, clock: ManualClock
) -> None:
    script_id = scheduled(service)
    scheduler = scheduler_for(service, clock=clock)
    scheduler.run_due()
    assert [row.script_id for row in scheduler.store.states()] == [script_id]
    service.delete(script_id)
    clock.advance(timedelta(hours=1))
    assert scheduler.run_due() == []
    assert scheduler.store.states() == []


def test_failing_scripts_are_recorded_and_keep_their_schedule(
    service: ScriptService, clock: ManualClock
) -> None:
    scheduled(service, source="throw new Error('boom');")
    scheduler = scheduler_for(service, clock=clock)
    clock.set(NOON)
    [failed] = scheduler.run_due()
    assert failed.status == "failed"
    assert failed.error is not None
    assert "boom" in failed.error.message
    clock.set(NOON + MINUTE)
    assert len(scheduler.run_due()) == 1


def test_tenants_have_their_own_scripts_and_runs(
    service: ScriptService, clock: ManualClock
) -> None:
    mine = scheduled(service, tenant="acme")
    theirs = scheduled(service, tenant="globex", cron_expression="*/2 * * * *")
    scheduler = scheduler_for(service, clock=clock)
    clock.set(NOON + MINUTE)
    runs = scheduler.run_due()
    assert sorted((e.tenant, e.script_id) for e in runs) == [("acme", mine), ("globex", theirs)]
    assert service.executions(theirs, tenant="globex").total == 1
    with pytest.raises(ScriptNotFoundError):
        service.executions(theirs, tenant="acme")


def test_next_runs_are_shown_for_active_scheduled_scripts(
    service: ScriptService, clock: ManualClock
) -> None:
    script_id = scheduled(service, "30 2 * * *", timezone="Europe/Berlin")
    after = datetime(2026, 3, 28, 12, tzinfo=UTC)
    runs = service.next_runs(script_id, 3, after=after)
    assert [r.isoformat() for r in runs] == [
        "2026-03-29T01:00:00+00:00",  # 03:00 CEST: 02:30 does not exist that day
        "2026-03-30T00:30:00+00:00",
        "2026-03-31T00:30:00+00:00",
    ]
    assert len(service.next_runs(script_id)) == 5
    assert service.next_runs(script_id)[0] == datetime(2026, 5, 2, 0, 30, tzinfo=UTC)
    service.update(script_id, status="paused")
    assert service.next_runs(script_id) == []
    other = service.create(name="other", type="oneoff", source=SOURCE).id
    assert service.next_runs(other) == []
    for count in (0, 101, "5", True):
        with pytest.raises(ScriptValidationError):
            service.next_runs(script_id, count)  # type: ignore[arg-type]
    with pytest.raises(ScriptValidationError):
        service.next_runs(script_id, after=datetime(2026, 1, 1))


@pytest.mark.parametrize(
    ("fields", "problems"),
    [
        ({"cron_expression": "* * * * * *"}, {"cron_expression"}),
        ({"cron_expression": "0 25 * * *"}, {"cron_expression"}),
        ({"cron_expression": "@every 1m"}, {"cron_expression"}),
        ({"timezone": "Moon/Base"}, {"timezone"}),
        ({"timezone": "Moon/Base", "cron_expression": "x"}, {"timezone", "cron_expression"}),
        ({"cron_expression": None}, {"cron_expression"}),
    ],
)
def test_bad_schedules_are_refused_per_field_at_create_and_update(
    service: ScriptService, fields: dict[str, Any], problems: set[str]
) -> None:
    with pytest.raises(ScriptValidationError) as created:
        scheduled(service, **fields)
    assert set(created.value.errors) == problems
    script_id = scheduled(service, "@daily")
    with pytest.raises(ScriptValidationError) as updated:
        service.update(script_id, **fields)
    assert set(updated.value.errors) == problems
    assert service.get(script_id).cron_expression == "@daily"


class FastClock:
    """Real time sped up: one clock minute per real second, from ``start``."""

    def __init__(self, start: datetime, speed: float = 60.0) -> None:
        self.start, self.speed, self.origin = start, speed, time.monotonic()

    def __call__(self) -> datetime:
        return self.start + timedelta(seconds=(time.monotonic() - self.origin) * self.speed)


def wait_for(condition: Callable[[], bool], limit: float = 60.0) -> None:
    deadline = time.monotonic() + limit
    while not condition():
        assert time.monotonic() < deadline, "the condition did not come true in time"
        time.sleep(0.05)


@pytest.mark.slow
def test_the_background_thread_runs_every_tick_once(
    service: ScriptService, clock: ManualClock
) -> None:
    script_id = service.create(
        name="every minute",
        type="scheduled",
        status="active",
        source=SOURCE,
        cron_expression="* * * * *",
    ).id  # at 11:58:30
    scheduler = scheduler_for(
        service, clock=FastClock(clock()), poll_interval=0.05, lease=timedelta(minutes=10)
    )
    scheduler.start()
    try:
        wait_for(lambda: service.executions(script_id).total >= 5)
    finally:
        scheduler.stop()
    runs = history(service, script_id)
    assert all(e.status == "completed" for e in runs)
    minutes = [datetime.fromisoformat(e.input["scheduledAt"]) for e in runs]
    assert minutes[0] == NOON - MINUTE
    # Each run is for a later minute than the one before: no tick ran twice. (A tick can be
    # merged into the next one's run when the machine stalls for a clock minute: that is the
    # rule for missed ticks, so it is not asserted against.)
    assert all(a < b for a, b in itertools.pairwise(minutes))
    assert all(m.second == 0 and m.microsecond == 0 for m in minutes)
    scheduler.stop()  # stopping twice is harmless


@pytest.mark.parametrize(
    ("options", "problem"),
    [
        ({"lease": timedelta(0)}, "lease must be a timedelta"),
        ({"lease": 30}, "lease must be a timedelta"),
        ({"lease": timedelta(days=2)}, "lease must be a timedelta"),
        ({"poll_interval": 0}, "poll_interval must be"),
        ({"poll_interval": float("nan")}, "poll_interval must be"),
        ({"poll_interval": True}, "poll_interval must be"),
        ({"renew_interval": -1}, "renew_interval must be"),
        ({"max_workers": 0}, "max_workers must be"),
        ({"max_workers": 1000}, "max_workers must be"),
        ({"owner": "x" * 201}, "owner must be"),
        ({"owner": "evil\nowner"}, "owner must be"),
        ({"owner": 5}, "owner must be"),
    ],
)
def test_bad_scheduler_options_are_refused(
    service: ScriptService, options: dict[str, Any], problem: str
) -> None:
    with pytest.raises(ValueError, match=problem):
        scheduler_for(service, **options)


def test_a_pass_needs_an_aware_time(service: ScriptService) -> None:
    scheduler = scheduler_for(service)
    with pytest.raises(ValueError, match="aware datetime"):
        scheduler.run_due(datetime(2026, 5, 1, 12, 0))
    with pytest.raises(ValueError, match="aware datetime"):
        scheduler.run_due("2026-05-01T12:00:00Z")  # type: ignore[arg-type]


def test_a_schedule_stored_before_the_rules_it_breaks_never_runs(
    service: ScriptService, clock: ManualClock
) -> None:
    good = service.create(
        name="stored", type="scheduled", status="active", source=SOURCE, cron_expression="@daily"
    )
    broken = evolve(good, cron_expression="*/5 * * * * *")  # six fields, written directly
    assert service.repository.save_script(broken, expected_version=good.version)
    scheduler = scheduler_for(service, clock=clock)
    clock.advance(timedelta(days=2))
    assert scheduler.run_due() == []
    assert scheduler.run_due() == []
    assert service.next_runs(good.id) == []


def test_schedulers_sharing_a_store_run_a_tick_once(
    service: ScriptService, clock: ManualClock
) -> None:
    script_id = scheduled(service)
    first = scheduler_for(service, clock=clock, owner="first")
    second = Scheduler(service, first.store, clock=clock, owner="second")
    clock.set(NOON)
    barrier = threading.Barrier(2)
    found: list[Execution] = []

    def run(scheduler: Scheduler) -> None:
        barrier.wait()
        found.extend(scheduler.run_due())

    threads = [threading.Thread(target=run, args=(s,)) for s in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(found) == 1
    assert ticks(service, script_id) == ["2026-05-01T11:59:00Z"]  # 11:59 and 12:00, run once


class Gate:
    """``sdk.http`` whose requests wait until the test opens them, one by one; it records when
    each request came in and went out."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.log: list[tuple[str, int]] = []
        self.entered: list[threading.Event] = [threading.Event() for _ in range(10)]
        self.opened: list[threading.Event] = [threading.Event() for _ in range(10)]

    def request(
        self, method: str, url: str, body: Any = None, options: Mapping[str, Any] | None = None
    ) -> Any:
        with self.lock:
            number = sum(1 for kind, _ in self.log if kind == "in")
            self.log.append(("in", number))
        self.entered[number].set()
        assert self.opened[number].wait(120), "the test never let the request answer"
        with self.lock:
            self.log.append(("out", number))
        return {"status": 200, "headers": {}, "body": number}

    @property
    def calls(self) -> int:
        with self.lock:
            return sum(1 for kind, _ in self.log if kind == "in")


@pytest.fixture
def gated(repository: ScriptRepository, clock: ManualClock) -> Iterator[tuple[ScriptService, Gate]]:
    gate = Gate()
    service = ScriptService(
        repository, QuickJsRunner(), default_tenant="acme", clock=clock, http=gate
    )
    yield service, gate
    service.close()


def test_a_run_longer_than_the_lease_never_overlaps_the_next(
    gated: tuple[ScriptService, Gate], clock: ManualClock
) -> None:
    service, gate = gated
    script_id = scheduled(
        service,
        source="return (await sdk.http.get('https://example.com/')).body;",
        limits={"max_execution_time_ms": 300_000},
    )
    lease = timedelta(seconds=30)
    options: dict[str, Any] = {"clock": clock, "lease": lease, "poll_interval": 0.02}
    first = scheduler_for(service, owner="first", renew_interval=0.02, **options)
    second = Scheduler(service, first.store, owner="second", renew_interval=0.02, **options)
    clock.set(NOON)
    for scheduler in (first, second):
        scheduler.start()
    try:
        assert gate.entered[0].wait(60), "the first run never started"
        # The run lasts ten leases of clock time. The clock moves a third of a lease at a time,
        # and the next step waits until the runner renewed its lease for the new time; both
        # schedulers keep passing all along and find the script leased.
        for _ in range(30):
            now = clock.advance(lease / 3)
            wait_for(_renewed(first, script_id, until=now + lease))
            assert gate.calls == 1
        gate.opened[0].set()
        # The ticks that fell due during the run are run once, after it.
        assert gate.entered[1].wait(60), "the missed ticks never ran"
        gate.opened[1].set()
        wait_for(lambda: sum(e.finished for e in history(service, script_id)) == 2)
    finally:
        for gate_open in gate.opened:
            gate_open.set()
        for scheduler in (first, second):
            scheduler.stop()
    assert gate.log[:4] == [("in", 0), ("out", 0), ("in", 1), ("out", 1)]
    runs = history(service, script_id)[:2]
    assert [run.status for run in runs] == ["completed", "completed"]
    assert [run.output for run in runs] == [0, 1]
    earlier, later = runs
    assert earlier.completed_at is not None
    assert later.started_at is not None
    assert earlier.completed_at <= later.started_at
    assert ticks(service, script_id)[:2] == ["2026-05-01T11:59:00Z", "2026-05-01T12:01:00Z"]


def _renewed(scheduler: Scheduler, script_id: str, until: datetime) -> Callable[[], bool]:
    """Whether the script's row is leased until ``until`` or later."""

    def renewed() -> bool:
        [state] = [s for s in scheduler.store.states() if s.script_id == script_id]
        return state.lease_expires is not None and state.lease_expires >= until

    return renewed
