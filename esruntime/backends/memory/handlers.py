"""Handler versions and execution counts in process memory."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping

from esruntime.checks import check_tenant
from esruntime.handlers.registry import Describe, HandlerService, HandlerVersion
from esruntime.schema.model import Schema

__all__ = ["InMemoryHandlerRegistry", "InMemoryHandlerStorage"]


class InMemoryHandlerStorage:
    """One tenant's handler versions, their bytes and execution counts, under one lock."""

    def __init__(self, tenant: str = "default") -> None:
        self._tenant = check_tenant(tenant)
        self._versions: dict[str, list[tuple[HandlerVersion, bytes]]] = {}
        self._current: dict[str, str] = {}  # name -> current version
        self._executions: dict[tuple[str, int], int] = {}
        self._lock = threading.Lock()

    @property
    def tenant(self) -> str:
        return self._tenant

    def store(self, handler: HandlerVersion, module: bytes) -> bool:
        with self._lock:
            stored = self._versions.setdefault(handler.name, [])
            if any(v.version == handler.version for v, _ in stored):
                return False
            stored.append((handler, module))
            self._current[handler.name] = handler.version
            return True

    def set_current(self, name: str, version: str) -> bool:
        with self._lock:
            if not any(v.version == version for v, _ in self._versions.get(name, [])):
                return False
            self._current[name] = version
            return True

    def _current_of(self, name: str) -> tuple[HandlerVersion, bytes] | None:
        """The current version and its bytes (the caller holds the lock)."""
        version = self._current.get(name)
        return next(
            (pair for pair in self._versions.get(name, []) if pair[0].version == version), None
        )

    def current(self, name: str) -> HandlerVersion | None:
        with self._lock:
            pair = self._current_of(name)
        return None if pair is None else pair[0]

    def versions(self, name: str) -> list[HandlerVersion]:
        with self._lock:
            return [v for v, _ in self._versions.get(name, [])]

    def handlers(self) -> list[HandlerVersion]:
        with self._lock:
            pairs = (self._current_of(name) for name in sorted(self._versions))
            return [pair[0] for pair in pairs if pair is not None]

    def module(self, name: str, version: str | None = None) -> bytes | None:
        with self._lock:
            if version is None:
                pair = self._current_of(name)
                return None if pair is None else pair[1]
            for handler, module in self._versions.get(name, []):
                if handler.version == version:
                    return module
        return None

    def delete(self, name: str) -> bool:
        with self._lock:
            self._current.pop(name, None)
            return self._versions.pop(name, None) is not None

    def add_executions(self, hour: int, counts: Mapping[str, int]) -> None:
        with self._lock:
            for name, count in counts.items():
                self._executions[name, hour] = self._executions.get((name, hour), 0) + count

    def executions_since(self, name: str, hour: int) -> int:
        with self._lock:
            return sum(n for (key, h), n in self._executions.items() if key == name and h >= hour)

    def all_executions_since(self, hour: int) -> dict[str, int]:
        counts: dict[str, int] = {}
        with self._lock:
            for (name, h), n in self._executions.items():
                if h >= hour:
                    counts[name] = counts.get(name, 0) + n
        return counts


class InMemoryHandlerRegistry(HandlerService):
    """A convenience: the handler service over a new :class:`InMemoryHandlerStorage` (it adds
    nothing else)."""

    def __init__(
        self,
        describe: Describe,
        schema: Callable[[], Schema | None] = lambda: None,
        tenant: str = "default",
    ) -> None:
        super().__init__(InMemoryHandlerStorage(tenant), describe, schema)
