"""The handler registry and the storage of its versions.

:class:`HandlerStorage` is what a backend implements: one tenant's uploaded handler versions
with their module bytes, which version is current, and hourly execution counts.
:class:`HandlerRegistry` is what the handler service
(:class:`esruntime.handlers.registry.HandlerService`) offers on top of it: the upload rules.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from esruntime.handlers.registry import HandlerVersion, UploadResult

__all__ = ["HandlerRegistry", "HandlerStorage"]


@runtime_checkable
class HandlerStorage(Protocol):
    """One tenant's handler versions, every version's module bytes kept.

    A handler's current version is the latest stored one unless :meth:`set_current` chose
    another. ``store`` and ``set_current`` are atomic; ``add_executions`` adds to what other
    processes added to the same hour.
    """

    @property
    def tenant(self) -> str: ...

    def store(self, handler: HandlerVersion, module: bytes) -> bool:
        """Keep a new version as the handler's current one.

        False, with nothing stored, when that version is stored already, or when a concurrent
        store of the same handler got in the way: the caller looks again and retries.
        """
        ...

    def set_current(self, name: str, version: str) -> bool:
        """Make a stored version the handler's current one; False when it is not stored."""
        ...

    def current(self, name: str) -> HandlerVersion | None:
        """The handler's current version, or None for an unknown handler."""
        ...

    def versions(self, name: str) -> list[HandlerVersion]:
        """Every version of a handler, oldest first."""
        ...

    def handlers(self) -> list[HandlerVersion]:
        """The current version of every handler, by name."""
        ...

    def module(self, name: str, version: str | None = None) -> bytes | None:
        """The module bytes of a version (the current one by default)."""
        ...

    def delete(self, name: str) -> bool:
        """Forget a handler and all its versions; False when there was none."""
        ...

    def add_executions(self, hour: int, counts: Mapping[str, int]) -> None:
        """Add executions per handler to the hour (hours since the epoch, UTC)."""
        ...

    def executions_since(self, name: str, hour: int) -> int:
        """Executions of a handler counted in ``hour`` and after."""
        ...

    def all_executions_since(self, hour: int) -> dict[str, int]:
        """Executions of every handler counted in ``hour`` and after, by name."""
        ...


@runtime_checkable
class HandlerRegistry(Protocol):
    """One tenant's uploaded handlers and the rules for uploading and choosing versions."""

    @property
    def tenant(self) -> str: ...

    def upload(self, name: str, module: bytes, version: str) -> UploadResult:
        """Validate and store ``module`` as ``version`` of command ``name``."""
        ...

    def make_current(self, name: str, version: str) -> UploadResult:
        """Make a stored version the one that runs the handler's commands."""
        ...

    def current(self, name: str) -> HandlerVersion | None:
        """The version that runs the handler's commands."""
        ...

    def versions(self, name: str) -> list[HandlerVersion]:
        """Every version of a handler, oldest first."""
        ...

    def handlers(self) -> list[HandlerVersion]:
        """The current version of every handler, by name."""
        ...

    def module(self, name: str, version: str | None = None) -> bytes | None:
        """The module bytes of a version (the current one by default)."""
        ...

    def delete(self, name: str) -> bool:
        """Forget a handler and all its versions; False when there was none."""
        ...

    def add_executions(self, hour: int, counts: Mapping[str, int]) -> None:
        """Add executions per handler to the hour (hours since the epoch, UTC)."""
        ...

    def executions_24h(self, name: str, now: datetime | None = None) -> int:
        """Executions of a handler in the current hour and the 23 before it."""
        ...

    def all_executions_24h(self, now: datetime | None = None) -> dict[str, int]:
        """:meth:`executions_24h` of every handler with executions, by name."""
        ...
