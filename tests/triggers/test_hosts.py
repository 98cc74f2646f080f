"""The triggers start and stop with their host: a FastAPI app's lifespan under uvicorn, and
``esruntime serve``."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI

from esruntime import SqlEventStore
from esruntime.contrib.fastapi import create_app, install
from esruntime.errors import ConfigurationError
from esruntime.events import Event
from esruntime.runtime import Runtime
from esruntime.triggers.schedule import Scheduler, SchedulerOptions
from tests.cli.processes import serve
from tests.triggers.helpers import FAST, wait_for

ECHO = "return context.trigger.eventPayload;"


@contextmanager
def serving(app: Any) -> Iterator[None]:
    """``app`` under uvicorn on a real socket, its lifespan on."""
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        thread.join(0.01)
        assert thread.is_alive(), "uvicorn did not start"
    yield
    server.should_exit = True
    thread.join()


def watcher(runtime: Runtime) -> str:
    return runtime.scripts.create(
        name="watcher", type="event", status="active", event_types=["order.created"], source=ECHO
    ).id


def test_a_fastapi_apps_lifespan_runs_the_triggers(tmp_path: Path) -> None:
    with Runtime.from_url(f"sqlite:///{tmp_path}/app.db", event_triggers=FAST) as runtime:
        script_id = watcher(runtime)
        with serving(create_app(runtime)):
            assert {type(worker).__name__ for worker in runtime.workers} == {
                "EventTriggers",
                "Scheduler",
            }
            runtime.tenant().store.append(Event("order.created", {"id": 1}))
            wait_for(lambda: runtime.scripts.executions(script_id).total == 1)
        assert runtime.workers == []
        runtime.tenant().store.append(Event("order.created", {"id": 2}))
        assert runtime.scripts.executions(script_id).total == 1


def test_a_host_may_run_the_workers_itself(tmp_path: Path) -> None:
    with Runtime.from_url(f"sqlite:///{tmp_path}/app.db", event_triggers=FAST) as runtime:
        app = FastAPI()
        install(app, runtime, start_workers=False)
        with serving(app):
            assert runtime.workers == []


@pytest.mark.slow
def test_esruntime_serve_runs_the_triggers(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/esruntime.db"
    with Runtime.from_url(url) as runtime:
        script_id = watcher(runtime)
    served = serve(cwd=tmp_path)
    try:
        store = SqlEventStore(url)
        with Runtime.from_url(url) as runtime:
            # The server sets the script's place when its triggers start: wait for that.
            name = f"script:{script_id}"
            wait_for(lambda: runtime.consumer_store.checkpoint("default", name) is not None)
            store.append(Event("order.created", {"id": 7}))
            (run,) = wait_for(lambda: runtime.scripts.executions(script_id).items)
            wait_for(lambda: runtime.scripts.execution(run.id).finished)
            assert runtime.scripts.execution(run.id).output == {"id": 7}
        store.close()
    finally:
        assert served.stop() == 130
    assert "Traceback" not in served.errors


def test_a_started_runtime_runs_its_scheduled_scripts(tmp_path: Path) -> None:
    with Runtime.from_url(f"sqlite:///{tmp_path}/app.db", event_triggers=FAST) as runtime:
        tick = runtime.scripts.create(
            name="tick",
            type="scheduled",
            status="active",
            cron_expression="* * * * *",
            source="return context.trigger.type;",
        )
        runtime.start()
        [scheduler] = [w for w in runtime.workers if isinstance(w, Scheduler)]
        # The next tick, run now by the runtime's own scheduler (its thread waits for the clock).
        [execution] = scheduler.run_due(now=datetime.now(UTC) + timedelta(minutes=1))
        assert (execution.script_id, execution.output) == (tick.id, "cron")
        runtime.stop()
        assert runtime.workers == []


def test_the_runtimes_scheduler_takes_its_options() -> None:
    options = SchedulerOptions(poll_interval=0.5, lease_ttl=12, renew_interval=2, max_workers=2)
    with Runtime(scheduler=options) as runtime:
        runtime.start()
        [scheduler] = [w for w in runtime.workers if isinstance(w, Scheduler)]
        assert scheduler.poll_interval == 0.5
        assert scheduler.lease == timedelta(seconds=12)
        assert scheduler.renew_interval == 2
        assert scheduler.max_workers == 2
    with Runtime() as runtime:  # the defaults
        runtime.start()
        [scheduler] = [w for w in runtime.workers if isinstance(w, Scheduler)]
        assert scheduler.poll_interval == 5.0
        assert scheduler.lease == timedelta(seconds=30)
        assert scheduler.renew_interval == 10
        assert scheduler.max_workers == 4


def test_scheduler_options_of_another_kind_are_refused() -> None:
    with pytest.raises(ConfigurationError, match="SchedulerOptions"):
        Runtime(scheduler={"poll_interval": 1})  # type: ignore[arg-type]
