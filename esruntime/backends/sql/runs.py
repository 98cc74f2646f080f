"""A script run's hot path: its script's lookup and its two writes, each one round trip.

The lookup reads the script by id, name or HTTP path, unless the same lookup was made before
and the tenant's revision has not moved since: every change to a script bumps it
(:mod:`esruntime.backends.sql.revisions`), so a kept row is reused only while it is current. On
SQLite the revision is read on the thread's own connection; on PostgreSQL it is known from
``NOTIFY`` when the repository was given its backend's listener (elsewhere every lookup reads
the script).

A run is written when it starts and when it ends:

- **start**: one statement records the execution ``running`` (inserting it, or updating the
  ``pending`` row of a run that had to wait for capacity) only if fewer than ``max_running``
  other runs of its script are running. On SQLite that statement takes the write lock before it
  counts, so counting and recording cannot interleave with another writer. On PostgreSQL it
  follows the script's transaction-scoped advisory lock, and ``BEGIN``, the lock, the statement
  (prepared once per connection, run by ``EXECUTE``) and ``COMMIT`` go as one simple query: one
  round trip. That transaction commits without
  waiting for its WAL to reach the disk (``synchronous_commit = off``): other processes see it
  at once, and only a crash of the database server within a fraction of a second could lose it
  (the run's final record is written in full by the end's upsert, which waits).
- **end**: one upsert of the whole finished execution (one round trip, autocommit, durable).

So a run in progress always shows as ``running`` in the history, and a run that returned is
committed (under the database's own durability settings). The statements are built with
SQLAlchemy and compiled once per engine; each run sends the compiled text to the driver (on
SQLite on the thread's own connection, writes under the process's writer lock), which measured
4-6x cheaper per statement than building and executing them through SQLAlchemy's connection.
"""

from __future__ import annotations

import hashlib
import re
import sys
import threading
import weakref
from collections.abc import Callable
from contextlib import AbstractContextManager, suppress
from typing import Any, TypeVar, cast

from cachetools import LRUCache
from sqlalchemy import Engine, bindparam, func, literal_column, select
from sqlalchemy.dialects import postgresql as pg_dialect
from sqlalchemy.dialects import sqlite as sqlite_dialect

from esruntime.backends.sql.connections import thread_connections
from esruntime.backends.sql.errors import translate_errors
from esruntime.backends.sql.postgres import LOCK_NAMESPACE, autocommit_connection
from esruntime.backends.sql.revisions import PostgresRevisions, SqlTenantRevision
from esruntime.backends.sql.tables import script_executions as executions
from esruntime.backends.sql.tables import scripts

__all__ = ["MAX_KEPT_BYTES", "RunPath"]

T = TypeVar("T")
_PREPARED: weakref.WeakSet[Any] = weakref.WeakSet()
"""The PostgreSQL connections the start's statement was prepared on."""
_ROW_OVERHEAD = 1024  # the key, the built value's objects, the cache's bookkeeping, roughly

MAX_KEPT_BYTES = 32 * 1024 * 1024
"""How much looked-up scripts a repository keeps, in bytes of their rows' text (roughly; the
least recently used go first): a few thousand scripts of typical size, 300 of the largest."""

_SCRIPT_LOCK = (
    f"SELECT pg_advisory_xact_lock({LOCK_NAMESPACE + 1}, "
    "hashtext(%(tenant_id)s::text || '/' || %(script_id)s))"
)
_COLUMNS = [column.name for column in executions.columns]
_KEY = ("tenant_id", "id")


def _position(names: list[str], name: str) -> str:
    """``$n``, the position of parameter ``name`` in ``names`` (added when new)."""
    if name not in names:
        names.append(name)
    return f"${names.index(name) + 1}"


def _statements(upsert: Any) -> tuple[Any, Any]:
    """(start the run, save the run) in ``upsert``'s dialect."""
    others = executions.alias("others")
    running = (
        select(func.count())
        .select_from(others)
        .where(
            others.c.tenant_id == bindparam("tenant_id"),
            others.c.script_id == bindparam("script_id"),
            others.c.status == literal_column("'running'"),
            others.c.started_at >= bindparam("stale_before"),
            others.c.id != bindparam("id"),
        )
        .scalar_subquery()
    )
    values = [bindparam(name, type_=executions.c[name].type) for name in _COLUMNS]
    start = upsert(executions).from_select(
        _COLUMNS, select(*values).where(running < bindparam("max_running"))
    )
    start = start.on_conflict_do_update(
        index_elements=list(_KEY),
        set_={name: start.excluded[name] for name in _COLUMNS if name not in _KEY},
    )
    save = upsert(executions).values({name: bindparam(name) for name in _COLUMNS})
    save = save.on_conflict_do_update(
        index_elements=list(_KEY),
        set_={name: save.excluded[name] for name in _COLUMNS if name not in _KEY},
    )
    return start, save


