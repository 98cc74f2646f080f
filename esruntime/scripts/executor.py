"""One run of a script, recorded: (pending →) running → completed, failed or timeout.

:class:`ScriptExecutor` waits for the tenant's share of the runner
(:mod:`esruntime.scripts.capacity`; the execution is recorded ``pending`` first when it has to
wait), starts it only when fewer than the script's ``max_concurrent_runs`` are running, in one
write that counts them and records the run ``running`` (otherwise, or when no share came free
in time, it is recorded ``cancelled`` and never runs), builds the script's ``context`` and SDK
host, runs the source on the :class:`~esruntime.scripts.runner.ScriptRunner` under the
script's limits, and records the outcome in a second write: the output (bounded), the script's
error with its line, column and stack, the logs (bounded) and the metrics. A run admitted at
once is so written twice, and shows as ``running`` in the history for as long as it runs.
"""

from __future__ import annotations

import functools
import json
import logging
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from attrs import evolve, field, frozen

from esruntime.errors import ScriptValidationError
from esruntime.protocols import EventStore
from esruntime.protocols.scripts import ScriptRepository
from esruntime.schema.model import Schema
from esruntime.scripts.capacity import CapacityBusy, RunCapacity, RunGate, default_share
from esruntime.scripts.models import Execution, ExecutionFailure, Script, Trigger
from esruntime.scripts.runner import RunLimits, RunResult, ScriptFailure, ScriptRunner
from esruntime.scripts.sdk.cache import ScriptCache, ScriptCacheView
from esruntime.scripts.sdk.events import EventPublisher
from esruntime.scripts.sdk.host import ExecutionHost, HttpRequester, ScriptDatabase
from esruntime.scripts.sdk.logs import ExecutionLog, LogBounds
from esruntime.scripts.sdk.ratelimit import SlidingWindowLimiter

__all__ = ["MAX_INPUT_BYTES", "STALE_GRACE", "ScriptExecutor", "SdkServices", "build_context"]

logger = logging.getLogger("esruntime.scripts")

MAX_INPUT_BYTES = 1024 * 1024
MAX_ERROR_MESSAGE = 4000
MAX_STACK = 16 * 1024
STALE_GRACE = timedelta(seconds=60)
"""A run still ``running`` this long after its time limit belongs to a process that died: it no
longer counts against ``max_concurrent_runs``."""


@frozen
class SdkServices:
    """What the SDK of every execution reaches, per tenant; each part may be missing."""

    event_store: Callable[[str], EventStore] | None = None
    schema: Callable[[str], Schema | None] | None = None
    cache: ScriptCache | None = None
    http: HttpRequester | None = None
    database: Callable[[str], ScriptDatabase] | None = None
    log_bounds: LogBounds = field(factory=LogBounds)


def build_context(
    script: Script,
    execution: Execution,
    *,
    organization_id: str | None = None,
) -> dict[str, Any]:
    """The script's ``context`` global, exactly as ``docs/scripts.md`` lists it."""
    return {
        "tenantId": script.tenant,
        "userId": execution.user_id,
        "organizationId": organization_id,
        "scriptId": script.id,
        "executionId": execution.id,
        "input": execution.input,
        "trigger": execution.trigger.to_context(),
    }


def json_copy(value: Any, what: str, limit: int = MAX_INPUT_BYTES) -> Any:
    """``value`` as the JSON it encodes to (a deep copy); ScriptValidationError otherwise."""
    try:
        text = json.dumps(value, allow_nan=False, ensure_ascii=False)
    except (TypeError, ValueError) as exc:
        raise ScriptValidationError({what: f"must be JSON: {exc}"}) from None
    except RecursionError:
        raise ScriptValidationError({what: "is nested too deeply"}) from None
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > limit:
        raise ScriptValidationError({what: f"is {size:,} bytes of JSON; the limit is {limit:,}"})
    return json.loads(text)


