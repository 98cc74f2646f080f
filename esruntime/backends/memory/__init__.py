"""The memory backend: storage in process memory, for tests, demos and embedding.

Each class implements one protocol of :mod:`esruntime.protocols`; ``InMemorySchemaRegistry``,
``InMemoryHandlerRegistry`` and ``InMemoryApiKeyStore`` are the domain services over this
backend's storage, ready to use. The names are imported on first use: the event store alone
does not load the schema parser.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from esruntime.backends.memory.backend import MemoryBackend
    from esruntime.backends.memory.consumers import InMemoryConsumerStore
    from esruntime.backends.memory.events import InMemoryEventStore
    from esruntime.backends.memory.handlers import InMemoryHandlerRegistry, InMemoryHandlerStorage
    from esruntime.backends.memory.keys import InMemoryApiKeyStorage, InMemoryApiKeyStore
    from esruntime.backends.memory.schedules import InMemoryScheduleStore
    from esruntime.backends.memory.schema import InMemorySchemaRegistry, InMemorySchemaStorage
    from esruntime.backends.memory.scripts import InMemoryScriptRepository

_HOMES = {
    "InMemoryApiKeyStorage": "keys",
    "InMemoryApiKeyStore": "keys",
    "InMemoryConsumerStore": "consumers",
    "InMemoryEventStore": "events",
    "InMemoryHandlerRegistry": "handlers",
    "InMemoryHandlerStorage": "handlers",
    "InMemoryScheduleStore": "schedules",
    "InMemorySchemaRegistry": "schema",
    "InMemorySchemaStorage": "schema",
    "InMemoryScriptRepository": "scripts",
    "MemoryBackend": "backend",
}

__all__ = [
    "InMemoryApiKeyStorage",
    "InMemoryApiKeyStore",
    "InMemoryConsumerStore",
    "InMemoryEventStore",
    "InMemoryHandlerRegistry",
    "InMemoryHandlerStorage",
    "InMemoryScheduleStore",
    "InMemorySchemaRegistry",
    "InMemorySchemaStorage",
    "InMemoryScriptRepository",
    "MemoryBackend",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_HOMES))
