"""The scheduler: runs every ``active`` ``scheduled`` script at the ticks of its cron schedule.

::

    scheduler = Scheduler(runtime.scripts, runtime.backend.schedule_store())
    scheduler.start()   # a background thread; scheduler.stop() ends it (runtime.start() does this)
    scheduler.run_due() # or one pass, now, in the calling thread

Each pass reads the scheduled scripts and brings their rows in the :class:`ScheduleStore` up to
date: a script seen for the first time, given a new expression or time zone, or made active
again gets ``next_due`` = its first tick after the script's ``updated_at``; a paused, draft or
disabled script keeps no due time; a deleted one loses its row. Then it claims the due rows
(a lease in the database: exactly one process gets each) and runs each claimed script once
through the script service, with ``context.trigger = {type: "cron", cronExpression}`` and
``context.input = {scheduledAt}`` (the tick, ISO 8601 UTC), recorded in the execution history.

- Ticks missed while nothing ran (downtime, or a run longer than the interval) run once: the
  run covers every tick up to its claim, and the next due time is the first tick after it.
- One script's runs never overlap: its row stays leased while it runs (renewed every
  ``renew_interval`` seconds), and only a row without a live lease can be claimed.
- A process that dies mid-run leaves its lease to lapse; the next process to claim the row
  marks the dead run's execution ``failed`` (``InterruptedError``) and runs the same tick again.
  So every tick ends with one completed attempt, after at most one interrupted attempt per
  process lost; what an interrupted attempt did before it died (an HTTP call, an event) is not
  undone.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from attrs import evolve, frozen

from esruntime.errors import EsruntimeError, ScriptNotFoundError
from esruntime.protocols.schedules import (
    Reset,
    ScheduleState,
    ScheduleStore,
)
from esruntime.scripts.models import Execution, ExecutionFailure, Script, Trigger
from esruntime.scripts.service import ScriptService
from esruntime.triggers.cron import Clock, CronError, CronSchedule, utc_now

__all__ = ["Scheduler", "SchedulerOptions", "schedule_key"]

logger = logging.getLogger("esruntime.triggers")

INTERRUPTED = "InterruptedError"


def schedule_key(script: Script) -> str:
    """What a script's row is computed for: expression and time zone, or ``""`` when the
    script is not an active scheduled script (it then has no due time)."""
    if script.type != "scheduled" or script.status != "active" or not script.cron_expression:
        return ""
    return f"{script.cron_expression}\t{script.timezone}"


@frozen
class SchedulerOptions:
    """How the scheduler a runtime starts runs (``Runtime(..., scheduler=SchedulerOptions())``),
    in seconds like :class:`~esruntime.triggers.EventTriggerOptions`.

    ``poll_interval``: between passes (how late a run may start after its tick);
    ``lease_ttl``: how long a claim on a due script holds without renewal (a process that died
    mid-run is taken over after it); ``renew_interval``: between renewals of the leases of the
    scripts running (a third of ``lease_ttl`` when None); ``max_workers``: how many scripts run
    at once. Out-of-range values raise ValueError naming each option.
    """

    poll_interval: float = 5.0
    lease_ttl: float = 30.0
    renew_interval: float | None = None
    max_workers: int = 4

    def __attrs_post_init__(self) -> None:
        ttl = self.lease_ttl
        if isinstance(ttl, bool) or not isinstance(ttl, int | float) or not 1 <= ttl <= 86400:
            raise ValueError("lease_ttl must be a number of seconds between 1 and 86400")
        _check_options(self.lease, self.poll_interval, self.renew_interval, self.max_workers, None)

    @property
    def lease(self) -> timedelta:
        return timedelta(seconds=self.lease_ttl)

    def scheduler(self, service: ScriptService, store: ScheduleStore) -> Scheduler:
        """A scheduler of ``service``'s scripts with these options, keeping its rows in
        ``store``."""
        return Scheduler(
            service,
            store,
            lease=self.lease,
            poll_interval=self.poll_interval,
            renew_interval=self.renew_interval,
            max_workers=self.max_workers,
        )


class Scheduler:
    """Runs due scheduled scripts (see the module docstring).

    ``clock`` gives the time ticks are compared with (aware datetimes; tests pass their own);
    ``owner`` names this process in leases (host, pid and a random part by default);
    ``lease`` is how long a claim holds without renewal, in ``clock`` time; ``poll_interval``
    and ``renew_interval`` are real seconds between passes and between lease renewals;
    ``max_workers`` is how many scripts run at once in the background thread's pool.
    """

    def __init__(
        self,
        service: ScriptService,
        store: ScheduleStore,
        *,
        clock: Clock = utc_now,
        owner: str | None = None,
        lease: timedelta = timedelta(seconds=30),
        poll_interval: float = 5.0,
        renew_interval: float | None = None,
        max_workers: int = 4,
    ) -> None:
        _check_options(lease, poll_interval, renew_interval, max_workers, owner)
        self.service = service
        self.store = store
        self.clock = clock
        default_owner = f"{socket.gethostname()[:100]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.owner = owner or default_owner
        self.lease = lease
        self.poll_interval = poll_interval
        self.renew_interval = (
            lease.total_seconds() / 3 if renew_interval is None else renew_interval
        )
        self.max_workers = max_workers
        self._lock = threading.Lock()
        self._running: set[str] = set()
        self._warned: set[str] = set()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._pool: ThreadPoolExecutor | None = None

    # -- one pass --------------------------------------------------------------------------------

    def run_due(self, now: datetime | None = None) -> list[Execution]:
        """Bring the rows up to date and run, in this thread, every script due at ``now`` (the
        clock's time by default); the executions of the runs."""
        now = self.clock() if now is None else now
        if not isinstance(now, datetime) or now.tzinfo is None:
            raise ValueError(f"now must be an aware datetime, got {now!r}"[:200])
        self.sync(now)
        return [
            execution
            for claimed in self.store.claim(now, self.owner, now + self.lease, limit=1000)
            if (execution := self._run(claimed, now)) is not None
        ]

    def sync(self, now: datetime) -> None:
        """Bring the rows in line with the scripts: new, changed, paused and deleted ones."""
        scripts = self.service.repository.scripts_of_type("scheduled")
        rows = {state.script_id: state for state in self.store.states()}
        changes: list[Reset] = []
        for script in scripts:
            key = schedule_key(script)
            row = rows.get(script.id)
            if row is not None and row.schedule == key:
                continue
            next_due = None
            if key:
                try:
                    schedule = CronSchedule.parse(script.cron_expression, script.timezone)
                    next_due = schedule.next_after(script.updated_at or now)
                except CronError as exc:
                    if script.id not in self._warned:
                        self._warned.add(script.id)
                        logger.warning("scheduled script %s never runs: %s", script.id, exc)
                    key = ""
            if row is None or row.schedule != key:
                changes.append((script.tenant, script.id, key, next_due))
        self.store.reset_all(changes)
        gone = set(rows) - {script.id for script in scripts}
        self.store.remove(gone)

    def _run(self, claimed: ScheduleState, now: datetime) -> Execution | None:
        """Run one claimed script once, then release its row with its next due time."""
        if not self._register(claimed.script_id):
            return None
        return self._run_registered(claimed, now)

    def _register(self, script_id: str) -> bool:
        """Mark a script as running here; False when this process runs it already (a lease
        that lapsed under a slow renewal): that run releases the row."""
        with self._lock:
            if script_id in self._running:
                return False
            self._running.add(script_id)
            return True

    def _run_registered(self, claimed: ScheduleState, now: datetime) -> Execution | None:
        try:
            return self._run_claimed(claimed, now)
        finally:
            with self._lock:
                self._running.discard(claimed.script_id)

    def _run_claimed(self, claimed: ScheduleState, now: datetime) -> Execution | None:
        try:
            script = self.service.get(claimed.script_id, tenant=claimed.tenant)
        except ScriptNotFoundError:
            self.store.remove([claimed.script_id])
            return None
        key = schedule_key(script)
        tick = claimed.running_tick or claimed.next_due or now
        if key != claimed.schedule or not key:
            # Changed since the row was computed: the next pass recomputes it.
            self.store.finish(
                script.id, self.owner, schedule=claimed.schedule, next_due=now, tick=None
            )
            return None
        schedule = CronSchedule.parse(script.cron_expression, script.timezone)
        if claimed.running_tick is not None:
            self._mark_interrupted(script, claimed)
        execution = None
        try:
            execution = self.service.execute(
                script.id,
                {"scheduledAt": _iso(tick)},
                tenant=script.tenant,
                trigger=Trigger.cron(schedule.expression),
            )
        except EsruntimeError as exc:
            logger.warning("scheduled script %s did not run: %s", script.id, exc)
        if not self.store.finish(
            script.id, self.owner, schedule=key, next_due=schedule.next_after(now), tick=tick
        ):
            logger.warning(
                "scheduled script %s: the lease lapsed during its run (another process may "
                "have run the tick of %s again)",
                script.id,
                tick.isoformat(),
            )
        return execution

    def _mark_interrupted(self, script: Script, claimed: ScheduleState) -> None:
        """Record the run of a process that died holding the lease as failed: the execution
        of this tick still pending or running."""
        assert claimed.running_tick is not None
        tick = _iso(claimed.running_tick)
        found: list[Execution] = []
        for status in ("running", "pending"):
            found += self.service.repository.list_executions(
                script.tenant, script.id, status=status, limit=100
            )[0]
        for execution in found:
            scheduled = (
                execution.input.get("scheduledAt") if isinstance(execution.input, dict) else None
            )
            if execution.trigger.type != "cron" or scheduled != tick:
                continue
            self.service.repository.save_execution(
                evolve(
                    execution,
                    status="failed",
                    error=ExecutionFailure(
                        INTERRUPTED,
                        f"The process running this scheduled run ({claimed.lease_owner}) "
                        "stopped; the tick was run again",
                    ),
                    completed_at=utc_now(),
                )
            )

    # -- the background thread -------------------------------------------------------------------

    def start(self) -> None:
        """Run passes every ``poll_interval`` seconds in a background thread until :meth:`stop`."""
        with self._lock:
            if self._thread is not None:
                return
            self._stop.clear()
            self._pool = ThreadPoolExecutor(self.max_workers, thread_name_prefix="esr-cron-run")
            self._thread = threading.Thread(target=self._loop, name="esr-scheduler", daemon=True)
            self._thread.start()

    def stop(self, timeout: float | None = 60.0) -> None:
        """Stop passing and wait (``timeout`` seconds) for the runs in progress to end."""
        with self._lock:
            thread, pool = self._thread, self._pool
            self._thread = self._pool = None
        if thread is None:
            return
        self._stop.set()
        thread.join(timeout)
        if pool is not None:
            pool.shutdown(wait=True)

    def _loop(self) -> None:
        last_renewal = 0.0
        next_pass = 0.0
        while not self._stop.is_set():
            clock = time.monotonic()
            if clock >= next_pass:
                next_pass = clock + self.poll_interval
                try:
                    self._pass()
                except Exception:
                    logger.exception("a scheduler pass failed; the next one retries")
            if clock - last_renewal >= self.renew_interval:
                last_renewal = clock
                try:
                    self._renew()
                except Exception:
                    logger.exception("renewing the scheduler's leases failed")
            wait = min(next_pass, last_renewal + self.renew_interval) - time.monotonic()
            self._stop.wait(max(0.0, wait))

    def _pass(self) -> None:
        now = self.clock()
        self.sync(now)
        with self._lock:
            free = self.max_workers - len(self._running)
            pool = self._pool
        if free <= 0 or pool is None:
            return
        for claimed in self.store.claim(now, self.owner, now + self.lease, limit=free):
            if self._register(claimed.script_id):
                pool.submit(self._run_logged, claimed, now)

    def _run_logged(self, claimed: ScheduleState, now: datetime) -> None:
        try:
            self._run_registered(claimed, now)
        except Exception:
            logger.exception("running scheduled script %s failed", claimed.script_id)

    def _renew(self) -> None:
        with self._lock:
            running = set(self._running)
        if running:
            held = self.store.renew(self.owner, running, self.clock() + self.lease)
            for lost in running - held:
                logger.warning("scheduled script %s: this process lost its lease", lost)


def _check_options(
    lease: object,
    poll_interval: object,
    renew_interval: object,
    max_workers: object,
    owner: object,
) -> None:
    """ValueError naming every option out of its range."""
    problems = []
    if not isinstance(lease, timedelta) or not timedelta(seconds=1) <= lease <= timedelta(days=1):
        problems.append("lease must be a timedelta between 1 second and 1 day")
    for name, value in (("poll_interval", poll_interval), ("renew_interval", renew_interval)):
        if value is None and name == "renew_interval":
            continue
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 3600:
            problems.append(f"{name} must be a number of seconds above 0 and at most 3600")
    if (
        isinstance(max_workers, bool)
        or not isinstance(max_workers, int)
        or not 1 <= max_workers <= 64
    ):
        problems.append("max_workers must be an integer between 1 and 64")
    if owner is not None and (
        not isinstance(owner, str) or not 0 < len(owner) <= 200 or not owner.isprintable()
    ):
        problems.append("owner must be 1 to 200 printable characters")
    if problems:
        raise ValueError("; ".join(problems))


def _iso(moment: datetime) -> str:
    """``2026-05-01T12:00:00Z``: a tick as scripts see it in ``context.input.scheduledAt``."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
