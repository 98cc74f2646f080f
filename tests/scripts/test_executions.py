"""Running scripts through the service: recorded executions, call(), limits, on every backend.

The scripts here are Python functions (tests/scripts/runners.py), so that a run can be held
open or fail in a chosen way; test_end_to_end.py runs JavaScript on the real engine.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from esruntime.errors import (
    ScriptBusyError,
    ScriptExecutionError,
    ScriptNotFoundError,
    ScriptStateError,
    ScriptTimeoutError,
    ScriptValidationError,
    SdkError,
)
from esruntime.protocols import ScriptRepository
from esruntime.scripts.models import Script, Trigger
from esruntime.scripts.runner import SdkHost
from esruntime.scripts.sdk.logs import LogBounds
from esruntime.scripts.sdk.ratelimit import SlidingWindowLimiter
from esruntime.scripts.service import ScriptService
from tests.scripts.runners import Fail, PythonRunner, TimesOut


def script(service: ScriptService, source: str, **fields: Any) -> Script:
    values: dict[str, Any] = {"name": source.replace("py:", "script "), "type": "oneoff"}
    return service.create(source=source, **(values | fields))


def test_a_completed_execution_is_recorded(service: ScriptService, runner: PythonRunner) -> None:
    @runner.script("double")
    def double(context: Mapping[str, Any], host: SdkHost) -> Any:
        return {"doubled": context["input"]["n"] * 2}

    target = script(service, "py:double")
    execution = service.execute(target.id, {"n": 21}, user_id=7)
    assert execution.status == "completed"
    assert execution.output == {"doubled": 42}
    assert execution.error is None
    assert execution.input == {"n": 21}
    assert execution.user_id == 7
    assert execution.script_version == 1
    assert execution.trigger == Trigger.manual()
    assert execution.metrics.memory_bytes == 2048
    assert execution.metrics.duration_ms >= 0
    assert execution.created_at is not None
    assert execution.started_at is not None
    assert execution.completed_at is not None
    assert execution.created_at <= execution.started_at <= execution.completed_at
    assert service.execution(execution.id) == execution
    assert service.executions(target.id).items == (execution,)


def test_the_context_is_exactly_the_specs(service: ScriptService, runner: PythonRunner) -> None:
    seen: list[Mapping[str, Any]] = []
    runner.scripts["py:spy"] = lambda context, host: seen.append(context)
    target = script(service, "py:spy")
    execution = service.execute(
        target.id,
        {"a": [1, "two"]},
        trigger=Trigger.event("OpenedAccount", {"account_id": "a1"}),
        user_id="u-1",
        organization_id="org-9",
    )
    assert seen == [
        {
            "tenantId": "acme",
            "userId": "u-1",
            "organizationId": "org-9",
            "scriptId": target.id,
            "executionId": execution.id,
            "input": {"a": [1, "two"]},
            "trigger": {
                "type": "event",
                "eventType": "OpenedAccount",
                "eventPayload": {"account_id": "a1"},
                "httpRequest": None,
                "cronExpression": None,
            },
        }
    ]
    assert service.execution(execution.id).trigger.event_payload == {"account_id": "a1"}


def test_the_runner_gets_the_scripts_limits(service: ScriptService, runner: PythonRunner) -> None:
    runner.scripts["py:ok"] = lambda context, host: None
    target = script(
        service,
        "py:ok",
        limits={"max_execution_time_ms": 2000, "max_memory_bytes": 2**21, "max_output_bytes": 4096},
    )
    service.execute(target.id)
    (_, limits), *_ = runner.runs
    assert (limits.timeout_ms, limits.memory_bytes, limits.output_bytes) == (2000, 2**21, 4096)


def test_a_script_error_is_recorded_with_its_position(
    service: ScriptService, runner: PythonRunner
) -> None:
    def broken(context: Mapping[str, Any], host: SdkHost) -> Any:
        raise Fail("TypeError", "cannot read properties of undefined", 3, 14)

    runner.scripts["py:broken"] = broken
    target = script(service, "py:broken", type="embedded")
    execution = service.execute(target.id)
    assert execution.status == "failed"
    assert execution.output is None
    assert execution.error is not None
    assert (execution.error.name, execution.error.line, execution.error.column) == (
        "TypeError",
        3,
        14,
    )
    assert execution.error.stack is not None
    assert "script:3:14" in execution.error.stack
    assert service.execution(execution.id) == execution
    with pytest.raises(ScriptExecutionError) as caught:
        service.call(target.name)
    assert str(caught.value) == (
        "Script 'script broken' failed: TypeError: cannot read properties of undefined "
        "(line 3, column 14)"
    )
    assert (caught.value.line, caught.value.column) == (3, 14)
    assert caught.value.script_message == "cannot read properties of undefined"
    assert service.execution(caught.value.execution_id).status == "failed"


def test_a_timeout_is_recorded_and_raised_by_call(
    service: ScriptService, runner: PythonRunner
) -> None:
    def spin(context: Mapping[str, Any], host: SdkHost) -> Any:
        raise TimesOut

    runner.scripts["py:spin"] = spin
    target = script(service, "py:spin", type="embedded", limits={"max_execution_time_ms": 1000})
    execution = service.execute(target.id)
    assert execution.status == "timeout"
    assert execution.error is not None
    assert execution.error.message == "The script ran longer than 1000 ms"
    with pytest.raises(ScriptTimeoutError):
        service.call(target.name)


def test_output_beyond_the_limit_fails_the_run(
    service: ScriptService, runner: PythonRunner
) -> None:
    runner.scripts["py:big"] = lambda context, host: "x" * context["input"]["size"]
    target = script(service, "py:big", limits={"max_output_bytes": 1024})
    assert service.execute(target.id, {"size": 1000}).status == "completed"
    execution = service.execute(target.id, {"size": 5000})
    assert execution.status == "failed"
    assert execution.output is None
    assert execution.error is not None
    assert execution.error.name == "OutputTooLarge"
    assert "5,002 bytes of JSON; the limit is 1,024" in execution.error.message


def test_a_runner_that_raises_fails_the_run(service: ScriptService, runner: PythonRunner) -> None:
    def crash(context: Mapping[str, Any], host: SdkHost) -> Any:
        raise RuntimeError("engine exploded")

    runner.scripts["py:crash"] = crash
    execution = service.execute(script(service, "py:crash").id)
    assert execution.status == "failed"
    assert execution.error is not None
    assert execution.error.name == "InternalError"
    assert "engine exploded" not in execution.error.message  # no engine internals leak


@pytest.mark.parametrize(
    ("input", "problem"),
    [
        ([1, 2], "must be a JSON object"),
        ("text", "must be a JSON object"),
        ({"x": float("nan")}, "must be JSON"),
        ({"x": object()}, "must be JSON"),
        ({"x": "y" * (1024 * 1024)}, "bytes of JSON; the limit is 1,048,576"),
    ],
)
def test_bad_input_is_refused_before_anything_runs(
    service: ScriptService, runner: PythonRunner, input: Any, problem: str
) -> None:
    runner.scripts["py:ok"] = lambda context, host: None
    target = script(service, "py:ok")
    with pytest.raises(ScriptValidationError) as caught:
        service.execute(target.id, input)
    assert problem in caught.value.errors["input"]
    assert service.executions(target.id).total == 0
    assert runner.runs == []


def test_bad_triggers_are_refused(service: ScriptService, runner: PythonRunner) -> None:
    runner.scripts["py:ok"] = lambda context, host: None
    target = script(service, "py:ok")
    for trigger in (Trigger("webhook"), "manual", Trigger.event("x", {"n": float("inf")})):  # type: ignore[arg-type]
        with pytest.raises(ScriptValidationError) as caught:
            service.execute(target.id, trigger=trigger)  # type: ignore[arg-type]
        assert list(caught.value.errors) == ["trigger"]
    assert runner.runs == []


def test_input_is_copied_not_shared(service: ScriptService, runner: PythonRunner) -> None:
    runner.scripts["py:mutate"] = lambda context, host: context["input"]["items"].append(2)
    given = {"items": [1]}
    service.execute(script(service, "py:mutate").id, given)
    assert given == {"items": [1]}


def test_disabled_and_archived_scripts_never_run(
    service: ScriptService, runner: PythonRunner
) -> None:
    runner.scripts["py:ok"] = lambda context, host: "ran"
    target = script(service, "py:ok", type="embedded")
    for status in ("disabled", "archived"):
        service.update(target.id, status=status)
        with pytest.raises(ScriptStateError, match=f"is {status}; it cannot run"):
            service.execute(target.id)
        with pytest.raises(ScriptStateError):
            service.call(target.name)
    for status in ("draft", "active", "paused"):
        service.update(target.id, status=status)
        assert service.call(target.name) == "ran"


def test_call_runs_only_embedded_scripts(service: ScriptService, runner: PythonRunner) -> None:
    runner.scripts["py:ok"] = lambda context, host: context["trigger"]["type"]
    script(service, "py:ok", name="one off")
    script(service, "py:ok", name="a rule", type="embedded")
    assert service.call("a rule") == "api"
    with pytest.raises(ScriptStateError, match="is a oneoff script; call\\(\\) runs embedded"):
        service.call("one off")
    with pytest.raises(ScriptNotFoundError, match="No script named 'missing'"):
        service.call("missing")


class Gate:
    """Holds runs open until released, and tells when a number of them are running."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self._entered = threading.Semaphore(0)

    def __call__(self, context: Mapping[str, Any], host: SdkHost) -> Any:
        self._entered.release()
        assert self.release.wait(30)
        return "done"

    def wait_running(self, count: int) -> None:
        for _ in range(count):
            assert self._entered.acquire(timeout=30)


