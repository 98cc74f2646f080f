"""PostgreSQL hot paths: an append in one network round trip, a read in one statement.

An append sends ``BEGIN``, the tenant's transaction-scoped advisory lock, one write statement,
a ``pg_notify`` that announces the append to other processes when it commits, and ``COMMIT`` as
one pipeline. The advisory lock serializes a tenant's appends without writing
anything (a row lock would cost a WAL record and an fsync'd commit of its own); PostgreSQL makes
a commit visible before it releases the transaction's locks. The write statement runs after the
lock is held, so in READ COMMITTED it sees every append committed before it: it checks the
condition and inserts the events and their tags after the head (the largest position), all or
nothing. A read is one statement that returns the events with the head of the same snapshot.
Connections come from the pool in autocommit mode and go back after every use.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, Connection, Engine

from esruntime.backends.sql import plans
from esruntime.backends.sql import statements as sql
from esruntime.backends.sql.connections import ThreadConnections
from esruntime.backends.sql.errors import translate_errors
from esruntime.backends.sql.groups import PendingAppend, fails_alone
from esruntime.backends.sql.plans import MAX_POSITION
from esruntime.backends.sql.rows import event_from_row, events_from_rows
from esruntime.backends.sql.tables import TAG_SEPARATOR, metadata
from esruntime.backends.sql.timestamps import now_micros
from esruntime.encoding import EncodedEvent
from esruntime.errors import EventStoreError, IntegrityError
from esruntime.events import AppendCondition, Query, QueryItem, SequencedEvent
from esruntime.idempotency import IdempotencyRecord

if TYPE_CHECKING:
    from esruntime.backends.sql.store import SqlEventStore

__all__ = [
    "EVENTS",
    "LOCK_NAMESPACE",
    "LOCK_TENANT",
    "MAX_POSITION",
    "NOTIFY",
    "PostgresEvents",
    "WriteShape",
    "abort",
    "autocommit_connection",
    "bytewise",
    "create_tables",
    "read_statement",
    "transaction",
    "write_params",
    "write_statement",
]

COLUMN_SEPARATOR = "\x1e"
LOCK_NAMESPACE = 0x65737274  # "esrt": the first key of esruntime's two-key advisory locks
LOCK_TENANT = f"SELECT pg_advisory_xact_lock({LOCK_NAMESPACE}, %s)"
NOTIFY = "SELECT pg_notify('esr_events', %s)"
"""Announces a tenant's append (its id as the payload) to listeners when the append commits."""

WriteShape = tuple[sql.ItemShape, ...] | None
"""The condition's item shapes; None when the condition is checked outside the statement."""


@lru_cache(maxsize=1024)
def write_statement(shape: WriteShape, any_event: bool, with_record: bool = False) -> str:
    """The write: ok flag and new head, from ``ok``, ``h`` (the head) and the batch's columns.

    Each column of the batch is one text parameter joined by U+001E, split by the server:
    scalar parameters cost psycopg far less to send than arrays. No value can contain U+001E:
    ids, types and tags refuse control characters, and JSON text escapes them. (A batch of one
    tag-less event sends '' as its tags, which splits into no element: hence the coalesce.)
    ``any_event`` makes the condition "any event after ``after``" (the empty query).
    """
    if any_event:
        exists = "EXISTS (SELECT 1 FROM esr_events WHERE tenant_id = ? AND position > ?)"
    elif shape:
        exists = " OR ".join(f"EXISTS ({sql.item_sql(s, 'pos > ?')})" for s in shape)
    else:
        exists = "FALSE"
    columns = ", ".join(["string_to_array(?, chr(30))"] * 5)
    # The idempotency record is written with the events, and only when they are.
    record = (
        ",\nrecord AS (\n    INSERT INTO esr_idempotency"
        " (tenant_id, key, fingerprint, result, created_at)\n"
        "    SELECT ?, ?, ?, ?, ? FROM ok WHERE ok.ok\n)"
        if with_record
        else ""
    )
    text = f"""
WITH ok AS (SELECT NOT ({exists}) AS ok),
h AS (SELECT coalesce(max(position), 0) AS head FROM esr_events WHERE tenant_id = ?),
new_events AS (
    INSERT INTO esr_events
        (tenant_id, position, event_id, type, tags, data, metadata, recorded_at)
    SELECT ?, h.head + u.n, u.i, u.t, coalesce(u.g, ''), u.d::jsonb, u.m::jsonb, ?
    FROM h, ok, unnest({columns}) WITH ORDINALITY AS u(i, t, g, d, m, n)
    WHERE ok.ok
),
new_tags AS (
    INSERT INTO esr_event_tags (tenant_id, tag, position, type)
    SELECT ?, u.g, h.head + u.n::bigint, u.t
    FROM h, ok, unnest(string_to_array(?, chr(30)), string_to_array(?, chr(30)),
                       string_to_array(?, chr(30))) AS u(g, n, t)
    WHERE ok.ok
){record}
SELECT ok.ok, h.head + ? FROM ok, h"""
    return sql.for_paramstyle(text, "format")