class ScriptExecutor:
    """Runs scripts and records their executions (see the module docstring)."""

    def __init__(
        self,
        repository: ScriptRepository,
        runner: ScriptRunner,
        services: SdkServices,
        limiter: SlidingWindowLimiter | None = None,
        capacity: RunCapacity | None = None,
    ) -> None:
        self._repository = repository
        self._runner = runner
        self._services = services
        self._limiter = limiter or SlidingWindowLimiter()
        capacity = capacity or RunCapacity()
        slots = getattr(runner, "slots", None)
        slots = slots if isinstance(slots, int) and not isinstance(slots, bool) else None
        share = capacity.runs_per_tenant
        self.gate = RunGate(
            slots=slots,
            per_tenant=default_share(slots) if share is None else share,
            wait_s=capacity.wait_s,
        )

    def run(
        self,
        script: Script,
        input: Any,
        trigger: Trigger,
        *,
        user_id: str | int | None = None,
        organization_id: str | None = None,
        execution_id: str | None = None,
    ) -> Execution:
        execution = Execution(
            id=execution_id or str(uuid.uuid4()),
            tenant=script.tenant,
            script_id=script.id,
            script_version=script.version,
            status="pending",
            trigger=trigger,
            input=input,
            user_id=user_id,
            created_at=_now(),
        )
        # Recorded pending only when it has to wait for a share of the runner; a run admitted
        # at once is first recorded running, by the start's conditional write.
        try:
            with self.gate.admit(
                script.tenant, waiting=lambda: self._repository.add_execution(execution)
            ):
                return self._start(script, execution, user_id, organization_id)
        except CapacityBusy as busy:
            return self._cancel(execution, "CapacityError", str(busy))

    def _cancel(self, execution: Execution, name: str, message: str) -> Execution:
        cancelled = evolve(
            execution,
            status="cancelled",
            error=ExecutionFailure(name, message),
            completed_at=_now(),
        )
        self._repository.save_execution(cancelled)
        return cancelled

    def _start(
        self,
        script: Script,
        execution: Execution,
        user_id: str | int | None,
        organization_id: str | None,
    ) -> Execution:
        started_at = _now()
        running = evolve(execution, status="running", started_at=started_at)
        limits = script.limits
        stale_before = started_at - timedelta(milliseconds=limits.max_execution_time_ms)
        if not self._repository.start_execution(
            running, max_running=limits.max_concurrent_runs, stale_before=stale_before - STALE_GRACE
        ):
            return self._cancel(
                execution,
                "ConcurrencyLimitError",
                f"Script {script.name!r} already has {limits.max_concurrent_runs} running "
                "execution(s) (max_concurrent_runs); this one was not run",
            )
        log = ExecutionLog(
            tenant=script.tenant,
            script_id=script.id,
            execution_id=execution.id,
            user_id=user_id,
            bounds=self._services.log_bounds,
        )
        host = self._host(script, execution, log)
        context = build_context(script, running, organization_id=organization_id)
        run_limits = RunLimits(
            timeout_ms=limits.max_execution_time_ms,
            memory_bytes=limits.max_memory_bytes,
            output_bytes=limits.max_output_bytes,
            log_lines=self._services.log_bounds.max_lines,
        )
        clock = time.perf_counter()
        try:
            result = self._runner.run(script.source, context=context, host=host, limits=run_limits)
        except Exception as exc:  # a runner must not raise; if one does, the run failed
            logger.exception("the script runner failed on execution %s", execution.id)
            result = RunResult(
                "failed",
                None,
                ScriptFailure("InternalError", f"The script engine failed: {type(exc).__name__}"),
                (time.perf_counter() - clock) * 1000,
                None,
            )
        finally:
            host.close()
        finished = _outcome(running, result, script)
        finished = evolve(
            finished,
            logs=log.entries,
            metrics=host.metrics(result.duration_ms, result.memory_bytes),
            completed_at=_now(),
        )
        self._repository.save_execution(finished)
        return finished

    def _host(self, script: Script, execution: Execution, log: ExecutionLog) -> ExecutionHost:
        services = self._services
        events = None
        if services.event_store is not None:
            event_store, schema_of, tenant = services.event_store, services.schema, script.tenant
            events = EventPublisher(
                lambda: event_store(tenant),
                (lambda: schema_of(tenant)) if schema_of is not None else (lambda: None),
                {
                    "tenant_id": tenant,
                    "user_id": execution.user_id,
                    "script_id": script.id,
                    "execution_id": execution.id,
                },
            )
        return ExecutionHost(
            tenant=script.tenant,
            script_id=script.id,
            log=log,
            cache=(
                None
                if services.cache is None
                else ScriptCacheView(services.cache, script.tenant, script.id)
            ),
            events=events,
            http=services.http,
            database=(
                None
                if services.database is None
                else functools.partial(services.database, script.tenant)
            ),
            limiter=self._limiter,
            calls_per_minute=script.limits.max_api_calls_per_minute,
        )

    def close(self) -> None:
        self._runner.close()


def _outcome(running: Execution, result: RunResult, script: Script) -> Execution:
    """The execution as the run left it: status, bounded output, bounded error."""
    if result.status == "completed":
        try:
            text = json.dumps(result.output, allow_nan=False, ensure_ascii=False)
        except (TypeError, ValueError):
            return evolve(
                running,
                status="failed",
                error=ExecutionFailure("OutputError", "The script's output is not JSON"),
            )
        size = len(text.encode("utf-8", "surrogatepass"))
        limit = script.limits.max_output_bytes
        if size > limit:
            return evolve(
                running,
                status="failed",
                error=ExecutionFailure(
                    "OutputTooLarge",
                    f"The script's output is {size:,} bytes of JSON; the limit is {limit:,} "
                    "(max_output_bytes)",
                ),
            )
        return evolve(running, status="completed", output=json.loads(text))
    failure = result.error
    if failure is None:
        failure = ScriptFailure(
            "TimeoutError" if result.status == "timeout" else "Error",
            f"The script ran longer than {script.limits.max_execution_time_ms} ms"
            if result.status == "timeout"
            else "The script failed",
        )
    return evolve(
        running,
        status="timeout" if result.status == "timeout" else "failed",
        error=ExecutionFailure(
            str(failure.name)[:200],
            _cut(str(failure.message), MAX_ERROR_MESSAGE),
            failure.line,
            failure.column,
            None if failure.stack is None else _cut(str(failure.stack), MAX_STACK),
        ),
    )


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + "… [truncated]"


def _now() -> datetime:
    return datetime.now(UTC)