@pytest.fixture
def gate(runner: PythonRunner) -> Iterator[Gate]:
    gate = Gate()
    runner.scripts["py:gate"] = gate
    yield gate
    gate.release.set()


def test_runs_beyond_max_concurrent_runs_are_cancelled(service: ScriptService, gate: Gate) -> None:
    target = script(service, "py:gate", type="embedded", limits={"max_concurrent_runs": 2})
    results: list[Any] = []
    threads = [
        threading.Thread(target=lambda: results.append(service.execute(target.id)))
        for _ in range(2)
    ]
    for thread in threads:
        thread.start()
    gate.wait_running(2)
    refused = service.execute(target.id)
    assert refused.status == "cancelled"
    assert refused.error is not None
    assert refused.error.name == "ConcurrencyLimitError"
    assert "already has 2 running execution(s)" in refused.error.message
    assert refused.started_at is None
    with pytest.raises(ScriptBusyError):
        service.call(target.name)
    gate.release.set()
    for thread in threads:
        thread.join()
    assert [e.status for e in results] == ["completed", "completed"]
    assert service.execute(target.id).status == "completed"
    statuses = sorted(e.status for e in service.executions(target.id).items)
    assert statuses == ["cancelled", "cancelled", "completed", "completed", "completed"]


def test_concurrent_executions_never_exceed_the_limit(service: ScriptService, gate: Gate) -> None:
    target = script(service, "py:gate", limits={"max_concurrent_runs": 3})
    results: list[str] = []
    barrier = threading.Barrier(8)

    def run() -> None:
        barrier.wait()
        results.append(service.execute(target.id).status)

    threads = [threading.Thread(target=run) for _ in range(8)]
    for thread in threads:
        thread.start()
    gate.wait_running(3)
    while len(results) < 5:  # the five refused runs return while three are held open
        threading.Event().wait(0.01)
    assert results == ["cancelled"] * 5
    gate.release.set()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["cancelled"] * 5 + ["completed"] * 3