def write_params(
    tenant_id: int,
    encoded: Sequence[EncodedEvent],
    now: int,
    condition_items: Sequence[QueryItem] | None,
    after: int,
    any_event: bool,
) -> list[Any]:
    if any_event:
        params: list[Any] = [tenant_id, after]
    elif condition_items:
        params = sql.item_params(tenant_id, condition_items, (after,))
    else:
        params = []
    tag_tags: list[str] = []
    tag_index: list[str] = []
    tag_types: list[str] = []
    for n, (event, _, _) in enumerate(encoded, 1):
        for tag in event.tags:
            tag_tags.append(tag)
            tag_index.append(str(n))
            tag_types.append(event.type)
    sep = COLUMN_SEPARATOR
    params += [
        tenant_id,
        tenant_id,
        now,
        sep.join([event.id for event, _, _ in encoded]),
        sep.join([event.type for event, _, _ in encoded]),
        sep.join([TAG_SEPARATOR.join(event.tags) for event, _, _ in encoded]),
        sep.join([data for _, data, _ in encoded]),
        sep.join([metadata for _, _, metadata in encoded]),
        tenant_id,
        sep.join(tag_tags) if tag_tags else None,
        sep.join(tag_index) if tag_index else None,
        sep.join(tag_types) if tag_types else None,
        len(encoded),
    ]
    return params


@lru_cache(maxsize=1024)
def read_statement(inner: str) -> str:
    """The tenant's head and the events ``inner`` selects (NULLs when none), one snapshot.

    Parameters: the tenant, then those of ``inner`` (a :func:`statements.read_sql` text).
    """
    order = "DESC" if " DESC" in inner.rpartition(" ORDER BY ")[2] else "ASC"
    text = (
        f"SELECT h.head, e.* FROM (SELECT max(position) AS head FROM esr_events"
        f" WHERE tenant_id = ?) h LEFT JOIN LATERAL ({inner}) e ON TRUE"
        f" ORDER BY e.position {order}"
    )
    return sql.for_paramstyle(text, "format")


def abort(conn: Any) -> None:
    """End a failed append's transaction, leaving the connection idle (or broken).

    psycopg names a statement as prepared when it sends its first prepared execution; in a
    pipeline that a failed statement aborts, that execution is skipped, yet the name stays
    (psycopg 3.3), and every later use of the statement fails with "prepared statement does
    not exist". So psycopg forgets its prepared statements here (and deallocates them all).
    """
    from psycopg.pq import TransactionStatus

    if not conn.broken and conn.info.transaction_status != TransactionStatus.IDLE:
        conn.execute("ROLLBACK")
        prepared = getattr(conn, "_prepared", None)
        if prepared is not None and hasattr(prepared, "clear"):
            prepared.clear()


def create_tables(engine: Engine) -> None:
    """Create what is missing under a session advisory lock (processes may race)."""
    with engine.connect() as conn:
        conn.exec_driver_sql(f"SELECT pg_advisory_lock({LOCK_NAMESPACE}, 0)")
        try:
            metadata.create_all(conn, checkfirst=True)
            conn.commit()
        finally:
            conn.exec_driver_sql(f"SELECT pg_advisory_unlock({LOCK_NAMESPACE}, 0)")
            conn.commit()


