"""The event store's SQLite paths: an append is three statements under ``BEGIN IMMEDIATE``.

SQLite has one writer at a time, so the write lock taken by ``BEGIN IMMEDIATE`` serializes
appends (across threads and processes). The condition is part of the statement that reads the
head, which returns no row when the condition fails; then the events and their tags are inserted.
A read takes the head first, then the events up to it: the same snapshot, as every position up
to the head is committed. Each thread keeps its own connection (see ``ThreadConnections``).
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, Connection, Engine
from sqlalchemy import exc as sa_exc

from esruntime.backends.sql import plans
from esruntime.backends.sql import statements as sql
from esruntime.backends.sql.connections import ThreadConnections, thread_connections
from esruntime.backends.sql.errors import raise_translated, translate_errors
from esruntime.backends.sql.groups import PendingAppend, fails_alone
from esruntime.backends.sql.rows import REMEMBER, event_from_row, event_rows
from esruntime.backends.sql.tables import TAG_SEPARATOR, metadata
from esruntime.backends.sql.timestamps import now_micros
from esruntime.encoding import EncodedEvent
from esruntime.errors import EventStoreError
from esruntime.events import AppendCondition, Query, SequencedEvent
from esruntime.idempotency import IdempotencyRecord

if TYPE_CHECKING:
    from esruntime.backends.sql.store import SqlEventStore

__all__ = [
    "EVENTS",
    "INSERT_EVENT",
    "INSERT_TAG",
    "SqliteEvents",
    "bytewise",
    "create_tables",
    "insert_rows",
    "transaction",
]

_PLAIN_KEY = re.compile(r"[A-Za-z0-9_$.\- ]*")

INSERT_EVENT = (
    "INSERT INTO esr_events"
    " (tenant_id, position, event_id, type, tags, data, metadata, recorded_at)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
INSERT_TAG = "INSERT INTO esr_event_tags (tenant_id, tag, position, type) VALUES (?, ?, ?, ?)"
_HEAD_UNLESS_ONE = sql.head_unless_sql(((1, 1),))
"""The head unless an event of one type with one tag follows a position (tenant, tenant, tag,
type, position)."""


def insert_rows(
    conn: Any, rows: Sequence[tuple[Any, ...]], tag_rows: Sequence[tuple[Any, ...]]
) -> None:
    """Insert event and tag rows (``execute`` for one row is cheaper than ``executemany``)."""
    if len(rows) == 1:
        conn.execute(INSERT_EVENT, rows[0])
    else:
        conn.executemany(INSERT_EVENT, rows)
    if len(tag_rows) == 1:
        conn.execute(INSERT_TAG, tag_rows[0])
    elif tag_rows:
        conn.executemany(INSERT_TAG, tag_rows)


def create_tables(engine: Engine) -> None:
    """Create what is missing; a process that loses a race sees "already exists" and checks
    again. WAL mode is kept in the file, so a host's own engine gets it too."""
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA journal_mode=WAL")
    for attempt in range(10):
        try:
            metadata.create_all(engine, checkfirst=True)
            return
        except sa_exc.OperationalError as exc:
            if "already exists" not in str(exc) or attempt == 9:
                raise


@contextmanager
def transaction(engine: Engine) -> Iterator[Connection]:
    """A transaction on a pooled connection (SQLAlchemy's BEGIN)."""
    with engine.connect() as conn, conn.begin():
        yield conn


def bytewise(column: ColumnElement[str]) -> ColumnElement[str]:
    """``column`` as it is: SQLite orders text by code point (its BINARY collation)."""
    return column


