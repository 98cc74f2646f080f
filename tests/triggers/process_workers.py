"""What the child processes of test_event_processes.py run (importable under ``spawn``)."""

from __future__ import annotations

import os
import time
import traceback
from typing import Any

from esruntime.consumers import RetryPolicy
from esruntime.runtime import Runtime
from esruntime.triggers import EventTriggerOptions

WAIT_SECONDS = 120.0

OPTIONS = EventTriggerOptions(
    retry=RetryPolicy(first_delay=0.01),
    lease_ttl=3.0,
    refresh_interval=0.5,
    claim_jitter=1.0,
)
"""Short leases, so that a killed process's scripts are taken over within seconds."""


def run_triggers(url: str, go: Any, stop: str, out: Any) -> None:
    """Run the event triggers of the database at ``url`` from ``go`` until the file ``stop``
    exists; report how many events each consumer this process ran handled. (A file, not a
    multiprocessing event: a child killed while waiting on one leaves it unusable.)"""
    try:
        runtime = Runtime.from_url(url, event_triggers=OPTIONS)
        runtime.scripts.list()  # open the services before the start signal
        out.put(("ready", os.getpid(), None))
        go.wait(WAIT_SECONDS)
        runtime.start()
        deadline = time.monotonic() + WAIT_SECONDS
        while not os.path.exists(stop) and time.monotonic() < deadline:
            time.sleep(0.1)
        handled: dict[str, int] = {}
        for worker in runtime.workers:
            for consumer in getattr(worker, "consumers", []):
                handled[consumer.name] = handled.get(consumer.name, 0) + consumer.handled
        runtime.close()
        out.put(("done", os.getpid(), handled))
    except Exception:
        out.put(("error", os.getpid(), traceback.format_exc()))