def test_sdk_calls_beyond_the_rate_limit_fail(
    repository: ScriptRepository, runner: PythonRunner
) -> None:
    now = [1000.0]
    service = ScriptService(repository, runner, limiter=SlidingWindowLimiter(clock=lambda: now[0]))

    def counter(context: Mapping[str, Any], host: SdkHost) -> Any:
        outcomes = []
        for _ in range(context["input"]["calls"]):
            try:
                outcomes.append(host.call("cache.increment", ["hits"]))
            except SdkError as exc:
                outcomes.append(str(exc))
        host.call("log.info", ["logging is not rate limited"])
        return outcomes

    runner.scripts["py:counter"] = counter
    target = script(service, "py:counter", limits={"max_api_calls_per_minute": 3})
    first = service.execute(target.id, {"calls": 2})
    assert first.output == [1, 2]
    second = service.execute(target.id, {"calls": 2})  # the window spans executions
    assert second.output == [3, "Rate limit exceeded"]
    assert second.metrics.cache_calls == 1
    now[0] += 61
    assert service.execute(target.id, {"calls": 1}).output == [4]


def test_logs_are_kept_on_the_execution_and_bounded(
    repository: ScriptRepository, runner: PythonRunner
) -> None:
    service = ScriptService(repository, runner, log_bounds=LogBounds(max_lines=5))

    def chatty(context: Mapping[str, Any], host: SdkHost) -> Any:
        host.call("log.info", ["starting", {"step": 1}])
        for n in range(context["input"]["lines"]):
            host.call("log.debug", [f"line {n}"])
        return None

    runner.scripts["py:chatty"] = chatty
    target = script(service, "py:chatty")
    quiet = service.execute(target.id, {"lines": 2})
    assert [(e.level, e.message, e.metadata) for e in quiet.logs] == [
        ("info", "starting", {"step": 1}),
        ("debug", "line 0", None),
        ("debug", "line 1", None),
    ]
    flood = service.execute(target.id, {"lines": 10_000})
    assert len(flood.logs) == 6
    assert flood.logs[-1].message.startswith("[log truncated: 9996 more line(s) dropped")
    assert flood.metrics.log_lines == 10_001
    assert service.execution(flood.id).logs == flood.logs


