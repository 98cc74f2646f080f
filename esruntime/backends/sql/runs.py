"""A script run's hot path: its script's lookup and its two writes, each one round trip.

The lookup reads the script by id, name or HTTP path. A run is written when it starts and
when it ends:

- **start**: one statement records the execution ``running`` (inserting it, or updating the
  ``pending`` row of a run that had to wait for capacity) only if fewer than ``max_running``
  other runs of its script are running. On SQLite that statement takes the write lock before it
  counts, so counting and recording cannot interleave with another writer. On PostgreSQL it
  follows a no-op ``UPDATE`` of the script's row (a row lock) in one transaction, and the
  transaction's four statements go in one pipeline: one round trip.
- **end**: one upsert of the whole finished execution (one round trip, autocommit).

So a run in progress always shows as ``running`` in the history, and a run that returned is
committed (under the database's own durability settings). The statements are built with
SQLAlchemy and compiled once per engine; each run sends the compiled text to the driver (on
SQLite on the thread's own connection, writes under the process's writer lock), which measured
4-6x cheaper per statement than building and executing them through SQLAlchemy's connection.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any

from sqlalchemy import Engine, bindparam, func, literal_column, select, update
from sqlalchemy.dialects import postgresql as pg_dialect
from sqlalchemy.dialects import sqlite as sqlite_dialect

from esruntime.backends.sql.connections import thread_connections
from esruntime.backends.sql.errors import translate_errors
from esruntime.backends.sql.postgres import autocommit_connection
from esruntime.backends.sql.tables import script_executions as executions
from esruntime.backends.sql.tables import scripts

__all__ = ["RunPath"]

_COLUMNS = [column.name for column in executions.columns]
_KEY = ("tenant_id", "id")


def _statements(upsert: Any) -> tuple[Any, Any, Any]:
    """(lock the script, start the run, save the run) in ``upsert``'s dialect."""
    lock = (
        update(scripts)
        .where(
            scripts.c.tenant_id == bindparam("tenant_id"), scripts.c.id == bindparam("script_id")
        )
        .values(version=scripts.c.version)
    )
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
    return lock, start, save


class RunPath:
    """The lookups and writes of runs on ``engine`` (SQLite or PostgreSQL)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._sqlite = engine.dialect.name == "sqlite"
        if self._sqlite:
            # Named parameters, which sqlite3 takes from a dict as psycopg does.
            dialect: Any = sqlite_dialect.dialect(paramstyle="named")
            upsert: Any = sqlite_dialect.insert
        else:
            dialect, upsert = engine.dialect, pg_dialect.insert
        lock, start, save = _statements(upsert)
        self._lock, self._start, self._save = (
            str(statement.compile(dialect=dialect)) for statement in (lock, start, save)
        )
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

    def script(self, tenant_id: int, key: str, value: str) -> dict[str, Any] | None:
        """The row of the script whose ``key`` (id, name or http_path) is ``value``."""
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
        lock = {"tenant_id": row["tenant_id"], "script_id": row["script_id"]}
        with self._postgres() as conn:
            with conn.pipeline():
                conn.execute("BEGIN")
                conn.execute(self._lock, lock, prepare=True)
                cursor = conn.execute(self._start, params, prepare=True)
                conn.execute("COMMIT")
            return int(cursor.rowcount) == 1

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
