"""A cache of things compiled from a schema, keyed by the schema object's identity.

Validation and upcasting run on every append and every read, so each compiles a schema once and
looks the result up by identity: hashing a :class:`Schema` would walk all its declarations, and
two equal schemas compiling twice costs nothing that matters. Entries go when their schema does.
Dictionary operations are atomic, so threads share the cache without a lock; two threads may
compile the same schema at once, and one result wins.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Generic, TypeVar

from esruntime.schema.model import Schema

__all__ = ["SchemaCache"]

T = TypeVar("T")


class SchemaCache(Generic[T]):
    """``cache.get(schema)`` is ``compile(schema)``, computed once per live schema object.

    ``compile`` must not keep a reference to the schema in its result, or the entry, and the
    schema, would live as long as the cache.
    """

    def __init__(self, compile: Callable[[Schema], T]) -> None:
        self._compile = compile
        self._entries: dict[int, tuple[weakref.ref[Schema], T]] = {}

    def get(self, schema: Schema) -> T:
        entry = self._entries.get(id(schema))
        if entry is not None and entry[0]() is schema:
            return entry[1]
        compiled = self._compile(schema)
        key = id(schema)
        ref = weakref.ref(schema, lambda dead: self._forget(key, dead))
        self._entries[key] = (ref, compiled)
        return compiled

    def _forget(self, key: int, dead: weakref.ref[Schema]) -> None:
        # No lock: this runs wherever the schema happens to be freed, perhaps inside a method
        # of this cache. A race may drop a newer schema's entry, which is only recompiled.
        entry = self._entries.get(key)
        if entry is not None and entry[0] is dead:
            self._entries.pop(key, None)

    def __len__(self) -> int:
        return len(self._entries)
