"""Script failures as the host sees them: JavaScript errors mapped onto the script's own lines,
and the failures the runner itself reports (time, memory and output limits, a stalled script,
a broken engine).

Engine stacks name every frame ``<file>:LINE:COLUMN``; the script is compiled below the prelude's
padding, so frames at or after :func:`~esruntime.scripts.engines.payload.first_script_line` are
the script's and every other frame (the prelude, the bridge) is dropped.
"""

from __future__ import annotations

import re
from typing import Any

from esruntime.scripts.engines.payload import first_script_line
from esruntime.scripts.runner import RunLimits, ScriptFailure

__all__ = [
    "engine_failure",
    "located",
    "memory_failure",
    "output_failure",
    "script_failure",
    "stalled_failure",
    "timeout_failure",
]

# "    at name (file:12:5)", "    at file:12:5", V8's "at eval (eval at f (<anonymous>:3:1), x:4:2)"
_FRAME = re.compile(
    r"^\s*at (?:(?P<name>[^()]*?) \()?(?P<where>.*?)(?::(?P<line>\d+):(?P<col>\d+))\)?$"
)
_SCRIPT_NAMES = frozenset({"anonymous", "eval", "<anonymous>", "<eval>", "async eval", ""})


def _frames(stack: str | None) -> list[tuple[str, int, int]]:
    """The script's own frames of an engine stack: (function, line, column), innermost first."""
    if not stack:
        return []
    first = first_script_line()
    frames = []
    for text in stack.splitlines():
        match = _FRAME.match(text)
        if match is None:
            continue
        line = int(match["line"])
        if line < first:
            continue
        name = (match["name"] or "").strip()
        name = name.removeprefix("async ").removeprefix("new ")
        frames.append(
            ("<script>" if name in _SCRIPT_NAMES else name, line - first + 1, int(match["col"]))
        )
    return frames


def script_failure(record: Any, *, limits: RunLimits) -> ScriptFailure:
    """A failure from the prelude's error record (``name``, ``message``, ``stack``)."""
    if not isinstance(record, dict):
        return engine_failure("the engine reported an unreadable error")
    name = str(record.get("name", "Error"))[:200]
    message = str(record.get("message", ""))
    stack = record.get("stack")
    if name == "OutputLimitError":
        return output_failure(limits, None)
    if name == "InternalError" and message == "out of memory":
        return memory_failure(limits, stack if isinstance(stack, str) else None)
    return located(name, message, stack if isinstance(stack, str) else None)


def located(name: str, message: str, stack: str | None) -> ScriptFailure:
    """A failure whose line and column are those of the innermost frame of the script."""
    frames = _frames(stack)
    line, column = (frames[0][1], frames[0][2]) if frames else (None, None)
    text = None
    if frames:
        header = f"{name}: {message}" if message else name
        text = "\n".join([header, *(f"    at {fn} (script:{ln}:{col})" for fn, ln, col in frames)])
    return ScriptFailure(name=name, message=message, line=line, column=column, stack=text)


def timeout_failure(limits: RunLimits) -> ScriptFailure:
    # Engines report an interrupted function's first line, not the running one: no location.
    message = f"Script exceeded its time limit of {limits.timeout_ms} ms"
    return ScriptFailure(name="TimeoutError", message=message)


def memory_failure(limits: RunLimits, stack: str | None = None) -> ScriptFailure:
    message = f"Script exceeded its memory limit of {_size(limits.memory_bytes)}"
    return located("MemoryLimitError", message, stack)


def output_failure(limits: RunLimits, size: int | None) -> ScriptFailure:
    actual = "" if size is None else f" ({size} bytes)"
    message = f"Script output exceeds the limit of {limits.output_bytes} bytes of JSON{actual}"
    return ScriptFailure(name="OutputLimitError", message=message)


def stalled_failure() -> ScriptFailure:
    message = "Script is waiting for a promise that nothing can settle"
    return ScriptFailure(name="StalledScriptError", message=message)


def engine_failure(message: str) -> ScriptFailure:
    return ScriptFailure(name="EngineError", message=message)


def _size(count: int) -> str:
    if count % 2**20 == 0:
        return f"{count // 2**20} MiB ({count} bytes)"
    return f"{count} bytes"
