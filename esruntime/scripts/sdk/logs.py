"""``sdk.log``: the lines a script logs, kept on its execution (bounded) and sent to Python logging.

A script that floods its log cannot grow the execution record or the host's logs without
bound: a line's message and metadata are cut to a size, and once the execution has kept
``max_lines`` lines or ``max_bytes`` bytes the rest are counted, not kept, and one marker line
says how many were dropped.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from attrs import frozen

from esruntime.errors import SdkError
from esruntime.scripts.models import LogEntry, LogLevel

__all__ = ["ExecutionLog", "LogBounds"]

logger = logging.getLogger("esruntime.scripts")

_LEVELS: Mapping[str, int] = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warn": logging.WARNING,
    "error": logging.ERROR,
}
TRUNCATED = "… [truncated]"


@frozen
class LogBounds:
    """How much of a script's log one execution keeps."""

    max_lines: int = 1000
    max_bytes: int = 256 * 1024
    max_message_chars: int = 4000
    max_metadata_bytes: int = 4096


class ExecutionLog:
    """The log of one execution: ``add`` a line, read ``entries`` (with the marker, if any)."""

    def __init__(
        self,
        *,
        tenant: str,
        script_id: str,
        execution_id: str,
        user_id: Any = None,
        bounds: LogBounds = LogBounds(),
    ) -> None:
        self._bounds = bounds
        self._ids = {
            "tenant_id": tenant,
            "script_id": script_id,
            "execution_id": execution_id,
            "user_id": user_id,
        }
        self._entries: list[LogEntry] = []
        self._bytes = 0
        self.dropped = 0
        self._lock = threading.Lock()

    def call(self, level: str, args: list[Any]) -> None:
        """``log.{level}(message, metadata?)`` from a script, or ``log.dropped([count])``: lines
        the engine dropped without sending them (past ``RunLimits.log_lines``)."""
        if level == "dropped":
            count = args[0] if len(args) == 1 else None
            if isinstance(count, bool) or not isinstance(count, int) or count < 0:
                raise SdkError("log.dropped takes (count)")
            self.drop(count)
            return
        if level not in _LEVELS:
            raise SdkError(f"Unknown SDK call 'log.{level}'")
        if not 1 <= len(args) <= 2:
            raise SdkError(f"log.{level} takes (message, metadata?), got {len(args)} argument(s)")
        metadata = args[1] if len(args) == 2 else None
        if metadata is not None and not isinstance(metadata, Mapping):
            raise SdkError(f"log.{level}: metadata must be an object")
        self.add(level, args[0], metadata)  # type: ignore[arg-type]

    def add(self, level: LogLevel, message: Any, metadata: Mapping[str, Any] | None = None) -> None:
        text = message if isinstance(message, str) else _json(message)
        if len(text) > self._bounds.max_message_chars:
            text = text[: self._bounds.max_message_chars] + TRUNCATED
        size = len(text.encode("utf-8", "surrogatepass"))
        if metadata is not None:
            encoded = _json(metadata)
            metadata_size = len(encoded.encode("utf-8", "surrogatepass"))
            if metadata_size > self._bounds.max_metadata_bytes:
                metadata = {"truncated": f"metadata of {metadata_size:,} bytes dropped"}
                metadata_size = 64
            else:
                metadata = json.loads(encoded)  # stored as the JSON it is, nothing live
            size += metadata_size
        with self._lock:
            # Once a line is dropped, so are all after it: what is kept is a prefix of the log.
            keep = (
                not self.dropped
                and len(self._entries) < self._bounds.max_lines
                and self._bytes + size <= self._bounds.max_bytes
            )
            if keep:
                self._entries.append(LogEntry(level, text, metadata, datetime.now(UTC)))
                self._bytes += size
            else:
                self.dropped += 1
            first_drop = self.dropped == 1 and not keep
        if keep:
            logger.log(
                _LEVELS[level],
                "script %s: %s",
                self._ids["script_id"],
                text,
                extra={**self._ids, "script_metadata": metadata},
            )
        elif first_drop:
            self._warn_dropped()

    def drop(self, count: int) -> None:
        """Count lines that were never kept; every line after them is dropped too."""
        if count <= 0:
            return
        with self._lock:
            first_drop = not self.dropped
            self.dropped += count
        if first_drop:
            self._warn_dropped()

    def _warn_dropped(self) -> None:
        logger.warning(
            "script %s: log limit reached; further lines of execution %s are dropped",
            self._ids["script_id"],
            self._ids["execution_id"],
            extra=self._ids,
        )

    @property
    def entries(self) -> tuple[LogEntry, ...]:
        with self._lock:
            entries = tuple(self._entries)
            dropped = self.dropped
        if dropped:
            marker = LogEntry(
                "warn",
                f"[log truncated: {dropped} more line(s) dropped; the limit is "
                f"{self._bounds.max_lines} lines or {self._bounds.max_bytes:,} bytes]",
                None,
                datetime.now(UTC),
            )
            entries = (*entries, marker)
        return entries

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)


def _json(value: Any) -> str:
    try:
        return json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return repr(value)
