"""The script runtime's values: scripts, their versions, executions and what they carry.

``docs/scripts.md``. Everything here is a frozen attrs value; the service changes a script or
an execution by making a new value (``attrs.evolve``) and handing it to the repository.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal, get_args

from attrs import field, frozen

__all__ = [
    "EXECUTION_STATUSES",
    "FINISHED_STATUSES",
    "HTTP_METHODS",
    "LIMIT_RANGES",
    "SCRIPT_ORDERS",
    "SCRIPT_STATUSES",
    "SCRIPT_TYPES",
    "TRIGGER_TYPES",
    "Execution",
    "ExecutionFailure",
    "ExecutionMetrics",
    "ExecutionPage",
    "ExecutionStatus",
    "LogEntry",
    "LogLevel",
    "Script",
    "ScriptLimits",
    "ScriptOrder",
    "ScriptPage",
    "ScriptStatus",
    "ScriptType",
    "ScriptVersion",
    "Trigger",
    "TriggerType",
]

ScriptType = Literal["scheduled", "http", "event", "oneoff", "embedded"]
ScriptStatus = Literal["draft", "active", "paused", "disabled", "archived"]
ExecutionStatus = Literal["pending", "running", "completed", "failed", "timeout", "cancelled"]
TriggerType = Literal["manual", "cron", "http", "event", "api"]
LogLevel = Literal["debug", "info", "warn", "error"]
ScriptOrder = Literal["name", "updated"]

SCRIPT_TYPES: tuple[ScriptType, ...] = get_args(ScriptType)
SCRIPT_STATUSES: tuple[ScriptStatus, ...] = get_args(ScriptStatus)
EXECUTION_STATUSES: tuple[ExecutionStatus, ...] = get_args(ExecutionStatus)
FINISHED_STATUSES: frozenset[ExecutionStatus] = frozenset(
    ("completed", "failed", "timeout", "cancelled")
)
TRIGGER_TYPES: tuple[TriggerType, ...] = get_args(TriggerType)
SCRIPT_ORDERS: tuple[ScriptOrder, ...] = get_args(ScriptOrder)
HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")

MIB = 2**20

LIMIT_RANGES: Mapping[str, tuple[int, int]] = {
    "max_execution_time_ms": (1_000, 300_000),
    "max_memory_bytes": (1 * MIB, 512 * MIB),
    "max_concurrent_runs": (1, 100),
    "max_api_calls_per_minute": (1, 10_000),
    "max_output_bytes": (1024, 16 * MIB),
    "max_http_requests_per_minute": (1, 100_000),
}
"""The inclusive range of every limit (``validation.check_limits`` enforces them)."""


@frozen
class ScriptLimits:
    """What one run of a script may use. The defaults and ranges are in ``docs/scripts.md``."""

    max_execution_time_ms: int = 30_000
    max_memory_bytes: int = 64 * MIB
    max_concurrent_runs: int = 5
    max_api_calls_per_minute: int = 60
    max_output_bytes: int = 1 * MIB
    max_http_requests_per_minute: int = 600
    """How many requests an ``http`` script's route takes per minute (per process)."""

    def to_dict(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in LIMIT_RANGES}


@frozen
class Script:
    """A tenant's script: its source, how it is meant to be triggered and what it may use.

    ``version`` is the number of the stored version whose source this is. Trigger fields belong
    to one type each (``cron_expression`` to ``scheduled``, ``http_path`` and ``http_methods``
    to ``http``, ``event_types`` to ``event``) and are empty for the others. ``public`` (http
    scripts only): the route runs without an API key. Active scripts run by their trigger
    (``esruntime.triggers``, the hooks routes); any script runs with ``execute``.
    """

    id: str
    tenant: str
    name: str
    source: str = field(repr=False)
    type: ScriptType
    status: ScriptStatus = "draft"
    description: str = ""
    cron_expression: str | None = None
    timezone: str = "UTC"
    http_path: str | None = None
    http_methods: tuple[str, ...] = ()
    event_types: tuple[str, ...] = ()
    limits: ScriptLimits = ScriptLimits()
    version: int = 1
    public: bool = False
    created_by: str | None = None
    created_at: datetime | None = None
    updated_by: str | None = None
    updated_at: datetime | None = None


@frozen
class ScriptVersion:
    """One stored source of a script. ``restored_from`` is set when a rollback made it."""

    script_id: str
    version: int
    source: str = field(repr=False)
    created_at: datetime
    created_by: str | None = None
    restored_from: int | None = None