@contextmanager
def transaction(engine: Engine) -> Iterator[Connection]:
    """A transaction, also on the store's engines in autocommit mode, where BEGIN and COMMIT
    are sent as they are: cheaper than switching the connection's isolation level there and
    back for every transaction."""
    with engine.connect() as conn:
        driver: Any = conn.connection.driver_connection
        if not driver.autocommit:  # an engine of the host's
            with conn.begin():
                yield conn
            return
        conn.exec_driver_sql("BEGIN ISOLATION LEVEL READ COMMITTED")
        try:
            yield conn
        except BaseException:
            try:
                conn.exec_driver_sql("ROLLBACK")
            except Exception:
                conn.invalidate()
            raise
        conn.exec_driver_sql("COMMIT")


def bytewise(column: ColumnElement[str]) -> ColumnElement[str]:
    """``column`` ordered by code point, as SQLite and Python order text."""
    return column.collate("C")


@contextmanager
def autocommit_connection(engine: Engine) -> Iterator[Any]:
    """A pooled psycopg connection of ``engine`` in autocommit mode, with driver errors
    translated.

    The hot paths say BEGIN themselves; a failed transaction is rolled back, and a broken
    connection is invalidated so that the pool opens a new one. A host's engine that is not in
    autocommit mode gets its connection back as it was.
    """
    with translate_errors():
        pooled = engine.raw_connection()
        conn: Any = pooled.driver_connection
        toggle = not conn.autocommit
        try:
            if toggle:
                conn.autocommit = True
            yield conn
        except BaseException:
            if conn.broken or conn.closed:
                pooled.invalidate()
                toggle = False
            else:
                abort(conn)
            raise
        finally:
            if toggle:
                conn.autocommit = False
            pooled.close()


