"""The memory backend: every tenant's storage in process memory."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from esruntime.backends.memory.events import InMemoryEventStore

# The other storage is imported on first use: an event store opened from ``memory://`` (the
# command line's demo) does not load the schema parser.
if TYPE_CHECKING:
    from esruntime.backends.memory.consumers import InMemoryConsumerStore
    from esruntime.backends.memory.handlers import InMemoryHandlerStorage
    from esruntime.backends.memory.keys import InMemoryApiKeyStorage
    from esruntime.backends.memory.schedules import InMemoryScheduleStore
    from esruntime.backends.memory.schema import InMemorySchemaStorage
    from esruntime.backends.memory.scripts import InMemoryScriptRepository

__all__ = ["MemoryBackend", "open_backend", "open_event_store"]


class MemoryBackend:
    """Everything in process memory: for tests, demos and embedding without persistence."""

    name = "memory"

    def event_store(self, tenant: str) -> InMemoryEventStore:
        return InMemoryEventStore(tenant)

    def schema_storage(self, tenant: str) -> InMemorySchemaStorage:
        from esruntime.backends.memory.schema import InMemorySchemaStorage

        return InMemorySchemaStorage(tenant)

    def handler_storage(self, tenant: str) -> InMemoryHandlerStorage:
        from esruntime.backends.memory.handlers import InMemoryHandlerStorage

        return InMemoryHandlerStorage(tenant)

    def api_key_storage(self) -> InMemoryApiKeyStorage:
        from esruntime.backends.memory.keys import InMemoryApiKeyStorage

        return InMemoryApiKeyStorage()

    def script_repository(self) -> InMemoryScriptRepository:
        from esruntime.backends.memory.scripts import InMemoryScriptRepository

        return InMemoryScriptRepository()

    def consumer_store(self) -> InMemoryConsumerStore:
        from esruntime.backends.memory.consumers import InMemoryConsumerStore

        return InMemoryConsumerStore()

    def schedule_store(self) -> InMemoryScheduleStore:
        from esruntime.backends.memory.schedules import InMemoryScheduleStore

        return InMemoryScheduleStore()

    def tenant_revision(self, tenant: str) -> None:
        """None: lookups in memory cost less than keeping a revision."""
        return None

    def close(self) -> None:
        pass


def open_backend(url: str, **options: Any) -> MemoryBackend:
    """The backend of a ``memory://`` URL (there is nothing in it to read)."""
    return MemoryBackend(**options)


def open_event_store(url: str, tenant: str, **options: Any) -> InMemoryEventStore:
    """A new in-memory event store of ``tenant``."""
    return InMemoryEventStore(tenant, **options)
