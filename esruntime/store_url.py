"""Open an event store from a URL: ``memory://``, ``sqlite:///path``, ``postgresql://...`` or
``umadb://host:port``."""

from __future__ import annotations

from typing import Any

from esruntime.protocols import EventStore

__all__ = ["DEFAULT_DATABASE_URL", "open_event_store"]

DEFAULT_DATABASE_URL = "sqlite:///esruntime.db"


def open_event_store(
    url: str = DEFAULT_DATABASE_URL, tenant: str = "default", **options: Any
) -> EventStore:
    """The event store of ``tenant`` at ``url``; options go to the backend's constructor."""
    # The backends are imported here: the command line reads DEFAULT_DATABASE_URL without them.
    if url.startswith("memory:"):
        from esruntime.backends.memory import InMemoryEventStore

        return InMemoryEventStore(tenant, **options)
    if url.startswith("umadb:"):
        from esruntime.backends.umadb import UmaDbEventStore

        return UmaDbEventStore(url, tenant, **options)
    from esruntime.backends.sql import SqlEventStore

    return SqlEventStore(url, tenant, **options)
