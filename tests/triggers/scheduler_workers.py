"""What the child processes of test_scheduler_processes.py run (importable under
``spawn``): a scheduler on a shared database, with a clock shared by every process (wall
time, sped up)."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any

from esruntime.backends.sql.scripts import SqlScriptRepository
from esruntime.scripts.engines import QuickJsRunner
from esruntime.scripts.service import ScriptService
from tests.triggers.helpers import scheduler_for


class SharedClock:
    """``start`` at wall time ``origin``, then ``speed`` clock seconds per real second; every
    process built with the same values tells the same time."""

    def __init__(self, start: datetime, origin: float, speed: float) -> None:
        self.start, self.origin, self.speed = start, origin, speed

    def __call__(self) -> datetime:
        return self.start + timedelta(seconds=(time.time() - self.origin) * self.speed)


def run_scheduler(url: str, clock: SharedClock, lease_s: float, ready: Any, stop: Any) -> None:
    """Run a scheduler until ``stop`` is set (or the process is killed)."""
    repository = SqlScriptRepository(url, create_tables=False)
    service = ScriptService(repository, QuickJsRunner(), clock=clock)
    scheduler = scheduler_for(
        service,
        clock=clock,
        poll_interval=0.05,
        lease=timedelta(seconds=lease_s * clock.speed),
        renew_interval=lease_s / 5,
    )
    scheduler.start()
    ready.set()
    stop.wait()
    scheduler.stop()
    service.close()
    repository.engine.dispose()
