"""Event triggers: every ``active`` event script runs once per matching event of its tenant.

Each script has its own durable consumer (named ``script:<id>``, see :mod:`esruntime.consumers`),
so a script that keeps failing holds up nobody else: its events are retried with backoff and
then kept as dead letters while the others go on. The consumers follow the tenant's store in
order, whoever appended (commands' handlers, ``events.publish``, the host), and record each run
in the script's execution history with ``context.trigger = {type: "event", eventType,
eventPayload}``. A script starts with the events appended after its triggers first saw it
active (at once in the process that saved it, within ``refresh_interval`` elsewhere); a paused
script keeps its place and catches up when it is active again.

Each run records its event's id, and an event handed over again whose run completed (the
process died between recording the run and moving the checkpoint) is not run again
(:meth:`ScriptService.run_for_event`): every event completes once. Only a run cut short before
it was recorded as completed starts again.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from typing import Protocol

from attrs import field, frozen

from esruntime.consumers.worker import Consumer, Halt, RetryPolicy
from esruntime.errors import EsruntimeError, ScriptStateError
from esruntime.events import Query, QueryItem, SequencedEvent
from esruntime.protocols import EventStore
from esruntime.protocols.consumers import SCRIPT_CONSUMER_PREFIX, ConsumerStore
from esruntime.scripts.models import Execution, Script
from esruntime.scripts.service import ScriptService

__all__ = ["EventScriptFailed", "EventTriggerOptions", "EventTriggers"]

logger = logging.getLogger("esruntime.triggers")


def _positive(_: object, attribute: object, value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 3600:
        raise ValueError(f"{getattr(attribute, 'name', 'value')} must be between 0 and 3600")


def _not_negative(_: object, attribute: object, value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 3600:
        raise ValueError(f"{getattr(attribute, 'name', 'value')} must be between 0 and 3600")


@frozen
class EventTriggerOptions:
    """How event triggers run (seconds throughout).

    ``retry``: the retries of a failing run before its event becomes a dead letter (3, after
    2, 4 and 8 s). ``lease_ttl``: how long another process waits for a silent owner of a
    script's consumer. ``refresh_interval``: how often the active scripts are looked up (scripts
    saved through this process's service are seen at once). ``claim_jitter``: a random wait of
    up to this long before taking a script's lease, which spreads scripts over processes started
    together. ``fallback_poll``: on PostgreSQL, how often to look for new events while
    ``LISTEN/NOTIFY`` announces them (``listen=False`` turns that off).
    """

    retry: RetryPolicy = field(factory=RetryPolicy)
    lease_ttl: float = field(default=30.0, validator=_positive)
    refresh_interval: float = field(default=2.0, validator=_positive)
    claim_jitter: float = field(default=0.5, validator=_not_negative)
    listen: bool = True
    fallback_poll: float = field(default=1.0, validator=_positive)


class Listener(Protocol):
    """Wakes the stores' subscribers when another process appends (e.g. PostgreSQL's NOTIFY)."""

    def start(self) -> None: ...

    def stop(self, timeout: float | None = None) -> None: ...


class EventScriptFailed(EsruntimeError):
    """A triggered run did not complete (it is retried, then kept as a dead letter)."""

    def __init__(self, execution: Execution) -> None:
        failure = execution.error.describe() if execution.error else execution.status
        super().__init__(f"execution {execution.id} {execution.status}: {failure}")
        self.execution = execution


class EventTriggers:
    """The consumers of every tenant's active event scripts, in this process.

    ``stores(tenant)`` gives a tenant's event store; ``listener``, started and stopped with the
    triggers, lets other processes' appends wake the consumers (on PostgreSQL the runtime
    passes one listening to ``NOTIFY``).
    """

    def __init__(
        self,
        scripts: ScriptService,
        stores: Callable[[str], EventStore],
        consumers: ConsumerStore,
        *,
        options: EventTriggerOptions | None = None,
        listener: Listener | None = None,
    ) -> None:
        self._scripts = scripts
        self._stores = stores
        self._consumers = consumers
        self.options = options or EventTriggerOptions()
        self.owner = f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._running: dict[tuple[str, str], tuple[Consumer, tuple[str, ...]]] = {}
        self._retired: list[Consumer] = []
        self._lock = threading.RLock()
        self._stopping = threading.Event()
        self._started = False
        self._thread: threading.Thread | None = None
        self._listener = listener

    @property
    def consumers(self) -> list[Consumer]:
        """The consumers running in this process, one per active event script."""
        with self._lock:
            return [consumer for consumer, _ in self._running.values()]

    def start(self) -> None:
        with self._lock:
            if self._started:
                return
            self._started = True
        if self._listener is not None:
            self._listener.start()
        self._scripts.add_listener(self._on_change)
        self.refresh()
        self._thread = threading.Thread(target=self._refresh_loop, name="esruntime-event-triggers")
        self._thread.daemon = True
        self._thread.start()

    def stop(self, timeout: float | None = None) -> None:
        """Stop every consumer after the run in progress is recorded."""
        self._stopping.set()
        self._scripts.remove_listener(self._on_change)
        if self._thread is not None:
            self._thread.join(timeout)
        with self._lock:
            consumers = [c for c, _ in self._running.values()] + self._retired
            self._running.clear()
            self._retired.clear()
        for consumer in consumers:
            consumer.stop(timeout=0)
        for consumer in consumers:
            consumer.stop(timeout)
        if self._listener is not None:
            self._listener.stop(timeout)

    def _refresh_loop(self) -> None:
        while not self._stopping.wait(self.options.refresh_interval):
            try:
                self.refresh()
            except Exception:
                logger.exception("looking up the active event scripts failed")

    def _on_change(self, tenant: str, script_id: str) -> None:
        if not self._stopping.is_set():
            self.refresh()

    def refresh(self) -> None:
        """Start the consumers of scripts that became active, stop those of the others."""
        wanted = {
            (script.tenant, script.id): script
            for script in self._scripts.repository.active_scripts("event")
            if script.event_types
        }
        with self._lock:
            if self._stopping.is_set():
                return
            for key, (consumer, types) in list(self._running.items()):
                script = wanted.get(key)
                if script is None or script.event_types != types or not consumer.alive:
                    consumer.stop(timeout=0)  # it finishes its run, then gives its lease up
                    self._retired.append(consumer)
                    del self._running[key]
            self._retired = [c for c in self._retired if c.alive]
            for key, script in wanted.items():
                if key not in self._running:
                    name = SCRIPT_CONSUMER_PREFIX + script.id
                    before = [
                        c for c in self._retired if c.tenant == script.tenant and c.name == name
                    ]
                    started = self._consumer(script, before[-1] if before else None)
                    if started is not None:
                        self._running[key] = (started, script.event_types)

    def _consumer(self, script: Script, predecessor: Consumer | None) -> Consumer | None:
        """Start the script's consumer; None when the script was deleted meanwhile."""
        store = self._stores(script.tenant)
        name = SCRIPT_CONSUMER_PREFIX + script.id
        # The script's place is set now, so it sees every event appended from here on.
        self._consumers.ensure(script.tenant, name, store.head() or 0)
        # ``wanted`` may predate a delete that already removed the place (here or in another
        # process): a delete after this look-up removes the place itself, one before it is
        # undone here. The consumer never creates its place again, so it stays gone.
        if self._scripts.repository.get_script(script.tenant, script.id) is None:
            self._consumers.delete(script.tenant, name)
            return None
        consumer = Consumer(
            name,
            store,
            self._consumers,
            self._handler(script.tenant, script.id),
            owner=f"{self.owner}:{uuid.uuid4().hex[:8]}",
            query=Query.of(QueryItem(types=script.event_types)),
            retry=self.options.retry,
            lease_ttl=self.options.lease_ttl,
            claim_jitter=self.options.claim_jitter,
            predecessor=predecessor,
            create=False,
        )
        consumer.start()
        return consumer

    def _handler(self, tenant: str, script_id: str) -> Callable[[SequencedEvent], None]:
        repository = self._scripts.repository

        def handle(event: SequencedEvent) -> None:
            script = repository.get_script(tenant, script_id)
            if script is None or script.status != "active" or script.type != "event":
                raise Halt  # it stopped being an active event script: keep the event for later
            if event.type not in script.event_types:
                return
            try:
                execution = self._scripts.run_for_event(script, event)
            except ScriptStateError:
                raise Halt from None
            if execution.status != "completed":
                raise EventScriptFailed(execution)

        return handle
