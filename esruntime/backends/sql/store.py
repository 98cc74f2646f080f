"""The event store on SQLAlchemy Core: SQLite (WAL) and PostgreSQL (psycopg 3).

SQLAlchemy owns the schema, the dialects and the connection pool. The hot paths (append, read)
run a few fixed, cached SQL statements on the pooled driver connection, which costs a fraction
of going through SQLAlchemy's statement layer on every call.
"""

from __future__ import annotations

import heapq
import re
import weakref
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.dialects import postgresql, sqlite

from esruntime.backends.sql import statements as sql
from esruntime.backends.sql.connections import create_store_engine, thread_connections
from esruntime.backends.sql.errors import translate_errors
from esruntime.backends.sql.tables import TAG_SEPARATOR, metadata, tenants
from esruntime.encoding import DEFAULT_MAX_EVENT_BYTES, EncodedEvent, decode, encode_events
from esruntime.errors import IntegrityError, InvalidQueryError
from esruntime.events import (
    AppendCondition,
    Event,
    Query,
    QueryItem,
    ReadResult,
    SequencedEvent,
)
from esruntime.reading import check_read_args
from esruntime.subscriptions import AppendSignal, Subscription

__all__ = ["SqlEventStore"]

_PLAIN_KEY = re.compile(r"[A-Za-z0-9_$.\- ]*")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_signals: weakref.WeakKeyDictionary[Engine, dict[int, AppendSignal]] = weakref.WeakKeyDictionary()

