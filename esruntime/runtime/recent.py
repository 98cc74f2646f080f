"""Lookups reused for a short while (:class:`Recent`), or while the tenant's revision stays the
same (:class:`Revised`): a tenant's current schema and handler versions.

With ``interval`` 0 (the runtime's default) every lookup goes to the registry, so a change made
anywhere is seen by the next command. A positive interval trades that for speed: a value looked
up less than ``interval`` seconds ago is reused (changes made through the same tenant object are
seen at once, as it forgets what they change).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

__all__ = ["Recent", "Revised"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Recent(Generic[K, V]):
    """Values by key, each reused for ``interval`` seconds after it was looked up.

    None is never kept (a key that was not found is looked up again), so keys chosen by clients
    cannot grow the cache beyond what exists.
    """

    def __init__(self, interval: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = interval
        self._clock = clock
        self._entries: dict[K, tuple[float, V]] = {}

    def get(self, key: K, look_up: Callable[[], V | None]) -> V | None:
        if self.interval <= 0:
            return look_up()
        now = self._clock()
        entry = self._entries.get(key)
        if entry is not None and entry[0] > now:
            return entry[1]
        value = look_up()
        if value is None:
            self._entries.pop(key, None)
        else:
            self._entries[key] = (now + self.interval, value)
        return value

    def forget(self, key: K) -> None:
        self._entries.pop(key, None)


class Revised(Generic[K, V]):
    """Values by key, each reused while the revision it was looked up under is the one asked
    for: a tenant whose revision moved looks everything up again.

    The revision is read before the lookup, so a value is never older than its revision; a
    thread storing a value of an older revision last costs a lookup, never a stale value. None
    is never kept.
    """

    def __init__(self) -> None:
        self._entries: dict[K, tuple[int, V]] = {}

    def get(self, key: K, revision: int, look_up: Callable[[], V | None]) -> V | None:
        entry = self._entries.get(key)
        if entry is not None and entry[0] == revision:
            return entry[1]
        value = look_up()
        if value is None:
            self._entries.pop(key, None)
        else:
            self._entries[key] = (revision, value)
        return value
