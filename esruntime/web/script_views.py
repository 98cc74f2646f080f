"""The JSON bodies of the scripts routes: scripts, versions, executions and dead letters as
``docs/http-api.md`` shows them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from esruntime.protocols.consumers import DeadLetter, DeadLetterPage
from esruntime.scripts.models import Execution, ExecutionPage, Script, ScriptPage, ScriptVersion

__all__ = [
    "dead_letter_page_view",
    "dead_letter_view",
    "execution_page_view",
    "execution_view",
    "script_page_view",
    "script_view",
    "timestamp",
    "version_view",
]


def timestamp(moment: datetime) -> str:
    """RFC 3339 in UTC to the millisecond: ``2025-01-10T08:00:00.123Z`` (runs are short)."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _time(moment: datetime | None) -> str | None:
    return None if moment is None else timestamp(moment)


def script_view(
    script: Script, *, source: bool = True, next_runs: Sequence[datetime] | None = None
) -> dict[str, Any]:
    """A script; listings leave out its ``source`` and ``next_runs`` (when an active
    scheduled script runs next; empty for the others)."""
    view: dict[str, Any] = {
        "id": script.id,
        "name": script.name,
        "description": script.description,
        "type": script.type,
        "status": script.status,
        "cron_expression": script.cron_expression,
        "timezone": script.timezone,
        "http_path": script.http_path,
        "http_methods": list(script.http_methods),
        "public": script.public,
        "event_types": list(script.event_types),
        "limits": script.limits.to_dict(),
        "version": script.version,
        "created_by": script.created_by,
        "created_at": _time(script.created_at),
        "updated_by": script.updated_by,
        "updated_at": _time(script.updated_at),
    }
    if source:
        view["source"] = script.source
    if next_runs is not None:
        view["next_runs"] = [timestamp(moment) for moment in next_runs]
    return view


def script_page_view(page: ScriptPage) -> dict[str, Any]:
    return {
        "scripts": [script_view(script, source=False) for script in page.items],
        "total": page.total,
        "page": page.page,
        "per_page": page.per_page,
        "pages": page.pages,
    }


def version_view(version: ScriptVersion, *, source: bool = True) -> dict[str, Any]:
    """A stored version; the listing leaves out its ``source``."""
    view: dict[str, Any] = {
        "version": version.version,
        "created_at": timestamp(version.created_at),
        "created_by": version.created_by,
        "restored_from": version.restored_from,
    }
    if source:
        view["source"] = version.source
    return view


def execution_view(execution: Execution) -> dict[str, Any]:
    """An execution with its trigger (as the script saw it), output, error, logs and metrics;
    ``event_id``: the event an event run ran for (null for other runs)."""
    return {
        "id": execution.id,
        "script_id": execution.script_id,
        "script_version": execution.script_version,
        "status": execution.status,
        "trigger": execution.trigger.to_context(),
        "input": execution.input,
        "output": execution.output,
        "error": None if execution.error is None else execution.error.to_dict(),
        "logs": [entry.to_dict() for entry in execution.logs],
        "metrics": execution.metrics.to_dict(),
        "user_id": execution.user_id,
        "created_at": _time(execution.created_at),
        "started_at": _time(execution.started_at),
        "completed_at": _time(execution.completed_at),
        "event_id": execution.trigger.event_id,
    }


def execution_page_view(page: ExecutionPage) -> dict[str, Any]:
    return {
        "executions": [execution_view(execution) for execution in page.items],
        "total": page.total,
        "offset": page.offset,
        "limit": page.limit,
    }


def dead_letter_view(letter: DeadLetter) -> dict[str, Any]:
    """An event an event script gave up on: the script, the event, the tries and last error."""
    return {
        "id": letter.id,
        "script_id": letter.script_id,
        "event_id": letter.event_id,
        "event_type": letter.event_type,
        "position": letter.position,
        "attempts": letter.attempts,
        "error": letter.error,
        "created_at": timestamp(letter.created_at),
    }


def dead_letter_page_view(page: DeadLetterPage) -> dict[str, Any]:
    return {
        "dead_letters": [dead_letter_view(letter) for letter in page.items],
        "total": page.total,
        "offset": page.offset,
        "limit": page.limit,
    }
