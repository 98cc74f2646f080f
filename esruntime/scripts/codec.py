"""JSON documents of the parts of scripts and executions that backends store as text.

A private cattrs converter (``forbid_extra_keys``) turns stored documents back into values, so a
document a newer or foreign writer changed is refused loudly rather than half-read.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import cattrs

from esruntime.scripts.models import (
    ExecutionFailure,
    ExecutionMetrics,
    LogEntry,
    ScriptLimits,
    Trigger,
)

__all__ = [
    "dump",
    "dump_logs",
    "load_failure",
    "load_limits",
    "load_logs",
    "load_metrics",
    "load_trigger",
]

_converter = cattrs.Converter(forbid_extra_keys=True)
_converter.register_structure_hook(datetime, lambda value, _: datetime.fromisoformat(value))
_converter.register_structure_hook(Any, lambda value, _: value)


def dump(value: Any) -> str:
    """Compact JSON, as stored: UTF-8 text as it is, unless it holds an unpaired surrogate (a
    JavaScript string may), which only an escape can carry."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(value, separators=(",", ":"))
    return text


def load_limits(text: str) -> ScriptLimits:
    return _converter.structure(json.loads(text), ScriptLimits)


def load_failure(text: str | None) -> ExecutionFailure | None:
    if text is None:
        return None
    return _converter.structure(json.loads(text), ExecutionFailure)


def load_metrics(text: str) -> ExecutionMetrics:
    return _converter.structure(json.loads(text), ExecutionMetrics)


def load_trigger(text: str) -> Trigger:
    return Trigger.from_context(json.loads(text))


def dump_logs(logs: tuple[LogEntry, ...]) -> str:
    return dump([entry.to_dict() for entry in logs])


def load_logs(text: str) -> tuple[LogEntry, ...]:
    return tuple(
        LogEntry(
            item["level"],
            item["message"],
            item.get("metadata"),
            None if item.get("timestamp") is None else datetime.fromisoformat(item["timestamp"]),
        )
        for item in json.loads(text)
    )
