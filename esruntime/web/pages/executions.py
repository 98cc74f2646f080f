"""Running a script from its page and its execution history (rows polled while one runs)."""

from __future__ import annotations

import concurrent.futures
import json
import uuid
import zoneinfo
from datetime import UTC, datetime

from croniter import CroniterBadDateError, croniter

from esruntime.errors import ScriptNotFoundError, ScriptStateError
from esruntime.scripts.models import Execution, Script, Trigger
from esruntime.scripts.service import NOT_RUNNABLE
from esruntime.web.errors import WebError
from esruntime.web.messages import WebResponse
from esruntime.web.pages.context import PageCall, redirect

__all__ = ["execute_script", "list_executions", "show_execution", "wake_after_s"]

MAX_INPUT_CHARS = 64 * 1024
RECENT = 20
MAX_WAKE_S = 3600
_STATUS_OF = {"failed": 500, "timeout": 504}


def execute_script(call: PageCall) -> WebResponse:
    """``POST /scripts/:id/execute``: start a run and answer with its row once it finished or
    ``execute_wait_s`` passed (running then). A failed run answers 500 and a timed-out one 504,
    the row showing the error and the execution id. Without htmx: back to the script's page."""
    service = call.pages.service
    script = service.get(call.params["id"], tenant=call.tenant)
    if script.status in NOT_RUNNABLE:
        raise ScriptStateError(f"Script {script.name!r} is {script.status}; it cannot run")
    run_input = _input(call.form.get("Input"))
    execution_id = str(uuid.uuid4())
    future = call.pages.runs.start(
        service.execute,
        script.id,
        run_input,
        tenant=call.tenant,
        trigger=Trigger.manual(),
        user_id=call.principal.name if call.principal and call.principal.name else None,
        execution_id=execution_id,
    )
    try:
        execution = future.result(timeout=call.pages.config.execute_wait_s)
    except concurrent.futures.TimeoutError:
        execution = _recorded(call, execution_id) or Execution(
            execution_id,
            call.tenant,
            script.id,
            script.version,
            "pending",
            Trigger.manual(),
            run_input,
        )
    if not call.htmx:
        return redirect(call.url(f"/{script.id}", run=execution.id) + "#executions")
    return call.render(
        "_execution_row.html",
        _STATUS_OF.get(execution.status, 200),
        (("HX-Trigger-After-Settle", "esr-executions-changed"),),
        script=script,
        execution=execution,
    )


def wake_after_s(script: Script, now: datetime | None = None) -> int | None:
    """For an active scheduled script, the seconds until its next run (so that an idle history
    looks again then, without polling in between); None for any other script."""
    if script.type != "scheduled" or script.status != "active" or not script.cron_expression:
        return None
    try:
        zone = zoneinfo.ZoneInfo(script.timezone)
        start = (now or datetime.now(UTC)).astimezone(zone)
        following = croniter(script.cron_expression, start).get_next(datetime)
    except (ValueError, KeyError, zoneinfo.ZoneInfoNotFoundError, CroniterBadDateError):
        return None
    return max(1, min(MAX_WAKE_S, int((following - start).total_seconds()) + 1))


def list_executions(call: PageCall) -> WebResponse:
    """``GET /scripts/:id/executions``: the rows of the latest runs, polling every 5 s as long
    as one of them has not finished."""
    service = call.pages.service
    script = service.get(call.params["id"], tenant=call.tenant)
    found = service.executions(script.id, tenant=call.tenant, limit=RECENT)
    return call.render(
        "_executions.html",
        script=script,
        executions=found,
        running=any(not e.finished for e in found.items),
        wake_s=wake_after_s(script),
    )


def show_execution(call: PageCall) -> WebResponse:
    """``GET /scripts/:id/executions/:execution_id``: input, output, logs, error, metrics;
    a fragment for htmx, else a page."""
    service = call.pages.service
    script = service.get(call.params["id"], tenant=call.tenant)
    execution = service.execution(call.params["execution_id"], tenant=call.tenant)
    if execution.script_id != script.id:
        raise ScriptNotFoundError(f"Script {script.id!r} has no execution {execution.id!r}")
    template = "_execution.html" if call.htmx else "execution.html"
    return call.render(template, script=script, execution=execution)


def _input(text: str) -> dict[str, object]:
    """The run's input: a JSON object typed in the form (empty: ``{}``)."""
    if not text.strip():
        return {}
    if len(text) > MAX_INPUT_CHARS:
        raise WebError(400, "invalid_input", f"The input exceeds {MAX_INPUT_CHARS:,} characters")
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        raise WebError(400, "invalid_input", "The input must be a JSON object") from None
    if not isinstance(value, dict):
        raise WebError(400, "invalid_input", "The input must be a JSON object")
    return value


def _recorded(call: PageCall, execution_id: str) -> Execution | None:
    try:
        return call.pages.service.execution(execution_id, tenant=call.tenant)
    except ScriptNotFoundError:
        return None
