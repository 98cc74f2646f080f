"""The event store on SQLAlchemy Core: SQLite (WAL) and PostgreSQL (psycopg 3).

SQLAlchemy owns the schema, the dialects and the connection pool. The hot paths (append, read)
run a few fixed, cached SQL statements on the pooled driver connection, which costs a fraction
of going through SQLAlchemy's statement layer on every call.
"""

from __future__ import annotations

import heapq
import json
import re
import sqlite3
import weakref
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine

from esruntime.backends.sql import postgres, sqlite
from esruntime.backends.sql import statements as sql
from esruntime.backends.sql.connections import create_store_engine, thread_connections
from esruntime.backends.sql.errors import translate_errors
from esruntime.backends.sql.setup import create_tables as create_tables_
from esruntime.backends.sql.setup import register_tenant
from esruntime.backends.sql.tables import TAG_SEPARATOR
from esruntime.backends.sql.timestamps import from_micros, now_micros
from esruntime.checks import check_lookup, check_read_args, check_tenant
from esruntime.encoding import (
    DEFAULT_MAX_EVENT_BYTES,
    EncodedEvent,
    check_condition,
    decode,
    decode_stored,
    encode_events,
)
from esruntime.errors import ConfigurationError, IntegrityError, InvalidQueryError
from esruntime.events import (
    AppendCondition,
    Event,
    Query,
    QueryItem,
    ReadResult,
    SequencedEvent,
)
from esruntime.idempotency import DuplicateIdempotencyKey, IdempotencyRecord
from esruntime.subscriptions import AppendSignal, Subscription

__all__ = ["SqlEventStore", "append_signals"]

_PLAIN_KEY = re.compile(r"[A-Za-z0-9_$.\- ]*")
_signals: weakref.WeakKeyDictionary[Engine, dict[int, AppendSignal]] = weakref.WeakKeyDictionary()

_HEAD = "SELECT max(position) FROM esr_events WHERE tenant_id = ?"
_ANY_AFTER = "SELECT 1 FROM esr_events WHERE tenant_id = ? AND position > ? LIMIT 1"
_GET = f"SELECT {sql.EVENT_COLUMNS} FROM esr_events e WHERE e.tenant_id = ? AND e.event_id = ?"
_BY_POSITIONS = (
    f"SELECT {sql.EVENT_COLUMNS} FROM esr_events e WHERE e.tenant_id = ? AND e.position IN"
)
_COUNT = "SELECT count(*) FROM esr_events WHERE tenant_id = ? AND type = ?"
_REMEMBER = (
    "INSERT INTO esr_idempotency (tenant_id, key, fingerprint, result, created_at)"
    " VALUES (?, ?, ?, ?, ?)"
)
_UNLESS_KNOWN = " ON CONFLICT (tenant_id, key) DO NOTHING"
_RECALL = "SELECT key, fingerprint, result FROM esr_idempotency WHERE tenant_id = ? AND key = ?"
_TYPE_COUNTS = "SELECT type, count(*) FROM esr_events WHERE tenant_id = ? GROUP BY type"

_NOTIFY = "SELECT pg_notify('esr_events', %s)"

ReadPlan = tuple[str, list[Any]]
"""SQL text (with ``?``) for :func:`statements.read_sql` and its parameters."""


