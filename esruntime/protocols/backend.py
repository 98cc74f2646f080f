"""The backend protocol: where a runtime keeps each tenant's storage.

A backend builds storage objects only; the runtime puts the domain services (the schema
rules, the upload rules, the key rules) on top of them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from esruntime.protocols.auth import ApiKeyStorage
    from esruntime.protocols.consumers import ConsumerStore
    from esruntime.protocols.events import EventStore
    from esruntime.protocols.handlers import HandlerStorage
    from esruntime.protocols.schedules import ScheduleStore
    from esruntime.protocols.schema import SchemaStorage
    from esruntime.protocols.scripts import ScriptRepository

__all__ = ["Backend"]


@runtime_checkable
class Backend(Protocol):
    """Builds the storage of a tenant, and the storage shared by all tenants."""

    @property
    def name(self) -> str:
        """``memory``, ``sqlite`` or ``postgresql``: what ``GET /health`` reports."""
        ...

    def event_store(self, tenant: str) -> EventStore:
        """The tenant's event store (with its idempotency records)."""
        ...

    def schema_storage(self, tenant: str) -> SchemaStorage:
        """Where the tenant's schema versions are kept."""
        ...

    def handler_storage(self, tenant: str) -> HandlerStorage:
        """Where the tenant's handler versions and execution counts are kept."""
        ...

    def api_key_storage(self) -> ApiKeyStorage:
        """Where every tenant's API keys are kept."""
        ...

    def script_repository(self) -> ScriptRepository:
        """Where every tenant's scripts, versions and executions are kept."""
        ...

    def consumer_store(self) -> ConsumerStore:
        """Where every tenant's durable consumers keep checkpoints, leases and dead letters."""
        ...

    def schedule_store(self) -> ScheduleStore:
        """Where the scheduler keeps every scheduled script's next tick and its lease."""
        ...

    def tenant_revision(self, tenant: str) -> Callable[[], int] | None:
        """What reads the tenant's revision: a number that changes with every schema push and
        handler change of the tenant, made by any process (None: the backend keeps none, and a
        runtime looks the current schema and handler versions up for every command)."""
        ...

    def close(self) -> None:
        """Release what the backend opened itself (the storage it built is closed first)."""
        ...
