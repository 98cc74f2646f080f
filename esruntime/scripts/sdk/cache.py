"""``sdk.cache``: a key-value cache with TTLs, confined to one tenant's script.

:class:`ScriptCacheView` is what a script's calls reach: it checks the arguments, prefixes every
key with ``tenant:{tenantId}:script:{scriptId}:`` and stores values as JSON text, so nothing a
script stores is shared as a live object and every size is known. The backend
(:class:`ScriptCache`) only sees full keys and JSON text: :class:`InMemoryScriptCache` (process
memory, cachetools, bounded) or :class:`~esruntime.scripts.sdk.redis.RedisScriptCache` (shared by
several processes).
"""

from __future__ import annotations

import json
import math
import threading
import time
from typing import Any, Protocol

from cachetools import TLRUCache

from esruntime.errors import SdkError

__all__ = [
    "MAX_KEY_LENGTH",
    "MAX_TTL_SECONDS",
    "MAX_VALUE_BYTES",
    "InMemoryScriptCache",
    "ScriptCache",
    "ScriptCacheView",
    "cache_prefix",
]

MAX_KEY_LENGTH = 512
MAX_VALUE_BYTES = 512 * 1024
MAX_TTL_SECONDS = 30 * 24 * 3600


class ScriptCache(Protocol):
    """A cache backend: full keys, values as JSON text, TTLs in seconds (None: no expiry)."""

    def get(self, key: str) -> str | None: ...

    def set(self, key: str, value: str, ttl: float | None) -> None: ...

    def delete(self, key: str) -> bool:
        """True when the key existed."""
        ...

    def exists(self, key: str) -> bool: ...

    def increment(self, key: str, delta: int | float) -> int | float:
        """Add ``delta`` to the number at ``key`` (0 when missing) atomically; keeps its TTL.

        Raises ``ValueError`` when the stored value is not a number.
        """
        ...


def cache_prefix(tenant: str, script_id: str) -> str:
    return f"tenant:{tenant}:script:{script_id}:"


class ScriptCacheView:
    """The ``cache.*`` calls of one script: argument checks, key prefixing, JSON values."""

    def __init__(self, backend: ScriptCache, tenant: str, script_id: str) -> None:
        self._backend = backend
        self.prefix = cache_prefix(tenant, script_id)

    def call(self, method: str, args: list[Any]) -> Any:
        if method == "get":
            (key,) = _arity(method, args, 1, 1, "key")
            text = self._backend.get(self._key(method, key))
            return None if text is None else json.loads(text)
        if method == "set":
            key, value, ttl = _arity(method, args, 2, 3, "key, value, ttl?")
            self._backend.set(self._key(method, key), _encode(value), _ttl(ttl))
            return True
        if method == "delete":
            (key,) = _arity(method, args, 1, 1, "key")
            return self._backend.delete(self._key(method, key))
        if method == "exists":
            (key,) = _arity(method, args, 1, 1, "key")
            return self._backend.exists(self._key(method, key))
        if method == "increment":
            key, delta = _arity(method, args, 1, 2, "key, delta?")
            try:
                return self._backend.increment(self._key(method, key), _delta(delta))
            except ValueError:
                raise SdkError(f"cache.increment: the value at {key!r} is not a number") from None
        raise SdkError(f"Unknown SDK call 'cache.{method}'")

    def _key(self, method: str, key: object) -> str:
        if not isinstance(key, str) or not key:
            raise SdkError(f"cache.{method}: the key must be a non-empty string")
        if len(key) > MAX_KEY_LENGTH:
            raise SdkError(
                f"cache.{method}: the key is {len(key)} characters; the limit is {MAX_KEY_LENGTH}"
            )
        return self.prefix + key


def _arity(method: str, args: list[Any], low: int, high: int, names: str) -> list[Any]:
    if not low <= len(args) <= high:
        raise SdkError(f"cache.{method} takes ({names}), got {len(args)} argument(s)")
    return [*args, *[None] * (high - len(args))]


def _encode(value: Any) -> str:
    try:
        text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
        size = len(text.encode("utf-8"))
    except UnicodeEncodeError:  # an unpaired surrogate: only an escape can carry it
        text = json.dumps(value, separators=(",", ":"), allow_nan=False)
        size = len(text)
    except (TypeError, ValueError):
        raise SdkError("cache.set: the value must be JSON (no NaN or Infinity)") from None
    if size > MAX_VALUE_BYTES:
        raise SdkError(f"cache.set: the value is {size:,} bytes; the limit is {MAX_VALUE_BYTES:,}")
    return text


def _ttl(ttl: Any) -> float | None:
    if ttl is None:
        return None
    if not _is_number(ttl) or not 0 < ttl <= MAX_TTL_SECONDS:
        raise SdkError(
            f"cache.set: ttl must be a number of seconds above 0 and at most {MAX_TTL_SECONDS}"
        )
    return float(ttl)


def _delta(delta: Any) -> int | float:
    if delta is None:
        return 1
    if not _is_number(delta):
        raise SdkError("cache.increment: delta must be a finite number")
    return int(delta) if float(delta).is_integer() and abs(delta) < 2**53 else float(delta)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def stored_number(text: str | bytes) -> int | float:
    """The number stored as JSON ``text``; ValueError when it is something else."""
    value = json.loads(text)
    if not _is_number(value):
        raise ValueError("not a number")
    return value  # type: ignore[no-any-return]


def incremented(current: int | float, delta: int | float) -> int | float:
    """``current + delta`` as a JavaScript number can hold it."""
    total = current + delta
    if isinstance(total, int) and abs(total) > 2**53:
        total = float(total)
    if isinstance(total, float) and not math.isfinite(total):
        raise SdkError("cache.increment: the result is not a finite number")
    return total


class InMemoryScriptCache:
    """A :class:`ScriptCache` in process memory: at most ``max_entries`` keys (the least
    recently used go first), expired keys dropped; every operation under one lock."""

    def __init__(self, max_entries: int = 100_000, *, timer: Any = time.monotonic) -> None:
        self._timer = timer
        self._entries: TLRUCache[str, tuple[str, float]] = TLRUCache(
            maxsize=max_entries, ttu=lambda _key, value, _now: value[1], timer=timer
        )
        self._lock = threading.Lock()

    def _expiry(self, ttl: float | None) -> float:
        return math.inf if ttl is None else self._timer() + ttl

    def get(self, key: str) -> str | None:
        with self._lock:
            found = self._entries.get(key)
        return None if found is None else found[0]

    def set(self, key: str, value: str, ttl: float | None) -> None:
        with self._lock:
            self._entries[key] = (value, self._expiry(ttl))

    def delete(self, key: str) -> bool:
        with self._lock:
            return self._entries.pop(key, None) is not None

    def exists(self, key: str) -> bool:
        with self._lock:
            return key in self._entries

    def increment(self, key: str, delta: int | float) -> int | float:
        with self._lock:
            found = self._entries.get(key)
            total = incremented(0 if found is None else stored_number(found[0]), delta)
            expires = math.inf if found is None else found[1]
            self._entries[key] = (json.dumps(total), expires)
            return total