class SqlEventStore:
    """One tenant's events in SQLite or PostgreSQL.

    ``SqlEventStore("sqlite:///events.db")`` or ``SqlEventStore(engine, tenant="acme")``. Tables
    are created when missing (``create_tables=False`` leaves that to migrations). Several store
    objects, threads and processes may share a database: appends are serialized per tenant by
    the database itself. Subscribers are woken at once by appends made through this process and
    find other processes' appends within ``poll_interval`` seconds.
    """

    def __init__(
        self,
        engine: Engine | str,
        tenant: str = "default",
        *,
        max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES,
        create_tables: bool = True,
        poll_interval: float = 0.05,
    ) -> None:
        self._owns_engine = isinstance(engine, str)
        self._engine = create_store_engine(engine) if isinstance(engine, str) else engine
        self._postgres = self._engine.dialect.name == "postgresql"
        if not self._postgres and self._engine.dialect.name != "sqlite":
            raise ConfigurationError(f"unsupported database dialect {self._engine.dialect.name!r}")
        self._paramstyle = "format" if self._postgres else "qmark"
        self._thread_connections = None if self._postgres else thread_connections(self._engine)
        self._tenant = check_tenant(tenant)
        self.max_event_bytes = max_event_bytes
        self._poll_interval = poll_interval
        with translate_errors():
            if create_tables:
                create_tables_(self._engine)
            self._tenant_id = register_tenant(self._engine, tenant)
        self._notify_payload = str(self._tenant_id)
        signals = _signals.setdefault(self._engine, {})
        self._signal = signals.setdefault(self._tenant_id, AppendSignal(poll_interval))

    @property
    def tenant(self) -> str:
        return self._tenant

    @property
    def engine(self) -> Engine:
        return self._engine

    def for_tenant(self, tenant: str) -> SqlEventStore:
        """The store of another tenant in the same database."""
        return SqlEventStore(
            self._engine,
            tenant,
            max_event_bytes=self.max_event_bytes,
            create_tables=False,
            poll_interval=self._poll_interval,
        )

    @contextmanager
    def _connection(self) -> Iterator[Any]:
        """A driver connection (sqlite3 or psycopg), with driver errors translated.

        SQLite connections are cheap and local, so each thread keeps the one it checked out of
        the pool (returned when the thread ends). PostgreSQL ones are used in autocommit mode
        (the hot paths say BEGIN themselves) and go back to the pool after every use; a broken
        one is invalidated so that the pool opens a new one.
        """
        with translate_errors():
            if self._thread_connections is not None:
                yield self._thread_connections.get()
                return
            pooled = self._engine.raw_connection()
            conn: Any = pooled.driver_connection
            toggle = not conn.autocommit  # an engine of the host's, not in autocommit mode
            try:
                if toggle:
                    conn.autocommit = True
                yield conn
            except BaseException:
                if conn.broken or conn.closed:
                    pooled.invalidate()
                    toggle = False
                else:
                    postgres.abort(conn)
                raise
            finally:
                if toggle:
                    conn.autocommit = False
                pooled.close()

    def _sql(self, text: str) -> str:
        return sql.for_paramstyle(text, self._paramstyle)

    # -- appending -----------------------------------------------------------------------------

    def append(
        self,
        events: Event | Sequence[Event],
        condition: AppendCondition | None = None,
        *,
        record: IdempotencyRecord | None = None,
    ) -> int:
        encoded = encode_events(events, self.max_event_bytes)
        check_condition(condition)
        if self._thread_connections is not None:
            with translate_errors():  # the hot path, without _connection()'s generator
                conn = self._thread_connections.get()
                with self._thread_connections.writer:
                    head = self._append_sqlite(conn, encoded, condition, record)
        else:
            with self._connection() as conn:
                head = self._append_postgres(conn, encoded, condition, record)
        self._signal.notify()
        return head

    def _append_sqlite(
        self,
        conn: Any,
        encoded: list[EncodedEvent],
        condition: AppendCondition | None,
        record: IdempotencyRecord | None,
    ) -> int:
        conn.execute("BEGIN IMMEDIATE")
        try:
            found = self._sqlite_head_unless(conn, condition)
            if not found:  # only a condition can hide the head
                assert condition is not None
                raise _condition_failed(condition)
            ((head,),) = found
            if record is not None:
                try:
                    conn.execute(self._sql(_REMEMBER), self._record_params(record))
                except sqlite3.IntegrityError:
                    raise self._duplicate(conn, record.key) from None
            sqlite.insert_rows(conn, *self._rows(encoded, head + 1))
            conn.commit()
        except BaseException:
            conn.rollback()
            raise
        return int(head) + len(encoded)

    def _sqlite_head_unless(self, conn: Any, condition: AppendCondition | None) -> list[tuple[int]]:
        """The head; no row when the condition fails.

        With one statement's worth of items the condition is part of the head's SELECT; longer
        conditions are checked first, in the same (write-locked) transaction.
        """
        items = None if condition is None else _condition_items(condition)
        if condition is not None and items is None:
            self._check(conn, condition)
        if condition is None or items is None:
            rows: list[tuple[int]] = conn.execute(sql.HEAD, (self._tenant_id,)).fetchall()
            return rows
        text = sql.head_unless_sql(sql.shape_of(items))
        after = _after(condition)
        params = [self._tenant_id, *sql.item_params(self._tenant_id, items, (after,))]
        rows = conn.execute(text, params).fetchall()
        return rows

    def _append_postgres(
        self,
        conn: Any,
        encoded: list[EncodedEvent],
        condition: AppendCondition | None,
        record: IdempotencyRecord | None,
    ) -> int:
        items = None if condition is None else _condition_items(condition)
        any_event = condition is not None and condition.fail_if_events_match.matches_all
        # A condition too long for one statement is checked on its own, under the lock.
        check_first = condition is not None and items is None and not any_event
        shape = sql.shape_of(items) if items else None
        text = postgres.write_statement(shape, any_event, record is not None)
        after = 0 if condition is None else _after(condition)
        params = postgres.write_params(
            self._tenant_id, encoded, now_micros(), items, after, any_event
        )
        if record is not None:
            params[-1:-1] = self._record_params(record)
        try:
            if check_first:
                assert condition is not None
                conn.execute("BEGIN")
                conn.execute(postgres.LOCK_TENANT, (self._tenant_id,))
                self._check(conn, condition)
                row = conn.execute(text, params).fetchone()
                conn.execute(_NOTIFY, (self._notify_payload,))
                conn.execute("COMMIT")
            else:
                with conn.pipeline():
                    conn.execute("BEGIN")
                    conn.execute(postgres.LOCK_TENANT, (self._tenant_id,))
                    cursor = conn.execute(text, params)
                    conn.execute(_NOTIFY, (self._notify_payload,))
                    conn.execute("COMMIT")
                row = cursor.fetchone()
        except Exception as exc:
            if (
                record is None
                or getattr(exc, "sqlstate", None) != "23505"
                or "esr_idempotency" not in str(exc)
            ):
                raise
            postgres.abort(conn)
            raise self._duplicate(conn, record.key) from None
        ok, head = row
        if not ok:
            assert condition is not None
            raise _condition_failed(condition)
        return int(head)

    def _rows(
        self, encoded: list[EncodedEvent], first: int
    ) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
        tenant_id = self._tenant_id
        now = now_micros()
        rows: list[tuple[Any, ...]] = []
        tag_rows: list[tuple[Any, ...]] = []
        for position, (event, data, meta) in enumerate(encoded, first):
            tags = event.tags
            joined = TAG_SEPARATOR.join(tags)
            rows.append((tenant_id, position, event.id, event.type, joined, data, meta, now))
            tag_rows.extend((tenant_id, tag, position, event.type) for tag in tags)
        return rows, tag_rows

    def _check(self, conn: Any, condition: AppendCondition) -> None:
        """Raise IntegrityError when an event after ``condition.after`` matches its query."""
        after = _after(condition)
        query = condition.fail_if_events_match
        if query.matches_all:
            found = conn.execute(self._sql(_ANY_AFTER), (self._tenant_id, after)).fetchone()
        else:
            found = None
            for chunk in _chunks(_expand(query.items)):
                params = sql.item_params(self._tenant_id, chunk, (after,))
                text = self._sql(sql.condition_sql(sql.shape_of(chunk)))
                found = conn.execute(text, params).fetchone()
                if found:
                    break
        if found:
            raise _condition_failed(condition)

    # -- reading -------------------------------------------------------------------------------

    def read(
        self,
        query: Query | None = None,
        *,
        start: int | None = None,
        backwards: bool = False,
        limit: int | None = None,
    ) -> ReadResult:
        check_read_args(start, limit)
        if query is not None and not isinstance(query, Query):
            raise InvalidQueryError(f"query must be a Query, got {query!r}")
        if limit == 0:
            return ReadResult([], None)
        query = query or Query()
        # Positions are 64-bit integers: a larger start or limit says no more than the largest.
        start = None if start is None else min(start, postgres.MAX_POSITION)
        limit = None if limit is None else min(limit, postgres.MAX_POSITION)
        with self._connection() as conn:
            if self._postgres:
                head, events = self._read_postgres(conn, query, start, backwards, limit)
            else:
                head, events = self._read_in_steps(conn, query, start, backwards, limit)
        if limit is not None:
            return ReadResult(events, events[-1].position if events else None)
        return ReadResult(events, head)

    def _read_in_steps(
        self, conn: Any, query: Query, start: int | None, backwards: bool, limit: int | None
    ) -> tuple[int | None, list[SequencedEvent]]:
        """Read the head, then the matching events up to it: the same snapshot, as positions
        up to the head are all committed and no later one is selected."""
        head = self._head(conn)
        if head is None:
            return None, []
        if backwards:
            low, high = 1, head if start is None else min(start, head)
        else:
            low, high = start or 1, head
        if low > high:
            return head, []
        plan = self._read_plan(query, low, high, backwards, limit)
        if plan is None:
            return head, self._select_in_chunks(conn, query, low, high, backwards, limit)
        text, params = plan
        rows = conn.execute(self._sql(text), params).fetchall()
        return head, [self._decode(row) for row in rows]

    def _read_postgres(
        self, conn: Any, query: Query, start: int | None, backwards: bool, limit: int | None
    ) -> tuple[int | None, list[SequencedEvent]]:
        """One statement: the events and the head come from the same snapshot."""
        low = 1 if backwards else start or 1
        high = start if backwards and start is not None else postgres.MAX_POSITION
        plan = self._read_plan(query, low, high, backwards, limit)
        if plan is None:
            return self._read_in_steps(conn, query, start, backwards, limit)
        text, params = plan
        rows = conn.execute(postgres.read_statement(text), [self._tenant_id, *params]).fetchall()
        head = None if rows[0][0] is None else int(rows[0][0])
        return head, [self._decode(row[1:]) for row in rows if row[1] is not None]

    def _read_plan(
        self, query: Query, low: int, high: int, backwards: bool, limit: int | None
    ) -> ReadPlan | None:
        """SQL and parameters of a read; None for a query too long for one statement."""
        limited = limit is not None
        tail = [] if limit is None else [limit]
        if query.matches_all:
            return sql.read_sql(None, backwards, limited), [self._tenant_id, low, high, *tail]
        items = _expand(query.items)
        if len(items) > sql.MAX_ITEMS_PER_STATEMENT:
            return None
        shapes = sql.shape_of(items)
        text = sql.read_sql(shapes, backwards, limited)
        if shapes == ((1, 0),):
            return text, [self._tenant_id, items[0].types[0], low, high, *tail]
        bounds = (low, high, *tail)
        return text, [self._tenant_id, *sql.item_params(self._tenant_id, items, bounds), *tail]

    def _head(self, conn: Any) -> int | None:
        row = conn.execute(self._sql(_HEAD), (self._tenant_id,)).fetchone()
        return int(row[0]) if row and row[0] else None

    def _select_in_chunks(
        self, conn: Any, query: Query, low: int, high: int, backwards: bool, limit: int | None
    ) -> list[SequencedEvent]:
        """A query too long for one statement: merge the positions of each chunk of items."""
        limited = limit is not None
        tail = [] if limit is None else [limit]
        streams = []
        for chunk in _chunks(_expand(query.items)):
            text = sql.positions_sql(sql.shape_of(chunk), backwards, limited)
            params = [*sql.item_params(self._tenant_id, chunk, (low, high, *tail)), *tail]
            streams.append([row[0] for row in conn.execute(self._sql(text), params).fetchall()])
        merged = list(dict.fromkeys(heapq.merge(*streams, reverse=backwards)))[:limit]
        events: list[SequencedEvent] = []
        for start in range(0, len(merged), 500):
            batch = merged[start : start + 500]
            text = f"{_BY_POSITIONS} ({', '.join('?' * len(batch))})"
            rows = conn.execute(self._sql(text), [self._tenant_id, *batch]).fetchall()
            events.extend(self._decode(row) for row in rows)
        events.sort(key=lambda e: e.position, reverse=backwards)
        return events

    def _decode(self, row: Sequence[Any]) -> SequencedEvent:
        position, event_id, type_, tags, data, meta, recorded_at = row
        if not self._postgres:
            data = decode_stored(data)
            meta = decode_stored(meta)
        event = Event.from_storage(
            type_, data, tuple(tags.split(TAG_SEPARATOR)) if tags else (), event_id, meta
        )
        return SequencedEvent(position, event, from_micros(recorded_at))

    def head(self) -> int | None:
        with self._connection() as conn:
            return self._head(conn)

    def subscribe(self, query: Query | None = None, *, after: int | None = None) -> Subscription:
        return Subscription(self._read_from, self._signal, query, after=after)

    def _read_from(self, query: Query, start: int, limit: int) -> ReadResult:
        return self.read(query, start=start, limit=limit)

    def get(self, event_id: str) -> SequencedEvent | None:
        check_lookup("event_id", event_id)
        with self._connection() as conn:
            row = conn.execute(self._sql(_GET), (self._tenant_id, event_id)).fetchone()
        return None if row is None else self._decode(row)

    def count(self, event_type: str, *, having_field: str | None = None) -> int:
        check_lookup("event_type", event_type)
        if having_field is not None:
            check_lookup("having_field", having_field)
        text = self._sql(_COUNT)
        params: list[Any] = [self._tenant_id, event_type]
        if having_field is not None:
            if self._postgres:
                text += " AND data ? %s"
                params.append(having_field)
            elif _PLAIN_KEY.fullmatch(having_field):
                text += " AND json_type(data, ?) IS NOT NULL"
                params.append(f'$."{having_field}"')
            else:  # a JSON path cannot quote every key; compare keys literally instead
                text += (
                    " AND json_type(data) = 'object'"
                    " AND EXISTS (SELECT 1 FROM json_each(data) WHERE json_each.key = ?)"
                )
                params.append(having_field)
        with self._connection() as conn:
            return int(conn.execute(text, params).fetchone()[0])

    def type_counts(self) -> dict[str, int]:
        with self._connection() as conn:
            rows = conn.execute(self._sql(_TYPE_COUNTS), (self._tenant_id,)).fetchall()
        return {type_: int(n) for type_, n in rows}

    # -- idempotency records -------------------------------------------------------------------

    def _record_params(self, record: IdempotencyRecord) -> list[Any]:
        result = json.dumps(dict(record.result), separators=(",", ":"))
        return [self._tenant_id, record.key, record.fingerprint, result, now_micros()]

    def _recall(self, conn: Any, key: str) -> IdempotencyRecord | None:
        row = conn.execute(self._sql(_RECALL), (self._tenant_id, key)).fetchone()
        return None if row is None else IdempotencyRecord(row[0], row[1], decode(row[2]))

    def _duplicate(self, conn: Any, key: str) -> DuplicateIdempotencyKey:
        """The error for an append whose key already has a record, carrying that record."""
        existing = self._recall(conn, key)
        assert existing is not None  # the insert just collided with it
        return DuplicateIdempotencyKey(existing)

    def recall(self, key: str) -> IdempotencyRecord | None:
        check_lookup("key", key)
        with self._connection() as conn:
            return self._recall(conn, key)

    def remember(self, record: IdempotencyRecord) -> IdempotencyRecord:
        with self._connection() as conn:
            conn.execute(self._sql(_REMEMBER + _UNLESS_KNOWN), self._record_params(record))
            if not self._postgres:
                conn.commit()
            existing = self._recall(conn, record.key)
        assert existing is not None
        return existing

    def close(self) -> None:
        """Wake this store's subscribers; dispose of the engine when the store created it."""
        self._signal.notify()
        if self._owns_engine:
            self._engine.dispose()