class PostgresEvents:
    """The PostgreSQL side of :class:`~esruntime.backends.sql.store.SqlEventStore`."""

    name = "postgresql"
    paramstyle = "format"

    def thread_connections(self, engine: Engine) -> ThreadConnections | None:
        return None  # pooled connections, one per use

    def connection(self, store: SqlEventStore) -> AbstractContextManager[Any]:
        """A pooled psycopg connection in autocommit mode (:func:`autocommit_connection`)."""
        return autocommit_connection(store.engine)

    def append(
        self,
        store: SqlEventStore,
        encoded: list[EncodedEvent],
        condition: AppendCondition | None,
        record: IdempotencyRecord | None,
    ) -> int:
        with self.connection(store) as conn:
            return self._append(store, conn, encoded, condition, record)

    def _append(
        self,
        store: SqlEventStore,
        conn: Any,
        encoded: list[EncodedEvent],
        condition: AppendCondition | None,
        record: IdempotencyRecord | None,
    ) -> int:
        text, params, check_first = self._statement(store, encoded, condition, record)
        try:
            if check_first:
                assert condition is not None
                conn.execute("BEGIN")
                conn.execute(LOCK_TENANT, (store._tenant_id,))
                store._check(conn, condition)
                row = conn.execute(text, params).fetchone()
                conn.execute(NOTIFY, (store._notify_payload,))
                conn.execute("COMMIT")
            else:
                with conn.pipeline():
                    conn.execute("BEGIN")
                    conn.execute(LOCK_TENANT, (store._tenant_id,))
                    cursor = conn.execute(text, params)
                    conn.execute(NOTIFY, (store._notify_payload,))
                    conn.execute("COMMIT")
                row = cursor.fetchone()
        except Exception as exc:
            if (
                record is None
                or getattr(exc, "sqlstate", None) != "23505"
                or "esr_idempotency" not in str(exc)
            ):
                raise
            abort(conn)
            raise store._duplicate(conn, record.key) from None
        ok, head = row
        if not ok:
            assert condition is not None
            raise plans.condition_failed(condition)
        return int(head)

    def _statement(
        self,
        store: SqlEventStore,
        encoded: list[EncodedEvent],
        condition: AppendCondition | None,
        record: IdempotencyRecord | None,
    ) -> tuple[str, list[Any], bool]:
        """An append's write statement, its parameters, and whether the condition is too long
        for the statement and is checked before it."""
        items = None if condition is None else plans.condition_items(condition)
        any_event = condition is not None and condition.fail_if_events_match.matches_all
        check_first = condition is not None and items is None and not any_event
        shape = sql.shape_of(items) if items else None
        text = write_statement(shape, any_event, record is not None)
        after = 0 if condition is None else plans.after(condition)
        params = write_params(store._tenant_id, encoded, now_micros(), items, after, any_event)
        if record is not None:
            params[-1:-1] = store._record_params(record)
        return text, params, check_first

    def group_scope(self, store: SqlEventStore) -> int | None:
        """The tenant: its appends are serialized by its advisory lock, not the database's."""
        return store._tenant_id

    def append_group(self, group: list[PendingAppend]) -> None:
        """Write the group's appends in one transaction, in one round trip unless a condition
        is too long for its statement (see :mod:`~esruntime.backends.sql.groups`).

        A condition that fails writes nothing and fails its append alone. A statement the
        database refuses (a duplicate idempotency key or event id) aborts the transaction:
        then each append of the group is made again on its own, in order, for its own outcome.
        """
        store = group[0].store
        try:
            with self.connection(store) as conn:
                cursors = self._write_group(store, conn, group)
        except EventStoreError as exc:
            if not fails_alone(exc):
                raise
            for pending in group:
                try:
                    pending.succeed(
                        self.append(
                            pending.store, pending.encoded, pending.condition, pending.record
                        )
                    )
                except Exception as error:
                    pending.fail(error)
            return
        for pending, cursor in zip(group, cursors, strict=True):
            if cursor is None:
                continue
            ok, head = cursor.fetchone()
            if ok:
                pending.succeed(int(head))
            else:
                assert pending.condition is not None
                pending.fail(plans.condition_failed(pending.condition))

    def _write_group(
        self, store: SqlEventStore, conn: Any, group: list[PendingAppend]
    ) -> list[Any]:
        """The write statements of the group's appends in one transaction: their cursors
        (None for an append whose long condition failed before its statement)."""
        statements = [self._statement(p.store, p.encoded, p.condition, p.record) for p in group]
        checks = any(check_first for _, _, check_first in statements)
        cursors: list[Any] = []
        with nullcontext() if checks else conn.pipeline():
            conn.execute("BEGIN")
            conn.execute(LOCK_TENANT, (store._tenant_id,))
            for pending, (text, params, check_first) in zip(group, statements, strict=True):
                if check_first:
                    assert pending.condition is not None
                    try:
                        pending.store._check(conn, pending.condition)
                    except IntegrityError as exc:
                        pending.fail(exc)
                        cursors.append(None)
                        continue
                cursors.append(conn.execute(text, params))
            conn.execute(NOTIFY, (store._notify_payload,))
            conn.execute("COMMIT")
        return cursors

    def read(
        self,
        store: SqlEventStore,
        conn: Any,
        query: Query,
        start: int | None,
        backwards: bool,
        limit: int | None,
    ) -> tuple[int | None, list[SequencedEvent]]:
        """One statement: the events and the head come from the same snapshot."""
        low = 1 if backwards else start or 1
        high = start if backwards and start is not None else MAX_POSITION
        plan = store._read_plan(query, low, high, backwards, limit)
        if plan is None:
            return store._read_in_steps(conn, query, start, backwards, limit)
        text, params = plan
        rows = conn.execute(read_statement(text), [store._tenant_id, *params]).fetchall()
        head = None if rows[0][0] is None else int(rows[0][0])
        if rows[0][1] is None:  # no event: the head's row alone
            return head, []
        return head, events_from_rows([row[1:] for row in rows])

    def having_field(self, field: str) -> tuple[str, str]:
        """The condition and parameter that keep events whose data has the top-level field."""
        return " AND data ? %s", field

    def finish_write(self, conn: Any) -> None:
        """Nothing: the connection is in autocommit mode."""

    decode = staticmethod(event_from_row)
    """An event from its row (:data:`statements.EVENT_COLUMNS`)."""


EVENTS = PostgresEvents()