def test_events_published_by_a_script_reach_the_tenants_store(
    service: ScriptService, runner: PythonRunner, stores: dict[str, Any]
) -> None:
    runner.scripts["py:publish"] = lambda context, host: host.call(
        "events.publish", ["order.updated", {"order_id": "o-1"}]
    )
    target = script(service, "py:publish", tenant="globex")
    execution = service.execute(target.id, tenant="globex", user_id=5)
    assert execution.output is True
    assert execution.metrics.events_published == 1
    (event,) = stores["globex"].read()
    assert (event.type, event.data) == ("order.updated", {"order_id": "o-1"})
    assert event.event.metadata == {
        "tenant_id": "globex",
        "user_id": 5,
        "script_id": target.id,
        "execution_id": execution.id,
    }
    assert "acme" not in stores


def test_an_unconfigured_database_is_a_plain_sdk_error(
    service: ScriptService, runner: PythonRunner
) -> None:
    def query(context: Mapping[str, Any], host: SdkHost) -> Any:
        try:
            host.call("db.query", ["SELECT 1", []])
        except SdkError as exc:
            return str(exc)
        return "no error"

    runner.scripts["py:query"] = query
    assert service.execute(script(service, "py:query").id).output == "Database is not configured"


def test_closing_the_service_closes_the_runner(
    repository: ScriptRepository, runner: PythonRunner
) -> None:
    ScriptService(repository, runner).close()
    assert runner.closed


def test_unpaired_surrogates_from_a_script_are_stored_and_read_back(
    service: ScriptService, runner: PythonRunner
) -> None:
    def odd(context: Mapping[str, Any], host: SdkHost) -> Any:
        host.call("log.info", ["half a pair: \udfff", {"k": "\ud83d"}])
        return {"text": "\ud800", "input": context["input"]}

    runner.scripts["py:odd"] = odd
    execution = service.execute(script(service, "py:odd").id, {"given": "x\udc00"})
    assert execution.status == "completed"
    stored = service.execution(execution.id)
    assert stored.output == {"text": "\ud800", "input": {"given": "x\udc00"}}
    assert stored.logs[0].message == "half a pair: \udfff"
    assert stored.logs[0].metadata == {"k": "\ud83d"}
