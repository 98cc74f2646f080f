"""What the client returns for the ``/scripts`` routes: scripts, versions, executions and
dead letters."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from attrs import frozen

__all__ = [
    "DeadLetterInfo",
    "DeadLetterPage",
    "DeadLetterRetry",
    "ScriptExecution",
    "ScriptExecutionPage",
    "ScriptFailure",
    "ScriptInfo",
    "ScriptPage",
    "ScriptVersionInfo",
]


@frozen
class ScriptInfo:
    """A script; ``source`` is None in a listing (``get_script`` has it). ``next_runs``: when an
    active scheduled script runs next (its next 5 ticks, aware UTC datetimes); empty for other
    scripts and in a listing."""

    id: str
    name: str
    description: str
    type: str
    status: str
    cron_expression: str | None
    timezone: str
    http_path: str | None
    http_methods: tuple[str, ...]
    public: bool
    event_types: tuple[str, ...]
    limits: Mapping[str, int]
    version: int
    created_by: str | None
    created_at: datetime
    updated_by: str | None
    updated_at: datetime
    source: str | None = None
    next_runs: tuple[datetime, ...] = ()


@frozen
class ScriptPage:
    """One page of a script listing and how many scripts matched in all."""

    scripts: tuple[ScriptInfo, ...]
    total: int
    page: int
    per_page: int
    pages: int


@frozen
class ScriptVersionInfo:
    """A stored version of a script; ``source`` is None in the listing."""

    version: int
    created_at: datetime
    created_by: str | None
    restored_from: int | None
    source: str | None = None


@frozen
class ScriptFailure:
    """Why an execution did not complete: the script's error, or the runtime's reason."""

    name: str
    message: str
    line: int | None
    column: int | None
    stack: str | None


@frozen
class ScriptExecution:
    """One run of a script: ``status`` is pending, running, completed, failed, timeout or
    cancelled; ``output`` the script's result; ``trigger`` what the script saw as
    ``context.trigger``; ``event_id`` the event an event run ran for."""

    id: str
    script_id: str
    script_version: int
    status: str
    trigger: Mapping[str, Any]
    input: Any
    output: Any
    error: ScriptFailure | None
    logs: tuple[Mapping[str, Any], ...]
    metrics: Mapping[str, Any]
    user_id: str | int | None
    created_at: datetime | None
    started_at: datetime | None
    completed_at: datetime | None
    event_id: str | None = None


@frozen
class ScriptExecutionPage:
    """A window of a script's executions, newest first, and how many there are in all."""

    executions: tuple[ScriptExecution, ...]
    total: int
    offset: int
    limit: int


@frozen
class DeadLetterInfo:
    """An event an event script gave up on after its retries: ``attempts`` runs so far, the
    last one's ``error``; ``position`` is the event's place in the tenant's store."""

    id: str
    script_id: str
    event_id: str
    event_type: str
    position: int
    attempts: int
    error: str
    created_at: datetime


@frozen
class DeadLetterPage:
    """A window of the tenant's dead letters, oldest event first, and how many in all."""

    dead_letters: tuple[DeadLetterInfo, ...]
    total: int
    offset: int
    limit: int


@frozen
class DeadLetterRetry:
    """What retrying a dead letter did: the run, and the letter as kept after a run that did
    not complete (None once a run completed: the letter is gone)."""

    execution: ScriptExecution
    dead_letter: DeadLetterInfo | None
