"""A deleted event script leaves no checkpoint and no dead letter behind, even when a refresh of
the triggers that read the active scripts just before the delete acts on it after (as another
process's refresh may), on memory, SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any, cast

import pytest

from esruntime.backends.memory import InMemoryEventStore
from esruntime.backends.sql import SqlEventStore
from esruntime.backends.sql.consumers import SqlConsumerStore
from esruntime.consumers import ConsumerStore, InMemoryConsumerStore, RetryPolicy
from esruntime.events import Event
from esruntime.protocols import EventStore, ScriptRepository
from esruntime.scripts.engines import QuickJsRunner
from esruntime.scripts.models import Script
from esruntime.scripts.service import ScriptService
from esruntime.triggers import EventTriggerOptions, EventTriggers
from tests.triggers.helpers import wait_for

OPTIONS = EventTriggerOptions(
    retry=RetryPolicy(retries=0),
    lease_ttl=10.0,
    refresh_interval=3600.0,  # only the refreshes this test makes
    claim_jitter=0.0,
)
STALE = "stale-refresh"


class PausingRepository:
    """The real repository; a thread named ``stale-refresh`` pauses after it read the active
    scripts, until the test lets it go on."""

    def __init__(self, inner: ScriptRepository) -> None:
        self._inner = inner
        self.read = threading.Event()
        self.go_on = threading.Event()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def active_scripts(self, script_type: Any) -> list[Script]:
        found = self._inner.active_scripts(script_type)
        if threading.current_thread().name == STALE:
            self.read.set()
            assert self.go_on.wait(60)
        return found


Parts = tuple[ScriptService, EventTriggers, ConsumerStore, Callable[[str], EventStore]]


@pytest.fixture
def parts(repository: ScriptRepository) -> Iterator[Parts]:
    engine = getattr(repository, "engine", None)
    stores: dict[str, EventStore] = {}
    consumers: ConsumerStore = (
        InMemoryConsumerStore() if engine is None else SqlConsumerStore(engine)
    )

    def store(tenant: str) -> EventStore:
        if tenant not in stores:
            stores[tenant] = (
                InMemoryEventStore(tenant) if engine is None else SqlEventStore(engine, tenant)
            )
        return stores[tenant]

    paused = cast(ScriptRepository, PausingRepository(repository))
    service = ScriptService(
        paused, QuickJsRunner(), default_tenant="acme", consumers=consumers, event_store=store
    )
    triggers = EventTriggers(service, store, consumers, options=OPTIONS)
    triggers.start()
    yield service, triggers, consumers, store
    triggers.stop()
    service.close()


def test_a_refresh_that_read_the_script_before_its_delete_brings_nothing_back(
    parts: Parts,
) -> None:
    service, triggers, consumers, store = parts
    script = service.create(
        name="failing",
        type="event",
        status="active",
        event_types=["order.created"],
        source="throw new Error('no');",
    )
    name = f"script:{script.id}"
    store("acme").append(Event("order.created", {"n": 0}))
    wait_for(lambda: service.dead_letters(script_id=script.id).total == 1)

    repository = cast(PausingRepository, service.repository)
    failures: list[BaseException] = []

    def refresh() -> None:
        try:
            triggers.refresh()
        except BaseException as exc:
            failures.append(exc)

    stale = threading.Thread(target=refresh, name=STALE)
    stale.start()
    try:
        assert repository.read.wait(60)  # it saw the script active
        service.delete(script.id)  # stops the consumer, removes its place and dead letters
        assert consumers.checkpoint("acme", name) is None
    finally:
        repository.go_on.set()
        stale.join(60)
    assert not stale.is_alive()
    assert failures == []
    assert consumers.checkpoint("acme", name) is None
    assert triggers.consumers == []
    triggers.stop()  # every consumer has ended: nothing can write any more
    assert consumers.checkpoint("acme", name) is None
    assert consumers.dead_letters("acme") == ([], 0)
