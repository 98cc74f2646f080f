"""The script runner contract: one suite that every :class:`~esruntime.protocols.ScriptRunner`
that enforces its limits passes (needs pytest).

Subclass :class:`ScriptRunnerContract` and provide a ``runner`` fixture (closed by the fixture
when the test is done). The suite checks what the script service relies on: a run always
answers with a :class:`~esruntime.scripts.runner.RunResult` and never raises, SDK calls reach
the host, failures point into the script, limits hold, and runs from several threads at once
keep to their own context.
"""

from __future__ import annotations

import threading
from typing import Any

from esruntime.errors import SdkError
from esruntime.protocols.scripts import ScriptRunner
from esruntime.scripts.runner import RunLimits, RunResult
from esruntime.testing.threads import run_together

__all__ = ["EchoHost", "ScriptRunnerContract"]

LIMITS = RunLimits(timeout_ms=10_000)
SHORT = RunLimits(timeout_ms=300)


class EchoHost:
    """An SDK host that records each call and answers with it; ``"fail"`` as the first
    argument raises :class:`SdkError`."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, list[Any]]] = []
        self._lock = threading.Lock()

    def call(self, name: str, args: list[Any]) -> Any:
        with self._lock:
            self.calls.append((name, args))
        if args and args[0] == "fail":
            raise SdkError("Rate limit exceeded")
        return None if name.startswith("log.") else {"name": name, "args": args}


def run(
    runner: ScriptRunner,
    source: str,
    *,
    context: dict[str, Any] | None = None,
    host: EchoHost | None = None,
    limits: RunLimits = LIMITS,
) -> RunResult:
    return runner.run(
        source, context=context or {"input": None}, host=host or EchoHost(), limits=limits
    )


class ScriptRunnerContract:
    """The behaviour every sandboxed script runner must have."""

    def test_the_returned_value_is_the_output(self, runner: ScriptRunner) -> None:
        result = run(runner, "const v = await Promise.resolve(41);\nreturn {v: v + 1, s: 'ü☃'}")
        assert (result.status, result.output, result.error) == (
            "completed",
            {"v": 42, "s": "ü☃"},
            None,
        )
        assert result.duration_ms >= 0

    def test_the_context_is_the_scripts_own(self, runner: ScriptRunner) -> None:
        result = run(runner, "return context.input.amount * 2", context={"input": {"amount": 21}})
        assert result.output == 42

    def test_an_sdk_call_reaches_the_host_and_answers(self, runner: ScriptRunner) -> None:
        host = EchoHost()
        result = run(runner, "return await sdk.cache.get('k')", host=host)
        assert result.output == {"name": "cache.get", "args": ["k"]}
        assert host.calls == [("cache.get", ["k"])]

    def test_an_sdk_error_is_catchable_with_its_message(self, runner: ScriptRunner) -> None:
        source = "try { await sdk.cache.get('fail') } catch (e) { return e.message }"
        assert run(runner, source).output == "Rate limit exceeded"

    def test_a_thrown_error_fails_the_run_at_its_line(self, runner: ScriptRunner) -> None:
        result = run(runner, "const a = 1;\n\nthrow new RangeError('too big: ' + a);")
        assert result.status == "failed"
        assert result.output is None
        assert result.error is not None
        assert (result.error.name, result.error.message, result.error.line) == (
            "RangeError",
            "too big: 1",
            3,
        )

    def test_a_syntax_error_fails_the_run(self, runner: ScriptRunner) -> None:
        result = run(runner, "return {;")
        assert result.status == "failed"
        assert result.error is not None
        assert "SyntaxError" in result.error.name

    def test_an_endless_loop_times_out(self, runner: ScriptRunner) -> None:
        result = run(runner, "for (;;) {}", limits=SHORT)
        assert result.status == "timeout"
        assert result.output is None
        assert result.error is not None
        assert result.duration_ms >= SHORT.timeout_ms

    def test_output_over_the_limit_fails(self, runner: ScriptRunner) -> None:
        limits = RunLimits(timeout_ms=10_000, output_bytes=1000)
        result = run(runner, "return 'x'.repeat(5000)", limits=limits)
        assert result.status == "failed"
        assert result.output is None

    def test_hostile_sources_fail_without_raising(self, runner: ScriptRunner) -> None:
        for source in ("\x00", "return " + "[" * 10_000 + "]" * 10_000, "}" * 1000, ""):
            result = run(runner, source)
            assert result.status in ("completed", "failed")

    def test_concurrent_runs_keep_their_own_context(self, runner: ScriptRunner) -> None:
        source = "await sdk.cache.get(context.input);\nreturn context.input * 10"

        def one(i: int) -> Any:
            return run(runner, source, context={"input": i}).output

        assert run_together(6, one) == [i * 10 for i in range(6)]
