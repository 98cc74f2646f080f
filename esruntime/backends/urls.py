"""Opening a backend or an event store from a URL: the one place URLs are read.

A URL's scheme (the part before ``:``, without a ``+driver`` suffix) picks a row of
:data:`SCHEMES`: the module that opens it and an example for error messages. A module named
there provides ``open_backend(url, **options)`` and ``open_event_store(url, tenant,
**options)``; adding a kind of backend is adding a row. The modules are imported on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from attrs import frozen

from esruntime.errors import ConfigurationError

if TYPE_CHECKING:
    from esruntime.protocols import Backend, EventStore

__all__ = [
    "DEFAULT_DATABASE_URL",
    "SCHEMES",
    "Scheme",
    "open_backend",
    "open_event_store",
    "scheme_of",
    "sqlite_file",
]

DEFAULT_DATABASE_URL = "sqlite:///esruntime.db"


@frozen
class Scheme:
    """How URLs of one scheme are opened: ``module`` has the two ``open_*`` functions."""

    module: str
    example: str


SCHEMES: dict[str, Scheme] = {
    "memory": Scheme("esruntime.backends.memory.backend", "memory://"),
    "sqlite": Scheme("esruntime.backends.sql.backend", "sqlite:///path"),
    "postgresql": Scheme("esruntime.backends.sql.backend", "postgresql://..."),
    "umadb": Scheme("esruntime.backends.umadb.backend", "umadb://host:port"),
}


def scheme_of(url: str) -> str:
    """The scheme that picks the backend: ``postgresql`` for ``postgresql+psycopg://...``."""
    return url.partition(":")[0].partition("+")[0] if ":" in url else ""


def open_backend(url: str, **options: Any) -> Backend:
    """The backend at ``url`` (``memory://``, ``sqlite:///file.db``,
    ``postgresql+psycopg://user@host/db``, or ``umadb://host:port`` for events on a UmaDB
    server and the rest in SQL); ``options`` go to the backend's constructor."""
    backend: Backend = _opener(url).open_backend(url, **options)
    return backend


def open_event_store(
    url: str = DEFAULT_DATABASE_URL, tenant: str = "default", **options: Any
) -> EventStore:
    """The event store of ``tenant`` at ``url``; ``options`` go to the store's constructor.

    The store owns what it opened for the URL (a SQL engine) and releases it when closed.
    """
    store: EventStore = _opener(url).open_event_store(url, tenant, **options)
    return store


def sqlite_file(url: str) -> str | None:
    """The file a ``sqlite:///path`` URL names (None for any other URL, a SQLite URI or an
    in-memory database); a ConfigurationError for a URL that cannot be read."""
    if scheme_of(url) != "sqlite":
        return None
    from esruntime.backends.sql.connections import parse_database_url

    parsed = parse_database_url(url)
    if parsed.query.get("uri") or parsed.host or parsed.database in (None, "", ":memory:"):
        return None
    return str(parsed.database)


def _opener(url: str) -> Any:
    if not isinstance(url, str):
        raise ConfigurationError(f"a database URL is a string, got {type(url).__name__}")
    scheme = SCHEMES.get(scheme_of(url))
    if scheme is None:
        raise _unsupported(url)
    return importlib.import_module(scheme.module)


def _unsupported(url: str) -> ConfigurationError:
    # The URL is read by SQLAlchemy's parser only to show it without its password (or to say
    # that it cannot be read at all, with the forms it takes).
    from esruntime.backends.sql.connections import parse_database_url

    shown = parse_database_url(url).render_as_string(hide_password=True)
    examples = [s.example for s in SCHEMES.values()]
    return ConfigurationError(
        f"unsupported database URL {shown!r}: use {', '.join(examples[:-1])} or {examples[-1]}"
    )
