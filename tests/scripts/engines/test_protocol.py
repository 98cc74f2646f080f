"""A worker's result is checked field by field before the parent believes any of it."""

from __future__ import annotations

from typing import Any

import pytest

from esruntime.scripts.engines.protocol import ProtocolError, read_result, write_result
from esruntime.scripts.runner import RunLimits, RunResult, ScriptFailure

LIMITS = RunLimits(output_bytes=100)
FAILURE = ["TypeError", "bad", 3, 7, "TypeError: bad\n    at <script> (script:3:7)"]


def result(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "status": "completed",
        "output": {"a": 1},
        "error": None,
        "duration_ms": 1.5,
        "memory_bytes": 1000,
    }
    return base | fields


def test_a_result_survives_the_round_trip() -> None:
    failure = ScriptFailure("TypeError", "bad", 3, 7, "TypeError: bad")
    for original in (
        RunResult("completed", [1, "two"], None, 1.5, 2048),
        RunResult("failed", None, failure, 2.0, None),
        RunResult("timeout", None, ScriptFailure("TimeoutError", "late"), 300.0, None),
    ):
        assert read_result(write_result(original), LIMITS) == original


@pytest.mark.parametrize(
    "data",
    [
        "completed",
        result(status="done"),
        result(output="x" * 1000),
        result(error=FAILURE),
        result(status="failed", error=None, output=None),
        result(status="failed", error=FAILURE, output=1),
        result(status="failed", error=["TypeError", "bad", "3", 7, None], output=None),
        result(status="failed", error=["TypeError", "bad", True, 7, None], output=None),
        result(status="failed", error=["TypeError", 5, None, None, None], output=None),
        result(status="failed", error={"name": "TypeError"}, output=None),
        result(duration_ms="fast"),
        result(duration_ms=None),
        result(memory_bytes=1.5),
    ],
)
def test_a_malformed_result_is_refused(data: Any) -> None:
    with pytest.raises(ProtocolError):
        read_result(data, LIMITS)


def test_long_error_names_are_cut() -> None:
    data = result(status="failed", output=None, error=["E" * 5000, "m", None, None, None])
    error = read_result(data, LIMITS).error
    assert error is not None
    assert len(error.name) == 200
