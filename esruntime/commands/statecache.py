"""Decision states kept between commands, so that a command folds only what is new.

A command's handler folds every event its query selects before it decides. The executor keeps
the handler's state after that fold (a :class:`StateSnapshot`: a pickled Python handler, or a
WebAssembly guest's memory and globals) together with the head the fold reached; the next
command with the same handler, schema and query restores it into its fresh handler and reads
only ``read(query, start=head + 1)``. The append condition does not change (the same query,
``after=`` the head this decision saw), so a stale or wrong entry can only cost time.

An entry is checked on use against the registered handler and the schema object it was folded
under (a new handler version or schema is a miss, and the entry is replaced); owners also drop
entries eagerly (:meth:`StateCache.discard`) when a handler is replaced or a schema pushed, so
their memory is freed at once. The cache is bounded in bytes (least recently used dropped
first) and shared by every executor given it: a runtime gives one to all its tenants.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Hashable
from typing import Literal

from attrs import frozen
from cachetools import LRUCache

from esruntime.handlers.state import StateSnapshot

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MIN_EVENTS",
    "SEEN",
    "CachedState",
    "StateCache",
    "state_cache_of",
]

DEFAULT_MAX_BYTES = 64 * 1024 * 1024
"""Bytes of snapshots a cache keeps by default."""

DEFAULT_MIN_EVENTS = 16
"""A state is kept once its fold covered this many events: below that, replaying costs about
what taking and restoring a snapshot costs (see ``docs/commands.md``, "Cached decision state")."""

SEEN = 16_384
"""Streams remembered as commanded once (their states are kept when they come again)."""

_ENTRY_OVERHEAD = 256  # the key, the entry and its bookkeeping, roughly


@frozen
class CachedState:
    """A state folded from every matching event up to ``position`` (None: an empty store),
    under the handler registration ``handler`` and the schema object ``schema``."""

    handler: object
    schema: object
    position: int | None
    events: int
    """How many events the fold covered, in total."""
    snapshot: StateSnapshot


class StateCache:
    """Decision states by ``(owner, executor, handler name, query)``, bounded in bytes.

    ``max_bytes`` bounds the snapshots kept (an entry larger than that is not kept);
    ``min_events`` is how many events a fold must cover before its state is kept. A state is
    kept from a stream's second command on (:meth:`admit`), unless ``keep_first``: a stream
    commanded once then costs no snapshot and takes no room from the streams in use.
    Thread-safe; entries are immutable, so a rejected or failed command cannot change one.
    """

    def __init__(
        self,
        max_bytes: int = DEFAULT_MAX_BYTES,
        *,
        min_events: int = DEFAULT_MIN_EVENTS,
        keep_first: bool = False,
    ) -> None:
        if max_bytes < 0 or min_events < 0:
            raise ValueError("max_bytes and min_events must not be negative")
        self.max_bytes = max_bytes
        self.min_events = min_events
        self.keep_first = keep_first
        self._seen: dict[tuple[Hashable, ...], None] = {}
        self._entries: LRUCache[tuple[Hashable, ...], CachedState] = LRUCache(
            maxsize=max_bytes, getsizeof=_weight
        )
        self._lock = threading.Lock()
        self._tokens = itertools.count()

    def token(self) -> int:
        """A new identifier for an executor's entries (never reused, unlike ``id``)."""
        return next(self._tokens)

    @property
    def size(self) -> int:
        """Bytes of the entries kept now."""
        with self._lock:
            return int(self._entries.currsize)

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def get(self, key: tuple[Hashable, ...]) -> CachedState | None:
        with self._lock:
            return self._entries.get(key)

    def admit(self, key: tuple[Hashable, ...]) -> bool:
        """Whether a state of ``key`` that is not kept yet should be: at its stream's second
        fold (the first is only remembered, among the last :data:`SEEN` streams), or at once
        with ``keep_first``."""
        if self.keep_first:
            return True
        with self._lock:
            if key in self._seen:
                del self._seen[key]
                return True
            if len(self._seen) >= SEEN:
                del self._seen[next(iter(self._seen))]  # the oldest
            self._seen[key] = None
            return False

    def put(self, key: tuple[Hashable, ...], entry: CachedState) -> None:
        """Keep ``entry`` unless the one kept is further along (a concurrent command's)."""
        if _weight(entry) > self.max_bytes:
            return
        with self._lock:
            kept = self._entries.get(key)
            if (
                kept is not None
                and kept.handler is entry.handler
                and kept.schema is entry.schema
                and (kept.position or 0) > (entry.position or 0)
            ):
                return
            self._entries[key] = entry

    def discard(
        self, owner: Hashable, name: str | None = None, *, executor: int | None = None
    ) -> int:
        """Drop ``owner``'s entries (of handler ``name``, of the executor with token
        ``executor``, when given); how many."""
        with self._lock:
            doomed = [key for key in self._entries if _owned(key, owner, name, executor)]
            for key in doomed:
                del self._entries[key]
            for key in [k for k in self._seen if _owned(k, owner, name, executor)]:
                del self._seen[key]
        return len(doomed)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._seen.clear()


def state_cache_of(setting: StateCache | Literal[False] | None) -> StateCache | None:
    """The cache an option names: None for a new one with the default bounds, False for
    none (caching off), or the given one."""
    if setting is None:
        return StateCache()
    return None if setting is False else setting


def _owned(
    key: tuple[Hashable, ...], owner: Hashable, name: str | None, executor: int | None
) -> bool:
    return (
        key[0] == owner
        and (name is None or key[2] == name)
        and (executor is None or key[1] == executor)
    )


def _weight(entry: CachedState) -> int:
    return entry.snapshot.size + _ENTRY_OVERHEAD