class SqliteEvents:
    """The SQLite side of :class:`~esruntime.backends.sql.store.SqlEventStore`."""

    name = "sqlite"
    paramstyle = "qmark"

    def thread_connections(self, engine: Engine) -> ThreadConnections | None:
        return thread_connections(engine)

    @contextmanager
    def connection(self, store: SqlEventStore) -> Iterator[Any]:
        """This thread's sqlite3 connection, with driver errors translated."""
        assert store._thread_connections is not None
        with translate_errors():
            yield store._thread_connections.get()

    def append(
        self,
        store: SqlEventStore,
        encoded: list[EncodedEvent],
        condition: AppendCondition | None,
        record: IdempotencyRecord | None,
    ) -> int:
        connections = store._thread_connections
        assert connections is not None
        # The hot path: errors translated by try/except rather than translate_errors()'s
        # calls, without connection()'s generator.
        try:
            conn = connections.get()
            with connections.writer:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    head = self._write(store, conn, encoded, condition, record)
                    conn.execute("COMMIT")
                except BaseException:
                    conn.rollback()
                    raise
                return head
        except Exception as exc:
            raise_translated(exc)
            raise

    def _write(
        self,
        store: SqlEventStore,
        conn: Any,
        encoded: list[EncodedEvent],
        condition: AppendCondition | None,
        record: IdempotencyRecord | None,
    ) -> int:
        """Check the condition, write the record and the events: the new head."""
        found = self._head_unless(store, conn, condition)
        if not found:  # only a condition can hide the head
            assert condition is not None
            raise plans.condition_failed(condition)
        ((head,),) = found
        if record is not None:
            try:
                conn.execute(REMEMBER, store._record_params(record))
            except sqlite3.IntegrityError:
                raise store._duplicate(conn, record.key) from None
        tenant_id = store._tenant_id
        if len(encoded) == 1:
            # One event (the common append): its rows without the batch's loop.
            ((event, data, meta),) = encoded
            head += 1
            tags = event.tags
            type_ = event.type
            conn.execute(
                INSERT_EVENT,
                (
                    tenant_id,
                    head,
                    event.id,
                    type_,
                    TAG_SEPARATOR.join(tags),
                    data,
                    meta,
                    now_micros(),
                ),
            )
            if len(tags) == 1:
                conn.execute(INSERT_TAG, (tenant_id, tags[0], head, type_))
            elif tags:
                conn.executemany(INSERT_TAG, [(tenant_id, tag, head, type_) for tag in tags])
            return int(head)
        insert_rows(conn, *event_rows(tenant_id, encoded, head + 1, now_micros()))
        return int(head) + len(encoded)

    def group_scope(self, store: SqlEventStore) -> int | None:
        """None: SQLite writes one transaction at a time, so a group spans the database."""
        return None

    def append_group(self, group: list[PendingAppend]) -> None:
        """Write the group's appends in one transaction, each under a savepoint that undoes
        it alone when it fails on its own (see :mod:`~esruntime.backends.sql.groups`)."""
        connections = group[0].store._thread_connections
        assert connections is not None
        with translate_errors():
            conn = connections.get()
            with connections.writer:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    for pending in group:
                        self._write_in_group(conn, pending)
                    conn.commit()
                except BaseException:
                    if conn.in_transaction:
                        conn.rollback()
                    raise

    def _write_in_group(self, conn: Any, pending: PendingAppend) -> None:
        conn.execute("SAVEPOINT esr_append")
        try:
            with translate_errors():
                head = self._write(
                    pending.store, conn, pending.encoded, pending.condition, pending.record
                )
        except EventStoreError as exc:
            if not fails_alone(exc) or not conn.in_transaction:
                raise
            conn.execute("ROLLBACK TO esr_append")
            pending.fail(exc)
        else:
            pending.succeed(head)
        conn.execute("RELEASE esr_append")

    def _head_unless(
        self, store: SqlEventStore, conn: Any, condition: AppendCondition | None
    ) -> list[tuple[int]]:
        """The head; no row when the condition fails.

        With one statement's worth of items the condition is part of the head's SELECT; longer
        conditions are checked first, in the same (write-locked) transaction.
        """
        tenant_id = store._tenant_id
        if condition is None:
            rows: list[tuple[int]] = conn.execute(sql.HEAD, (tenant_id,)).fetchall()
            return rows
        items = condition.fail_if_events_match.items
        if len(items) == 1:
            (item,) = items
            types, tags = item.types, item.tags
            if len(types) == 1 and len(tags) == 1:
                # The common condition (one type, one tag): its statement and parameters
                # without the general path's planning; the same as that path's.
                after = condition.after or 0
                params = (tenant_id, tenant_id, tags[0], types[0], min(after, plans.MAX_POSITION))
                rows = conn.execute(_HEAD_UNLESS_ONE, params).fetchall()
                return rows
        planned = plans.condition_items(condition)
        if planned is None:
            store._check(conn, condition)
            rows = conn.execute(sql.HEAD, (tenant_id,)).fetchall()
            return rows
        text = sql.head_unless_sql(sql.shape_of(planned))
        params_ = [tenant_id, *sql.item_params(tenant_id, planned, (plans.after(condition),))]
        rows = conn.execute(text, params_).fetchall()
        return rows

    def read(
        self,
        store: SqlEventStore,
        conn: Any,
        query: Query,
        start: int | None,
        backwards: bool,
        limit: int | None,
    ) -> tuple[int | None, list[SequencedEvent]]:
        return store._read_in_steps(conn, query, start, backwards, limit)

    def having_field(self, field: str) -> tuple[str, str]:
        """The condition and parameter that keep events whose data has the top-level field."""
        if _PLAIN_KEY.fullmatch(field):
            return " AND json_type(data, ?) IS NOT NULL", f'$."{field}"'
        # A JSON path cannot quote every key; compare keys literally instead.
        return (
            " AND json_type(data) = 'object'"
            " AND EXISTS (SELECT 1 FROM json_each(data) WHERE json_each.key = ?)",
            field,
        )

    def finish_write(self, conn: Any) -> None:
        """Commit a write made outside an append (the thread's connection is not autocommit)."""
        conn.commit()

    decode = staticmethod(event_from_row)
    """An event from its row (:data:`statements.EVENT_COLUMNS`)."""


EVENTS = SqliteEvents()
