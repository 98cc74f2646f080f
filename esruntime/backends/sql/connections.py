"""Engines for the event store: SQLite tuned for it, PostgreSQL through psycopg 3."""

from __future__ import annotations

import os
import threading
import weakref
from typing import Any, Literal

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.pool import ConnectionPoolEntry

from esruntime.errors import ConfigurationError

__all__ = [
    "SqliteSynchronous",
    "ThreadConnections",
    "create_store_engine",
    "parse_database_url",
    "thread_connections",
]

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
    parsed = parse_database_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if parsed.host:
            raise ConfigurationError(
                f"database URL {url!r} names a host: a SQLite URL has three slashes before a "
                "relative path (sqlite:///events.db) and four before an absolute one "
                "(sqlite:////var/lib/events.db)"
            )
        if parsed.database in (None, "", ":memory:") or parsed.query.get("mode") == "memory":
            raise ConfigurationError(
                "an in-memory SQLite database is private to one connection; use a file "
                "(sqlite:///events.db) or the in-memory store (memory://)"
            )
        if sqlite_synchronous not in ("OFF", "NORMAL", "FULL", "EXTRA"):
            raise ConfigurationError(
                f"sqlite_synchronous must be OFF, NORMAL, FULL or EXTRA, got {sqlite_synchronous!r}"
            )
        # Each thread keeps its own connection (see ThreadConnections): no fixed cap.
        engine_options.setdefault("pool_size", 8)
        engine_options.setdefault("max_overflow", -1)
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
        # The store's statements say BEGIN and COMMIT themselves where they need a transaction.
        engine_options.setdefault("isolation_level", "AUTOCOMMIT")
        try:
            return create_engine(parsed, **engine_options)
        except ImportError as exc:
            if exc.name != "psycopg" and "psycopg" not in str(exc):
                raise
            raise ConfigurationError(
                f"a PostgreSQL database needs the psycopg driver ({exc}): "
                "pip install 'esruntime[postgres]'"
            ) from exc
    raise ConfigurationError(
        f"unsupported database URL {parsed.render_as_string(hide_password=True)!r}: "
        "use sqlite:///path or postgresql://..."
    )


def parse_database_url(url: str) -> URL:
    """``url`` parsed, or a :class:`ConfigurationError` that shows what a URL looks like."""
    try:
        return make_url(url)
    except ArgumentError:
        # A password may sit before the "@": the URL is shown without it.
        shown = f"{url.partition(':')[0]}:...@{url.rpartition('@')[2]}" if "@" in url else url
        raise ConfigurationError(
            f"cannot read the database URL {shown!r}: use sqlite:///relative/path.db, "
            "sqlite:////absolute/path.db, postgresql://user@host/db or memory://"
        ) from None


def configure_sqlite(engine: Engine, synchronous: SqliteSynchronous, busy_timeout: float) -> None:
    """Set WAL mode, ``synchronous`` and the busy timeout on every new SQLite connection."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _: ConnectionPoolEntry) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
        cursor.close()


class _Process:
    """This process's id, kept up to date across ``fork``: the hot paths compare it on every
    call, which ``os.getpid()`` (a system call) would cost each time."""

    pid = os.getpid()


def _forked() -> None:
    _Process.pid = os.getpid()


os.register_at_fork(after_in_child=_forked)


class _Checkout:
    """A pooled connection kept by one thread; returned to the pool when the thread ends."""

    def __init__(self, engine: Engine) -> None:
        self.pid = _Process.pid
        self._pooled = engine.raw_connection()
        self.driver_connection = self._pooled.driver_connection

    def __del__(self, _process: type[_Process] = _Process) -> None:
        # _Process by default argument: a module's globals may be gone at interpreter exit.
        if self.pid == _process.pid:
            self._pooled.close()


class ThreadConnections:
    """One driver connection per thread, checked out of ``engine``'s pool on first use.

    A connection inherited through ``fork`` is never used: the child checks out its own.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = weakref.ref(engine)  # the registry below is keyed weakly by the engine
        self._local = threading.local()
        self._writer = (_Process.pid, threading.Lock())

    @property
    def writer(self) -> threading.Lock:
        """Held by the thread of this process that writes: the others wait their turn here.

        SQLite lets one connection write at a time; a connection that finds the database
        locked waits in SQLite's busy handler, which sleeps in growing steps (up to 100 ms)
        however soon the lock frees. Threads queued on this lock start as soon as it does.
        Other processes still meet in the busy handler. A child process gets its own lock.
        """
        pid, lock = self._writer
        if pid != _Process.pid:
            self._writer = pid, lock = _Process.pid, threading.Lock()
        return lock

    def get(self) -> Any:
        checkout: _Checkout | None = getattr(self._local, "checkout", None)
        if checkout is None or checkout.pid != _Process.pid:
            engine = self._engine()
            if engine is None:
                raise RuntimeError("the engine of this store was garbage-collected")
            checkout = self._local.checkout = _Checkout(engine)
        return checkout.driver_connection


_thread_connections: weakref.WeakKeyDictionary[Engine, ThreadConnections] = (
    weakref.WeakKeyDictionary()
)


def thread_connections(engine: Engine) -> ThreadConnections:
    """The per-thread connections of ``engine``, shared by every store using it."""
    return _thread_connections.setdefault(engine, ThreadConnections(engine))
