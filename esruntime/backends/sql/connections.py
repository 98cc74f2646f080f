"""Engines for the event store: SQLite tuned for it, PostgreSQL through psycopg 3."""

from __future__ import annotations

from typing import Any, Literal

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.pool import ConnectionPoolEntry

__all__ = ["SqliteSynchronous", "create_store_engine"]

SqliteSynchronous = Literal["OFF", "NORMAL", "FULL", "EXTRA"]


def create_store_engine(
    url: str,
    *,
    sqlite_synchronous: SqliteSynchronous = "NORMAL",
    sqlite_busy_timeout: float = 30.0,
    **engine_options: Any,
) -> Engine:
    """An engine for ``url``: ``sqlite:///path`` or ``postgresql://...`` (psycopg 3).

    SQLite files are opened in WAL mode with ``synchronous`` as given: ``NORMAL`` survives a
    process crash, ``FULL`` also an OS crash or power loss (fsync before acknowledging).
    """
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if parsed.database in (None, "", ":memory:") or parsed.query.get("mode") == "memory":
            raise ValueError(
                "an in-memory SQLite database is private to one connection; use a file "
                "(sqlite:///events.db) or the in-memory store (memory://)"
            )
        if sqlite_synchronous not in ("OFF", "NORMAL", "FULL", "EXTRA"):
            raise ValueError(
                f"sqlite_synchronous must be OFF, NORMAL, FULL or EXTRA, got {sqlite_synchronous!r}"
            )
        engine_options.setdefault("pool_size", 8)
        engine_options.setdefault("max_overflow", 32)
        engine = create_engine(
            parsed,
            connect_args={"check_same_thread": False, "timeout": sqlite_busy_timeout},
            **engine_options,
        )
        configure_sqlite(engine, sqlite_synchronous, sqlite_busy_timeout)
        return engine
    if backend == "postgresql":
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        engine_options.setdefault("pool_size", 8)
        engine_options.setdefault("max_overflow", 32)
        engine_options.setdefault("pool_pre_ping", True)
        return create_engine(parsed, **engine_options)
    raise ValueError(f"unsupported database URL {url!r}: use sqlite:///path or postgresql://...")


def configure_sqlite(engine: Engine, synchronous: SqliteSynchronous, busy_timeout: float) -> None:
    """Set WAL mode, ``synchronous`` and the busy timeout on every new SQLite connection."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _: ConnectionPoolEntry) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
        cursor.close()
