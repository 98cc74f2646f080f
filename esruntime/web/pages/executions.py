"""Running a script from its page and its execution history (rows polled while one runs)."""

from __future__ import annotations

import concurrent.futures
import hashlib
import json
import uuid
import zoneinfo
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from croniter import CroniterBadDateError, croniter

from esruntime.errors import ScriptNotFoundError, ScriptStateError
from esruntime.scripts.models import Execution, Script, Trigger
from esruntime.scripts.service import NOT_RUNNABLE
from esruntime.web.errors import WebError
from esruntime.web.messages import WebResponse
from esruntime.web.pages.context import PageCall, redirect

__all__ = ["execute_script", "history", "list_executions", "show_execution", "wake_after_s"]

MAX_INPUT_CHARS = 64 * 1024
RECENT = 20
MAX_WAKE_S = 3600
LATE_S = 30
"""How long after a tick a page keeps looking for its run (the scheduler claims due scripts
every few seconds, later on a busy machine)."""
RECHECK_S = 5
WATCH_S = 10
"""How often an idle page of an active ``http`` or ``event`` script asks whether a run came
(answered 204 without a body while nothing changed)."""
_SELF_STARTING = ("http", "event")
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


def wake_after_s(
    script: Script, now: datetime | None = None, executions: Iterable[Execution] = ()
) -> int | None:
    """For an active scheduled script, the seconds until its next run (so that an idle history
    looks again then, without polling in between); None for any other script. Within
    ``LATE_S`` of a tick that ``executions`` (the latest) show no run of yet, a few seconds:
    the scheduler may start the run a little after the tick."""
    if script.type != "scheduled" or script.status != "active" or not script.cron_expression:
        return None
    try:
        zone = zoneinfo.ZoneInfo(script.timezone)
        start = (now or datetime.now(UTC)).astimezone(zone)
        following = croniter(script.cron_expression, start).get_next(datetime)
        previous = croniter(script.cron_expression, start).get_prev(datetime)
    except (ValueError, KeyError, zoneinfo.ZoneInfoNotFoundError, CroniterBadDateError):
        return None
    late = (start - previous).total_seconds() <= LATE_S
    if late and (script.updated_at is None or previous > script.updated_at):
        started = (e.created_at or e.started_at for e in executions if e.trigger.type == "cron")
        if not any(moment is not None and moment >= previous for moment in started):
            return RECHECK_S
    return max(1, min(MAX_WAKE_S, int((following - start).total_seconds()) + 1))


def history(script: Script, executions: Iterable[Execution]) -> dict[str, Any]:
    """How a history of ``executions`` (the latest) refreshes itself: ``running`` (every 5 s),
    else ``wake_s`` (once, at a scheduled script's next tick), else ``watch_s`` (every
    ``WATCH_S`` for an active ``http`` or ``event`` script, which runs whenever it is called),
    with ``seen``, a mark of the rows shown, sent back so that an unchanged history costs a 204."""
    items = tuple(executions)
    running = any(not e.finished for e in items)
    watching = script.type in _SELF_STARTING and script.status == "active"
    return {
        "running": running,
        "wake_s": wake_after_s(script, executions=items),
        "watch_s": WATCH_S if watching and not running else None,
        "seen": _mark(items),
    }


def _mark(items: tuple[Execution, ...]) -> str:
    """A short digest of the rows' executions and statuses."""
    digest = hashlib.sha256()
    for execution in items:
        digest.update(f"{execution.id}:{execution.status}\n".encode())
    return digest.hexdigest()[:16]


def list_executions(call: PageCall) -> WebResponse:
    """``GET /scripts/:id/executions``: the rows of the latest runs, polling every 5 s as long
    as one of them has not finished (see :func:`history`); 204 when the query's ``seen`` is
    still the rows' mark and nothing runs."""
    service = call.pages.service
    script = service.get(call.params["id"], tenant=call.tenant)
    found = service.executions(script.id, tenant=call.tenant, limit=RECENT)
    state = history(script, found.items)
    seen = call.query("seen")
    if seen and seen == state["seen"] and not state["running"]:
        return WebResponse(204, b"", "text/html; charset=utf-8")
    return call.render("_executions.html", script=script, executions=found, **state)


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
