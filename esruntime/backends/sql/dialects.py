"""The SQL dialects esruntime supports, chosen once per engine from one table.

Each row names a dialect's parts: its ``insert`` construct (the one with
``on_conflict_do_update``), how it creates the tables, and its event store paths
(:mod:`~esruntime.backends.sql.sqlite`, :mod:`~esruntime.backends.sql.postgres`). Code that
differs between SQLite and PostgreSQL asks this module for the dialect's part instead of
branching on the dialect's name.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol

from attrs import frozen
from sqlalchemy import ColumnElement, Connection, Engine, Table
from sqlalchemy.dialects import postgresql as pg_dialect
from sqlalchemy.dialects import sqlite as sqlite_dialect

from esruntime.backends.sql import postgres, sqlite
from esruntime.backends.sql.connections import ThreadConnections
from esruntime.backends.sql.groups import PendingAppend
from esruntime.encoding import EncodedEvent
from esruntime.errors import ConfigurationError
from esruntime.events import AppendCondition, Query, SequencedEvent
from esruntime.idempotency import IdempotencyRecord

__all__ = ["SUPPORTED", "Dialect", "EventPaths", "dialect_of", "upsert_for"]

Upsert = Callable[[Table], Any]
"""A dialect's ``insert`` construct, the one with ``on_conflict_do_update``/``do_nothing``."""


class EventPaths(Protocol):
    """What :class:`~esruntime.backends.sql.store.SqlEventStore` does differently per dialect."""

    name: str
    paramstyle: str

    def thread_connections(self, engine: Engine) -> ThreadConnections | None: ...

    def connection(self, store: Any) -> AbstractContextManager[Any]: ...

    def append(
        self,
        store: Any,
        encoded: list[EncodedEvent],
        condition: AppendCondition | None,
        record: IdempotencyRecord | None,
    ) -> int: ...

    def group_scope(self, store: Any) -> int | None: ...

    def append_group(self, group: list[PendingAppend]) -> None: ...

    def read(
        self,
        store: Any,
        conn: Any,
        query: Query,
        start: int | None,
        backwards: bool,
        limit: int | None,
    ) -> tuple[int | None, list[SequencedEvent]]: ...

    def having_field(self, field: str) -> tuple[str, str]: ...

    def finish_write(self, conn: Any) -> None: ...

    def decode(self, row: Sequence[Any]) -> SequencedEvent: ...


@frozen
class Dialect:
    """One supported dialect's parts: besides the event store's paths, what the storage of
    every tenant (scripts, consumers, schedules) needs, and whether ``SELECT ... FOR UPDATE
    SKIP LOCKED`` lets concurrent claims pass each other's rows by (``row_locks``)."""

    upsert: Upsert
    create_tables: Callable[[Engine], None]
    events: EventPaths
    transaction: Callable[[Engine], AbstractContextManager[Connection]]
    bytewise: Callable[[ColumnElement[str]], ColumnElement[str]]
    row_locks: bool


_DIALECTS: dict[str, Dialect] = {
    "sqlite": Dialect(
        sqlite_dialect.insert,
        sqlite.create_tables,
        sqlite.EVENTS,
        sqlite.transaction,
        sqlite.bytewise,
        row_locks=False,
    ),
    "postgresql": Dialect(
        pg_dialect.insert,
        postgres.create_tables,
        postgres.EVENTS,
        postgres.transaction,
        postgres.bytewise,
        row_locks=True,
    ),
}
SUPPORTED = tuple(_DIALECTS)


def dialect_of(engine: Engine) -> Dialect:
    """The parts of ``engine``'s dialect; a ConfigurationError for one esruntime does not
    support."""
    name = str(engine.dialect.name)
    found = _DIALECTS.get(name)
    if found is None:
        raise ConfigurationError(f"unsupported database dialect {name!r}")
    return found


def upsert_for(engine: Engine) -> Upsert:
    """The ``insert`` construct of ``engine``'s dialect."""
    return dialect_of(engine).upsert
