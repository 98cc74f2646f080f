"""The pipe between the pool and a worker: length-prefixed JSON frames, never pickle.

A worker runs untrusted code, so the parent reads nothing from it but bounded JSON it then
checks field by field (:func:`read_result`). Frames:

parent → worker  ``{"op": "run", "source", "context", "limits": [timeout_ms, memory, output,
                 log_lines]}``,
                 ``{"op": "reply", "id", "ok", "value"}``, ``{"op": "exit"}``
worker → parent  ``{"op": "ready"}``, ``{"op": "call", "id", "name", "args"}``,
                 ``{"op": "log", "name", "args"}`` (no reply), ``{"op": "done", "result"}``
"""

from __future__ import annotations

import contextlib
import json
import threading
from multiprocessing.connection import Connection
from typing import Any

from esruntime.scripts.runner import RunLimits, RunResult, ScriptFailure

__all__ = ["Channel", "ProtocolError", "read_result", "write_result"]

_STATUSES = ("completed", "failed", "timeout")


class ProtocolError(Exception):
    """A frame that is not what the protocol allows."""


class Channel:
    """Both ends of a worker's pipes; ``send`` may be called from several threads."""

    def __init__(self, reading: Connection, writing: Connection) -> None:
        self.reading = reading
        self.writing = writing
        self._lock = threading.Lock()

    @staticmethod
    def encode(message: Any) -> bytes:
        return json.dumps(message, allow_nan=False, separators=(",", ":")).encode()

    def send(self, message: Any) -> None:
        self.send_frame(self.encode(message))

    def send_frame(self, frame: bytes) -> None:
        with self._lock:
            self.writing.send_bytes(frame)

    def receive(self, max_bytes: int) -> dict[str, Any]:
        """The next frame; ``EOFError`` when the other side is gone, ``OSError`` for a frame
        longer than ``max_bytes``, :class:`ProtocolError` for anything but a JSON object."""
        data = self.reading.recv_bytes(max_bytes)
        try:
            message = json.loads(data)
        except (ValueError, RecursionError):
            raise ProtocolError("a frame is not JSON") from None
        if not isinstance(message, dict) or not isinstance(message.get("op"), str):
            raise ProtocolError("a frame is not an operation")
        return message

    def close(self) -> None:
        for connection in (self.reading, self.writing):
            with contextlib.suppress(OSError):  # already closed
                connection.close()


def write_result(result: RunResult) -> dict[str, Any]:
    error = result.error
    return {
        "status": result.status,
        "output": result.output,
        "error": None
        if error is None
        else [error.name, error.message, error.line, error.column, error.stack],
        "duration_ms": result.duration_ms,
        "memory_bytes": result.memory_bytes,
    }


def _optional(value: Any, kind: type) -> Any:
    if value is not None and (not isinstance(value, kind) or isinstance(value, bool)):
        raise ProtocolError("a result field has the wrong type")
    return value


def read_result(data: Any, limits: RunLimits) -> RunResult:
    """Check a worker's result field by field; the output must be within the output limit."""
    if not isinstance(data, dict) or data.get("status") not in _STATUSES:
        raise ProtocolError("a result has no valid status")
    raw = data.get("error")
    error = None
    if raw is not None:
        if not isinstance(raw, list) or len(raw) != 5:
            raise ProtocolError("a result's error is malformed")
        name, message, line, column, stack = raw
        if not isinstance(name, str) or not isinstance(message, str):
            raise ProtocolError("a result's error is malformed")
        error = ScriptFailure(
            name[:200], message, _optional(line, int), _optional(column, int), _optional(stack, str)
        )
    output = data.get("output")
    if data["status"] == "completed":
        size = len(json.dumps(output, ensure_ascii=False, separators=(",", ":")).encode())
        if error is not None or size > limits.output_bytes + 64:
            raise ProtocolError("a completed result is malformed or over the output limit")
    elif error is None or output is not None:
        raise ProtocolError("a result that did not complete has no error")
    duration = data.get("duration_ms")
    if not isinstance(duration, int | float) or isinstance(duration, bool):
        raise ProtocolError("a result has no duration")
    return RunResult(
        data["status"], output, error, float(duration), _optional(data.get("memory_bytes"), int)
    )
