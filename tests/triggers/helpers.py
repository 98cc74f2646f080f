"""What the trigger tests share: fast options, waiting on conditions, reading executions."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

from esruntime.backends.memory import MemoryBackend
from esruntime.backends.sql import SqlBackend
from esruntime.consumers import RetryPolicy
from esruntime.runtime import Runtime
from esruntime.scripts.models import Execution
from esruntime.scripts.service import ScriptService
from esruntime.triggers import EventTriggerOptions
from esruntime.triggers.schedule import Scheduler

T = TypeVar("T")

FAST = EventTriggerOptions(
    retry=RetryPolicy(retries=3, first_delay=0.01, factor=2.0),
    lease_ttl=10.0,
    refresh_interval=0.2,
    claim_jitter=0.0,
)
"""Triggers that retry within milliseconds, for tests (the defaults wait 2, 4 and 8 s)."""


def wait_for(condition: Callable[[], T | None], limit: float = 60.0, interval: float = 0.02) -> T:
    """Poll ``condition`` until it returns something true; fail after ``limit`` seconds."""
    deadline = time.monotonic() + limit
    while True:
        value = condition()
        if value:
            return value
        assert time.monotonic() < deadline, f"still not true after {limit} s"
        time.sleep(interval)


def all_executions(runtime: Runtime, script_id: str, tenant: str | None = None) -> list[Execution]:
    """Every execution of a script, oldest first, read in one query (pages read one after the
    other could see a run recorded in between twice)."""
    tenant = tenant or runtime.default_tenant
    runs, _ = runtime.scripts.repository.list_executions(tenant, script_id, limit=1_000_000)
    return runs[::-1]


def scheduler_for(service: ScriptService, **options: Any) -> Scheduler:
    """A scheduler keeping its rows next to the service's scripts: in their SQL database, or in
    memory."""
    engine = getattr(service.repository, "engine", None)
    backend = MemoryBackend() if engine is None else SqlBackend(engine, create_tables=False)
    return Scheduler(service, backend.schedule_store(), **options)
