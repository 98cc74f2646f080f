"""``sdk.log`` from Python: lines kept on the execution, bounded, and sent to Python logging."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from esruntime.errors import SdkError
from esruntime.scripts.sdk.logs import ExecutionLog, LogBounds


def execution_log(**bounds: int) -> ExecutionLog:
    return ExecutionLog(
        tenant="acme",
        script_id="s-1",
        execution_id="e-1",
        user_id=7,
        bounds=LogBounds(**bounds),
    )


def test_lines_are_kept_in_order_with_level_metadata_and_time() -> None:
    log = execution_log()
    log.call("info", ["started"])
    log.call("warn", ["slow", {"ms": 1200}])
    log.call("error", ["failed", None])
    log.call("debug", [{"not": "a string"}])
    entries = log.entries
    assert [(e.level, e.message, e.metadata) for e in entries] == [
        ("info", "started", None),
        ("warn", "slow", {"ms": 1200}),
        ("error", "failed", None),
        ("debug", '{"not": "a string"}', None),
    ]
    assert all(e.timestamp is not None for e in entries)


def test_lines_go_to_python_logging_with_the_ids(caplog: pytest.LogCaptureFixture) -> None:
    log = execution_log()
    with caplog.at_level(logging.DEBUG, logger="esruntime.scripts"):
        log.call("warn", ["disk almost full", {"free": 3}])
        log.call("debug", ["details"])
    first, second = caplog.records
    assert first.name == "esruntime.scripts"
    assert first.levelno == logging.WARNING
    assert first.getMessage() == "script s-1: disk almost full"
    assert (first.tenant_id, first.script_id, first.execution_id, first.user_id) == (  # type: ignore[attr-defined]
        "acme",
        "s-1",
        "e-1",
        7,
    )
    assert first.script_metadata == {"free": 3}  # type: ignore[attr-defined]
    assert second.levelno == logging.DEBUG


def test_a_flood_keeps_a_prefix_and_ends_with_a_marker(caplog: pytest.LogCaptureFixture) -> None:
    log = execution_log(max_lines=3)
    with caplog.at_level(logging.DEBUG, logger="esruntime.scripts"):
        for n in range(100_000):
            log.call("info", [f"line {n}"])
    entries = log.entries
    assert [e.message for e in entries[:3]] == ["line 0", "line 1", "line 2"]
    assert entries[3].level == "warn"
    assert entries[3].message == (
        "[log truncated: 99997 more line(s) dropped; the limit is 3 lines or 262,144 bytes]"
    )
    assert log.dropped == 99_997
    # Python logging saw the kept lines and one warning, not the flood
    assert len(caplog.records) == 4
    assert "log limit reached" in caplog.records[-1].getMessage()


def test_the_total_size_is_bounded() -> None:
    log = execution_log(max_bytes=1000, max_message_chars=600)
    log.call("info", ["a" * 400])
    log.call("info", ["b" * 400])
    log.call("info", ["c" * 400])  # would pass 1000 bytes: dropped
    log.call("info", ["d"])  # and everything after it
    assert [e.message[0] for e in log.entries] == ["a", "b", "["]
    assert log.dropped == 2


def test_long_messages_and_metadata_are_cut() -> None:
    log = execution_log(max_message_chars=10, max_metadata_bytes=50)
    log.call("info", ["x" * 100, {"blob": "y" * 100}])
    (entry,) = log.entries
    assert entry.message == "x" * 10 + "… [truncated]"
    assert entry.metadata == {"truncated": "metadata of 112 bytes dropped"}


@pytest.mark.parametrize(
    ("level", "args", "message"),
    [
        ("info", [], "log.info takes (message, metadata?), got 0 argument(s)"),
        ("info", ["a", {}, 3], "log.info takes (message, metadata?), got 3 argument(s)"),
        ("warn", ["a", [1, 2]], "log.warn: metadata must be an object"),
        ("warn", ["a", "meta"], "log.warn: metadata must be an object"),
        ("trace", ["a"], "Unknown SDK call 'log.trace'"),
    ],
)
def test_malformed_calls_fail_precisely(level: str, args: list[Any], message: str) -> None:
    log = execution_log()
    with pytest.raises(SdkError) as caught:
        log.call(level, args)
    assert str(caught.value) == message
    assert log.entries == ()