@frozen
class Trigger:
    """Why a script runs: the ``context.trigger`` object of a run, in Python. ``event_id``
    (event runs) is recorded with the execution but not shown to the script."""

    type: TriggerType = "manual"
    event_type: str | None = None
    event_payload: Any = None
    http_request: Mapping[str, Any] | None = None
    cron_expression: str | None = None
    event_id: str | None = None

    @classmethod
    def manual(cls) -> Trigger:
        return cls("manual")

    @classmethod
    def api(cls) -> Trigger:
        return cls("api")

    @classmethod
    def cron(cls, expression: str) -> Trigger:
        return cls("cron", cron_expression=expression)

    @classmethod
    def event(cls, event_type: str, payload: Any, event_id: str | None = None) -> Trigger:
        """``event_id``: the triggering event's id (recorded, so that a run is not repeated)."""
        return cls("event", event_type=event_type, event_payload=payload, event_id=event_id)

    @classmethod
    def http(cls, request: Mapping[str, Any]) -> Trigger:
        """``request`` is ``{method, path, headers, query, body}``."""
        return cls("http", http_request=request)

    def to_context(self) -> dict[str, Any]:
        """The JSON the script sees as ``context.trigger``."""
        return {
            "type": self.type,
            "eventType": self.event_type,
            "eventPayload": self.event_payload,
            "httpRequest": None if self.http_request is None else dict(self.http_request),
            "cronExpression": self.cron_expression,
        }

    def to_record(self) -> dict[str, Any]:
        """The context and, for an event run, ``eventId``: what an execution record keeps (the
        script itself sees exactly :meth:`to_context`)."""
        record = self.to_context()
        if self.event_id is not None:
            record["eventId"] = self.event_id
        return record

    @classmethod
    def from_context(cls, data: Mapping[str, Any]) -> Trigger:
        return cls(
            data["type"],
            event_type=data.get("eventType"),
            event_payload=data.get("eventPayload"),
            http_request=data.get("httpRequest"),
            cron_expression=data.get("cronExpression"),
            event_id=data.get("eventId"),
        )


@frozen
class ExecutionFailure:
    """Why an execution did not complete: the script's error (name, message, position, stack),
    or the runtime's reason (``TimeoutError``, ``ConcurrencyLimitError``, ``OutputTooLarge``...)."""

    name: str
    message: str
    line: int | None = None
    column: int | None = None
    stack: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "message": self.message,
            "line": self.line,
            "column": self.column,
            "stack": self.stack,
        }

    def describe(self) -> str:
        """``TypeError: x is undefined (line 3, column 7)``."""
        where = ""
        if self.line is not None:
            where = f" (line {self.line}" + (
                f", column {self.column})" if self.column is not None else ")"
            )
        return f"{self.name}: {self.message}{where}"


@frozen
class LogEntry:
    """One ``sdk.log`` line of an execution."""

    level: LogLevel
    message: str
    metadata: Mapping[str, Any] | None = None
    timestamp: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "level": self.level,
            "message": self.message,
            "metadata": None if self.metadata is None else dict(self.metadata),
            "timestamp": None if self.timestamp is None else self.timestamp.isoformat(),
        }


@frozen
class ExecutionMetrics:
    """What a run used: wall time and memory as the engine measured them, and SDK calls."""

    duration_ms: float = 0.0
    memory_bytes: int | None = None
    http_calls: int = 0
    db_queries: int = 0
    cache_calls: int = 0
    events_published: int = 0
    log_lines: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "duration_ms": self.duration_ms,
            "memory_bytes": self.memory_bytes,
            "http_calls": self.http_calls,
            "db_queries": self.db_queries,
            "cache_calls": self.cache_calls,
            "events_published": self.events_published,
            "log_lines": self.log_lines,
        }


@frozen
class Execution:
    """One run of a script: pending → running → completed, failed or timeout (or cancelled
    when it was refused before it ran). ``output`` is the script's JSON result."""

    id: str
    tenant: str
    script_id: str
    script_version: int
    status: ExecutionStatus
    trigger: Trigger = Trigger()
    input: Any = None
    output: Any = None
    error: ExecutionFailure | None = None
    logs: tuple[LogEntry, ...] = ()
    metrics: ExecutionMetrics = ExecutionMetrics()
    user_id: str | int | None = None
    created_at: datetime | None = None
    started_at: datetime | None = None
    completed_at: datetime | None = None

    @property
    def finished(self) -> bool:
        return self.status in FINISHED_STATUSES


@frozen
class ScriptPage:
    """One page of a script listing and how many scripts matched in all."""

    items: tuple[Script, ...]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


@frozen
class ExecutionPage:
    """One page of a script's executions, newest first, and how many there are in all."""

    items: tuple[Execution, ...]
    total: int
    offset: int
    limit: int
