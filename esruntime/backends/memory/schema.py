"""Schema versions in process memory."""

from __future__ import annotations

import threading

from esruntime.checks import check_tenant
from esruntime.protocols.schema import SchemaRow
from esruntime.schema.changes import EventCounter
from esruntime.schema.registry import SchemaService

__all__ = ["InMemorySchemaRegistry", "InMemorySchemaStorage"]


class InMemorySchemaStorage:
    """One tenant's schema versions in a list, under a lock."""

    def __init__(self, tenant: str = "default") -> None:
        self._tenant = check_tenant(tenant)
        self._stored: list[SchemaRow] = []
        self._lock = threading.Lock()

    @property
    def tenant(self) -> str:
        return self._tenant

    def rows(self) -> list[SchemaRow]:
        with self._lock:
            return list(self._stored)

    def latest(self) -> SchemaRow | None:
        with self._lock:
            return self._stored[-1] if self._stored else None

    def insert(self, row: SchemaRow) -> bool:
        with self._lock:
            if len(self._stored) + 1 != row[0]:
                return False
            self._stored.append(row)
            return True


class InMemorySchemaRegistry(SchemaService):
    """A convenience: the schema service over a new :class:`InMemorySchemaStorage` (it adds
    nothing else); ``counter`` is usually the tenant's event store."""

    def __init__(self, counter: EventCounter, tenant: str = "default") -> None:
        super().__init__(InMemorySchemaStorage(tenant), counter)
