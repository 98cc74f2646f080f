"""What a runner refuses before running anything: bad contexts, limits and sources, a closed
runner. These are the host's mistakes, so they raise instead of failing the run."""

from __future__ import annotations

import re
import subprocess
import sys
from typing import Any

import pytest

from esruntime.errors import ConfigurationError, ScriptRunnerError
from esruntime.scripts.engines import DukpyRunner, MiniRacerRunner, QuickJsRunner
from esruntime.scripts.runner import RunLimits
from tests.scripts.engines.conftest import Js, RecordingHost


@pytest.mark.parametrize(
    ("context", "message"),
    [
        ({"tenant": "t"}, "unknown script context keys: tenant"),
        ({"trigger": {"kind": "cron"}}, "unknown script trigger keys: kind"),
        ({"trigger": "cron"}, "the script context's trigger must be a mapping"),
        ({"input": {"when": object()}}, "the script context is not JSON"),
        ({"input": {"n": float("nan")}}, "the script context is not JSON"),
        (["tenantId"], "the script context must be a mapping"),
    ],
)
def test_a_context_the_script_cannot_see_as_specified_is_refused(
    context: Any, message: str
) -> None:
    with QuickJsRunner() as runner, pytest.raises(ScriptRunnerError, match=message):
        runner.run("return 1", context=context, host=RecordingHost(), limits=RunLimits())


def test_missing_context_keys_are_null_and_input_an_empty_object() -> None:
    js = Js("quickjs")
    try:
        assert js.output(
            "return [context.tenantId, context.input, context.trigger.type]", context={}
        ) == [
            None,
            {},
            None,
        ]
    finally:
        js.close()


@pytest.mark.parametrize(
    "limits",
    [
        RunLimits(timeout_ms=0),
        RunLimits(memory_bytes=-1),
        RunLimits(output_bytes=0),
        RunLimits(timeout_ms=1.5),  # type: ignore[arg-type]
        RunLimits(timeout_ms=True),
    ],
)
def test_limits_no_run_can_honour_are_refused(limits: RunLimits) -> None:
    with QuickJsRunner() as runner, pytest.raises(ScriptRunnerError, match="must be a positive"):
        runner.run("return 1", context={}, host=RecordingHost(), limits=limits)


def test_a_source_must_be_text() -> None:
    with QuickJsRunner() as runner, pytest.raises(ScriptRunnerError, match="must be a string"):
        runner.run(b"return 1", context={}, host=RecordingHost(), limits=RunLimits())  # type: ignore[arg-type]


def test_a_closed_runner_refuses_runs() -> None:
    runner = QuickJsRunner()
    runner.close()
    runner.close()
    with pytest.raises(ScriptRunnerError, match="closed"):
        runner.run("return 1", context={}, host=RecordingHost(), limits=RunLimits())


def test_odd_sources_are_scripts_like_any_other(js: Js) -> None:
    assert js.output("") is None
    assert js.output("return '\\u0000' + 'a'") == "\x00a"
    assert js.output("return 'a\x00b'") == "a\x00b"
    assert js.output("// only a comment") is None
    assert js.output("return '\ud800'.length") == 1
    result = js.run("})(); (function() {")
    assert result.status == "failed"
    assert result.error is not None
    assert result.error.name == "SyntaxError"


def test_a_large_context_input_reaches_the_script(js: Js) -> None:
    context = {"input": {"rows": [{"id": i, "name": f"row {i}"} for i in range(20_000)]}}
    assert js.output("return context.input.rows.length", context=context) == 20_000


def test_importing_the_engines_imports_no_optional_engine() -> None:
    program = (
        "import sys, esruntime, esruntime.scripts.engines;"
        "print(sorted(m for m in ('dukpy', 'py_mini_racer') if m in sys.modules))"
    )
    found = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True)
    assert found.stdout.strip() == "[]", found.stderr


@pytest.mark.parametrize(
    ("module", "make", "extra"),
    [
        ("dukpy", lambda: DukpyRunner(trusted=True), "esruntime[dukpy]"),
        ("py_mini_racer", MiniRacerRunner, "esruntime[v8]"),
    ],
)
def test_a_missing_optional_engine_names_its_extra(
    monkeypatch: pytest.MonkeyPatch, module: str, make: Any, extra: str
) -> None:
    for name in [m for m in sys.modules if m == module or m.startswith(module + ".")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, module, None)
    with pytest.raises(ImportError, match=re.escape(f"pip install '{extra}'")):
        make()


def test_dukpy_in_process_must_be_declared_trusted() -> None:
    with pytest.raises(ConfigurationError, match="dukpy is not a sandbox"):
        DukpyRunner()