class RunPath:
    """The lookups and writes of runs on ``engine`` (SQLite or PostgreSQL)."""

    def __init__(self, engine: Engine, *, notified: PostgresRevisions | None = None) -> None:
        self._engine = engine
        self._notified = notified
        self._sqlite = engine.dialect.name == "sqlite"
        if self._sqlite:
            # Named parameters, which sqlite3 takes from a dict as psycopg does.
            dialect: Any = sqlite_dialect.dialect(paramstyle="named")
            upsert: Any = sqlite_dialect.insert
        else:
            dialect, upsert = engine.dialect, pg_dialect.insert
        start, save = _statements(upsert)
        self._start = start_sql = str(start.compile(dialect=dialect))
        self._save = str(save.compile(dialect=dialect))
        self._scripts = {
            key: str(
                select(scripts)
                .where(
                    scripts.c.tenant_id == bindparam("tenant_id"),
                    scripts.c[key] == bindparam("value"),
                )
                .compile(dialect=dialect)
            )
            for key in ("id", "name", "http_path")
        }
        self._script_columns = [column.name for column in scripts.columns]
        self._connections = thread_connections(engine) if self._sqlite else None
        if not self._sqlite:
            # The start's statement is prepared once per connection (planning it took as long
            # as running it) and run by EXECUTE within the one simple query.
            names: list[str] = []
            positional = re.sub(r"%\((\w+)\)s", lambda found: _position(names, found[1]), start_sql)
            name = "esr_start_run_" + hashlib.sha256(positional.encode()).hexdigest()[:16]
            self._prepare_start = f"PREPARE {name} AS {positional}"
            arguments = ", ".join(f"%({argument})s" for argument in names)
            self._start_postgres = (
                f"BEGIN; SET LOCAL synchronous_commit = off; {_SCRIPT_LOCK};"
                f" EXECUTE {name}({arguments}); COMMIT"
            )
        # Rows looked up, each kept with the tenant's revision it was read under.
        self._found: LRUCache[tuple[int, str, str], tuple[int, object, int]] = LRUCache(
            MAX_KEPT_BYTES, getsizeof=lambda kept: kept[2]
        )
        self._revisions: dict[int, SqlTenantRevision] = {}
        self._found_lock = threading.Lock()

    def script(
        self, tenant_id: int, key: str, value: str, build: Callable[[dict[str, Any]], T]
    ) -> T | None:
        """``build(row)`` of the script whose ``key`` (id, name or http_path) is ``value``:
        what was built before while the tenant's revision has not moved since (every change to
        a script bumps it), else read and built now. ``build`` must return an immutable value."""
        revision = self._revision(tenant_id)
        if revision is not None:
            with self._found_lock:
                kept = self._found.get((tenant_id, key, value))
            if kept is not None and kept[0] == revision:
                return cast(T, kept[1])
        row = self._read_script(tenant_id, key, value)
        if row is None:
            return None
        found = build(row)
        if revision is not None:
            # Read after the revision: a value is never older than the revision it is kept with.
            weight = _ROW_OVERHEAD + sum(
                sys.getsizeof(cell) for cell in row.values() if isinstance(cell, str)
            )
            with self._found_lock:
                self._found[tenant_id, key, value] = (revision, found, weight)
        return found

    def _revision(self, tenant_id: int) -> int | None:
        """The tenant's revision, when reading it is cheaper than reading the script: always
        on SQLite (this thread's connection), on PostgreSQL when announced by ``NOTIFY``."""
        if not self._sqlite and self._notified is None:
            return None
        reader = self._revisions.get(tenant_id)
        if reader is None:
            reader = SqlTenantRevision(self._engine, tenant_id, notified=self._notified)
            self._revisions[tenant_id] = reader
        return reader()

    def _read_script(self, tenant_id: int, key: str, value: str) -> dict[str, Any] | None:
        params = {"tenant_id": tenant_id, "value": value}
        with translate_errors():
            if self._connections is not None:
                found = self._connections.get().execute(self._scripts[key], params).fetchone()
            else:
                with self._postgres() as conn:
                    found = conn.execute(self._scripts[key], params, prepare=True).fetchone()
        return None if found is None else dict(zip(self._script_columns, found, strict=True))

    def start(self, row: dict[str, Any], *, max_running: int, stale_before: int) -> bool:
        """Record ``row`` (an execution, ``running``) if fewer than ``max_running`` other runs
        of its script started at or after ``stale_before`` (microseconds) are running."""
        params = {**row, "max_running": max_running, "stale_before": stale_before}
        if self._connections is not None:
            return self._sqlite_write(self._start, params) == 1
        from psycopg import ClientCursor, errors  # the PostgreSQL extra

        with self._postgres() as conn:
            for attempt in (1, 2):
                if conn not in _PREPARED or attempt == 2:
                    # Another repository on this engine may have prepared it already.
                    with suppress(errors.DuplicatePreparedStatement):
                        conn.execute(self._prepare_start)
                    _PREPARED.add(conn)
                # One simple query (parameters bound here): one message each way.
                cursor = ClientCursor(conn)
                try:
                    cursor.execute(self._start_postgres, params)
                except errors.InvalidSqlStatementName:  # dropped (DISCARD ALL): prepare again
                    conn.execute("ROLLBACK")
                    if attempt == 2:
                        raise
                    continue
                for _ in range(3):  # past BEGIN, SET and the lock, to the EXECUTE
                    cursor.nextset()
                return int(cursor.rowcount) == 1
        raise AssertionError("unreachable")

    def save(self, row: dict[str, Any]) -> None:
        """Record ``row`` (an execution) in full, over what was recorded of it before."""
        if self._connections is not None:
            self._sqlite_write(self._save, row)
            return
        with self._postgres() as conn:
            conn.execute(self._save, row, prepare=True)

    def _sqlite_write(self, statement: str, params: dict[str, Any]) -> int:
        assert self._connections is not None
        with translate_errors():
            conn = self._connections.get()
            with self._connections.writer:
                try:
                    count = int(conn.execute(statement, params).rowcount)
                    conn.commit()
                except BaseException:
                    conn.rollback()
                    raise
        return count

    def _postgres(self) -> AbstractContextManager[Any]:
        """A pooled psycopg connection in autocommit mode, with driver errors translated."""
        return autocommit_connection(self._engine)
