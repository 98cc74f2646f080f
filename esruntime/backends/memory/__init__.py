"""The memory backend: storage in process memory, for tests, demos and embedding.

Each class implements one protocol of :mod:`esruntime.protocols`; ``InMemorySchemaRegistry``,
``InMemoryHandlerRegistry`` and ``InMemoryApiKeyStore`` are the domain services over this
backend's storage, ready to use. The names are imported on first use: the event store alone
does not load the schema parser.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from esruntime.lazy import lazy_exports

if TYPE_CHECKING:
    from esruntime.backends.memory.backend import MemoryBackend
    from esruntime.backends.memory.consumers import InMemoryConsumerStore
    from esruntime.backends.memory.events import InMemoryEventStore
    from esruntime.backends.memory.handlers import InMemoryHandlerRegistry, InMemoryHandlerStorage
    from esruntime.backends.memory.keys import InMemoryApiKeyStorage, InMemoryApiKeyStore
    from esruntime.backends.memory.schedules import InMemoryScheduleStore
    from esruntime.backends.memory.schema import InMemorySchemaRegistry, InMemorySchemaStorage
    from esruntime.backends.memory.scripts import InMemoryScriptRepository

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

if not TYPE_CHECKING:
    __getattr__, __dir__ = lazy_exports(
        __name__,
        {
            "InMemoryApiKeyStorage": "esruntime.backends.memory.keys",
            "InMemoryApiKeyStore": "esruntime.backends.memory.keys",
            "InMemoryConsumerStore": "esruntime.backends.memory.consumers",
            "InMemoryEventStore": "esruntime.backends.memory.events",
            "InMemoryHandlerRegistry": "esruntime.backends.memory.handlers",
            "InMemoryHandlerStorage": "esruntime.backends.memory.handlers",
            "InMemoryScheduleStore": "esruntime.backends.memory.schedules",
            "InMemorySchemaRegistry": "esruntime.backends.memory.schema",
            "InMemorySchemaStorage": "esruntime.backends.memory.schema",
            "InMemoryScriptRepository": "esruntime.backends.memory.scripts",
            "MemoryBackend": "esruntime.backends.memory.backend",
        },
    )
