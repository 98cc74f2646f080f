"""Open an event store from a URL: ``memory://``, ``sqlite:///path`` or ``postgresql://...``."""

from __future__ import annotations

from typing import Any

from esruntime.backends.memory import InMemoryEventStore
from esruntime.backends.sql import SqlEventStore
from esruntime.protocols import EventStore

__all__ = ["DEFAULT_DATABASE_URL", "open_event_store"]

DEFAULT_DATABASE_URL = "sqlite:///esruntime.db"


def open_event_store(
    url: str = DEFAULT_DATABASE_URL, tenant: str = "default", **options: Any
) -> EventStore:
    """The event store of ``tenant`` at ``url``; options go to the backend's constructor."""
    if url.startswith("memory:"):
        return InMemoryEventStore(tenant, **options)
    return SqlEventStore(url, tenant, **options)
