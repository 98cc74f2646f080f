"""A handler's decision state, kept between commands (see :mod:`esruntime.commands.statecache`).

A handler that can hand out its state after ``apply_all`` and take it back into a fresh
instance implements :class:`SnapshotHandler`; the executor then folds only the events appended
since. Python handlers pickle their ``__dict__``; WebAssembly handlers copy the guest's memory
and mutable globals.
"""

from __future__ import annotations

from typing import Any, Protocol

from attrs import frozen

__all__ = ["SnapshotHandler", "StateSnapshot"]


@frozen
class StateSnapshot:
    """A handler's state after a fold, immutable: ``data`` is restored into a fresh handler by
    that handler's ``restore_state``; ``size`` is what it weighs in the cache, in bytes."""

    data: Any
    size: int


class SnapshotHandler(Protocol):
    """A handler whose state after ``apply_all`` can be kept and restored."""

    def snapshot_state(self) -> StateSnapshot | None:
        """The state now, or None when it cannot be kept (the command replays in full)."""
        ...

    def restore_state(self, snapshot: StateSnapshot) -> bool:
        """Replace this fresh handler's state with ``snapshot``; False when it cannot."""
        ...