_SQLITE_BUMP_HEAD = "UPDATE esr_tenants SET head = head + ? WHERE id = ? RETURNING head"
_SQLITE_INSERT_EVENT = (
    "INSERT INTO esr_events"
    " (tenant_id, position, event_id, type, tags, data, metadata, recorded_at)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
_SQLITE_INSERT_TAG = (
    "INSERT INTO esr_event_tags (tenant_id, tag, position, type) VALUES (?, ?, ?, ?)"
)
_PG_LOCK_HEAD = "SELECT head FROM esr_tenants WHERE id = %s FOR UPDATE"
_PG_WRITE = """
WITH new_events AS (
    INSERT INTO esr_events (tenant_id, position, event_id, type, tags, data, metadata, recorded_at)
    SELECT %(tenant)s, p, i, t, g, d::jsonb, m::jsonb, %(now)s
    FROM unnest(%(positions)s::bigint[], %(ids)s::text[], %(types)s::text[], %(tags)s::text[],
                %(data)s::text[], %(metadata)s::text[]) AS u(p, i, t, g, d, m)
), new_tags AS (
    INSERT INTO esr_event_tags (tenant_id, tag, position, type)
    SELECT %(tenant)s, g, p, t
    FROM unnest(%(tag_tags)s::text[], %(tag_positions)s::bigint[], %(tag_types)s::text[])
        AS u(g, p, t)
)
UPDATE esr_tenants SET head = %(head)s WHERE id = %(tenant)s
"""
_HEAD = "SELECT head FROM esr_tenants WHERE id = ?"
_ANY_AFTER = "SELECT 1 FROM esr_events WHERE tenant_id = ? AND position > ? LIMIT 1"
_GET = f"SELECT {sql.EVENT_COLUMNS} FROM esr_events e WHERE e.tenant_id = ? AND e.event_id = ?"
_BY_POSITIONS = (
    f"SELECT {sql.EVENT_COLUMNS} FROM esr_events e WHERE e.tenant_id = ? AND e.position IN"
)
_COUNT = "SELECT count(*) FROM esr_events WHERE tenant_id = ? AND type = ?"
_TYPE_COUNTS = "SELECT type, count(*) FROM esr_events WHERE tenant_id = ? GROUP BY type"


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
            raise ValueError(f"unsupported database dialect {self._engine.dialect.name!r}")
        self._paramstyle = "format" if self._postgres else "qmark"
        self._thread_connections = None if self._postgres else thread_connections(self._engine)
        self._tenant = tenant
        self.max_event_bytes = max_event_bytes
        self._poll_interval = poll_interval
        with translate_errors():
            if create_tables:
                metadata.create_all(self._engine, checkfirst=True)
            self._tenant_id = self._register_tenant(tenant)
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

    def _register_tenant(self, name: str) -> int:
        insert = (postgresql.insert if self._postgres else sqlite.insert)(tenants)
        with self._engine.begin() as conn:
            conn.execute(
                insert.values(name=name, head=0).on_conflict_do_nothing(index_elements=["name"])
            )
            return int(
                conn.execute(select(tenants.c.id).where(tenants.c.name == name)).scalar_one()
            )

    @contextmanager
    def _connection(self) -> Iterator[Any]:
        """A driver connection (sqlite3 or psycopg), with driver errors translated.

        SQLite connections are cheap and local, so each thread keeps the one it checked out of
        the pool (returned when the thread ends); PostgreSQL ones go back after every use.
        """
        with translate_errors():
            if self._thread_connections is not None:
                yield self._thread_connections.get()
                return
            pooled = self._engine.raw_connection()
            try:
                yield pooled.driver_connection
            finally:
                pooled.close()

    def _sql(self, text: str) -> str:
        return sql.for_paramstyle(text, self._paramstyle)

    # -- appending -----------------------------------------------------------------------------

    def append(self, events: Event | list[Event], condition: AppendCondition | None = None) -> int:
        encoded = encode_events(
            events if isinstance(events, list) else [events], self.max_event_bytes
        )
        if condition is not None and not isinstance(condition, AppendCondition):
            raise InvalidQueryError(f"condition must be an AppendCondition, got {condition!r}")
        with self._connection() as conn:
            if self._postgres:
                head = self._append_postgres(conn, encoded, condition)
            else:
                head = self._append_sqlite(conn, encoded, condition)
        self._signal.notify()
        return head

    def _append_sqlite(
        self, conn: Any, encoded: list[EncodedEvent], condition: AppendCondition | None
    ) -> int:
        conn.execute("BEGIN IMMEDIATE")
        try:
            bumped = self._bump_sqlite_head(conn, len(encoded), condition)
            if not bumped:  # only a condition can stop the head from moving
                assert condition is not None
                raise _condition_failed(condition)
            ((head,),) = bumped
            rows, tag_rows = self._rows(encoded, head - len(encoded) + 1)
            if len(rows) == 1:
                conn.execute(_SQLITE_INSERT_EVENT, rows[0])
            else:
                conn.executemany(_SQLITE_INSERT_EVENT, rows)
            if len(tag_rows) == 1:
                conn.execute(_SQLITE_INSERT_TAG, tag_rows[0])
            elif tag_rows:
                conn.executemany(_SQLITE_INSERT_TAG, tag_rows)
            conn.commit()
        except BaseException:
            conn.rollback()
            raise
        return int(head)

    def _bump_sqlite_head(
        self, conn: Any, count: int, condition: AppendCondition | None
    ) -> list[tuple[int]]:
        """Advance the head by ``count``; no row when the condition fails.

        With one statement's worth of items the condition is part of the UPDATE; longer
        conditions are checked first, in the same (write-locked) transaction.
        """
        if condition is None:
            return conn.execute(_SQLITE_BUMP_HEAD, (count, self._tenant_id)).fetchall()  # type: ignore[no-any-return]
        query = condition.fail_if_events_match
        items = _expand(query.items)
        if query.matches_all or len(items) > sql.MAX_ITEMS_PER_STATEMENT:
            self._check(conn, condition)
            return conn.execute(_SQLITE_BUMP_HEAD, (count, self._tenant_id)).fetchall()  # type: ignore[no-any-return]
        text = sql.bump_head_unless_sql(sql.shape_of(items))
        params = [
            count,
            self._tenant_id,
            *sql.item_params(self._tenant_id, items, (condition.after or 0,)),
        ]
        return conn.execute(text, params).fetchall()  # type: ignore[no-any-return]

    def _rows(
        self, encoded: list[EncodedEvent], first: int
    ) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
        tenant_id = self._tenant_id
        now = _now_micros()
        rows: list[tuple[Any, ...]] = []
        tag_rows: list[tuple[Any, ...]] = []
        for position, (event, data, meta) in enumerate(encoded, first):
            tags = event.tags
            rows.append(
                (
                    tenant_id,
                    position,
                    event.id,
                    event.type,
                    TAG_SEPARATOR.join(tags),
                    data,
                    meta,
                    now,
                )
            )
            tag_rows.extend((tenant_id, tag, position, event.type) for tag in tags)
        return rows, tag_rows

    def _append_postgres(
        self, conn: Any, encoded: list[EncodedEvent], condition: AppendCondition | None
    ) -> int:
        try:
            with conn.cursor() as cursor:
                cursor.execute(_PG_LOCK_HEAD, (self._tenant_id,))
                (current,) = cursor.fetchone()
                if condition is not None:
                    self._check(cursor, condition)
                rows, tag_rows = self._rows(encoded, current + 1)
                head = current + len(rows)
                columns = list(zip(*rows, strict=True))
                tag_columns = list(zip(*tag_rows, strict=True)) or [(), (), (), ()]
                cursor.execute(
                    _PG_WRITE,
                    {
                        "tenant": self._tenant_id,
                        "now": rows[0][7],
                        "positions": list(columns[1]),
                        "ids": list(columns[2]),
                        "types": list(columns[3]),
                        "tags": list(columns[4]),
                        "data": list(columns[5]),
                        "metadata": list(columns[6]),
                        "tag_tags": list(tag_columns[1]),
                        "tag_positions": list(tag_columns[2]),
                        "tag_types": list(tag_columns[3]),
                        "head": head,
                    },
                )
            conn.commit()
        except BaseException:
            conn.rollback()
            raise
        return int(head)

    def _check(self, conn: Any, condition: AppendCondition) -> None:
        """Raise IntegrityError when an event after ``condition.after`` matches its query."""
        after = condition.after or 0
        query = condition.fail_if_events_match
        if query.matches_all:
            found = conn.execute(self._sql(_ANY_AFTER), (self._tenant_id, after)).fetchone()
        else:
            found = None
            for chunk in _chunks(_expand(query.items)):
                params = sql.item_params(self._tenant_id, chunk, (after,))
                found = conn.execute(
                    self._sql(sql.condition_sql(sql.shape_of(chunk))), params
                ).fetchone()
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
        with self._connection() as conn:
            head = self._head(conn)
            if head is None:
                return ReadResult([], None)
            if backwards:
                low, high = 1, head if start is None else min(start, head)
            else:
                low, high = start or 1, head
            events = (
                []
                if low > high
                else self._select(conn, query or Query(), low, high, backwards, limit)
            )
        if limit is not None:
            return ReadResult(events, events[-1].position if events else None)
        return ReadResult(events, head)

    def _head(self, conn: Any) -> int | None:
        row = conn.execute(self._sql(_HEAD), (self._tenant_id,)).fetchone()
        return int(row[0]) if row and row[0] else None

    def _select(
        self, conn: Any, query: Query, low: int, high: int, backwards: bool, limit: int | None
    ) -> list[SequencedEvent]:
        limited = limit is not None
        tail = [] if limit is None else [limit]
        if query.matches_all:
            text = sql.read_sql(None, backwards, limited)
            params: list[Any] = [self._tenant_id, low, high, *tail]
        else:
            items = _expand(query.items)
            if len(items) > sql.MAX_ITEMS_PER_STATEMENT:
                return self._select_in_chunks(conn, items, low, high, backwards, limit)
            shapes = sql.shape_of(items)
            text = sql.read_sql(shapes, backwards, limited)
            if shapes == ((1, 0),):
                params = [self._tenant_id, items[0].types[0], low, high, *tail]
            else:
                bounds = (low, high, *tail)
                params = [self._tenant_id, *sql.item_params(self._tenant_id, items, bounds), *tail]
        rows = conn.execute(self._sql(text), params).fetchall()
        return [self._decode(row) for row in rows]

    def _select_in_chunks(
        self,
        conn: Any,
        items: Sequence[QueryItem],
        low: int,
        high: int,
        backwards: bool,
        limit: int | None,
    ) -> list[SequencedEvent]:
        """A query too long for one statement: merge the positions of each chunk of items."""
        limited = limit is not None
        tail = [] if limit is None else [limit]
        streams = []
        for chunk in _chunks(items):
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

    def _decode(self, row: tuple[Any, ...]) -> SequencedEvent:
        position, event_id, type_, tags, data, meta, recorded_at = row
        if not self._postgres:
            data = decode(data)
            meta = decode(meta)
        event = Event.from_storage(
            type_, data, tuple(tags.split(TAG_SEPARATOR)) if tags else (), event_id, meta
        )
        return SequencedEvent(position, event, _EPOCH + timedelta(microseconds=recorded_at))

    def head(self) -> int | None:
        with self._connection() as conn:
            return self._head(conn)

    def subscribe(self, query: Query | None = None, *, after: int | None = None) -> Subscription:
        return Subscription(self._read_from, self._signal, query, after=after)

    def _read_from(self, query: Query, start: int, limit: int) -> ReadResult:
        return self.read(query, start=start, limit=limit)

    def get(self, event_id: str) -> SequencedEvent | None:
        with self._connection() as conn:
            row = conn.execute(self._sql(_GET), (self._tenant_id, event_id)).fetchone()
        return None if row is None else self._decode(row)

    def count(self, event_type: str, *, having_field: str | None = None) -> int:
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

    def close(self) -> None:
        """Wake this store's subscribers; dispose of the engine when the store created it."""
        self._signal.notify()
        if self._owns_engine:
            self._engine.dispose()


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


def _now_micros() -> int:
    delta = datetime.now(UTC) - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