def _condition_items(condition: AppendCondition) -> list[QueryItem] | None:
    """The condition's items when one statement can check them, else None."""
    query = condition.fail_if_events_match
    if query.matches_all:
        return None
    items = _expand(query.items)
    return items if len(items) <= sql.MAX_ITEMS_PER_STATEMENT else None


def _after(condition: AppendCondition) -> int:
    """The condition's position (positions are 64-bit: a larger one is the largest)."""
    return min(condition.after or 0, postgres.MAX_POSITION)


def _condition_failed(condition: AppendCondition) -> IntegrityError:
    return IntegrityError(
        "append condition failed: an event matching the query exists after position "
        f"{condition.after}"
    )


def _expand(items: Sequence[QueryItem]) -> list[QueryItem]:
    """Split types-only items with several types into one item per type.

    ``QueryItem(types=(a, b))`` is ``QueryItem(types=(a,)) OR QueryItem(types=(b,))``; each of
    those is an ordered range of the type index, which keeps limited reads cheap.
    """
    if all(item.tags or len(item.types) <= 1 for item in items):
        return list(items)  # a Query's items are already unique
    expanded: list[QueryItem] = []
    for item in items:
        if not item.tags and len(item.types) > 1:
            expanded.extend(QueryItem(types=(t,)) for t in item.types)
        else:
            expanded.append(item)
    return list(dict.fromkeys(expanded))


def _chunks(items: Sequence[QueryItem]) -> Iterator[Sequence[QueryItem]]:
    step = sql.MAX_ITEMS_PER_STATEMENT
    for start in range(0, len(items), step):
        yield items[start : start + step]


def append_signals(engine: Engine) -> dict[int, AppendSignal]:
    """The append signals of the stores on ``engine`` in this process, by tenant id."""
    return _signals.setdefault(engine, {})
