"""The event store on SQLAlchemy Core: SQLite (WAL) and PostgreSQL (psycopg 3).

SQLAlchemy owns the schema, the dialects and the connection pool. The hot paths (append, read)
run a few fixed, cached SQL statements on the pooled driver connection, which costs a fraction
of going through SQLAlchemy's statement layer on every call.
"""

from __future__ import annotations

import heapq
import json
import weakref
from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Any

from sqlalchemy import Engine

from esruntime.backends.sql import plans
from esruntime.backends.sql import statements as sql
from esruntime.backends.sql.connections import create_store_engine
from esruntime.backends.sql.dialects import dialect_of
from esruntime.backends.sql.errors import translate_errors
from esruntime.backends.sql.groups import group_commit_for
from esruntime.backends.sql.rows import REMEMBER, UNLESS_KNOWN, events_from_rows
from esruntime.backends.sql.setup import create_tables as create_tables_
from esruntime.backends.sql.setup import register_tenant
from esruntime.backends.sql.timestamps import now_micros
from esruntime.checks import check_lookup, check_read_args, check_tenant
from esruntime.encoding import DEFAULT_MAX_EVENT_BYTES, check_condition, decode, encode_events
from esruntime.errors import InvalidQueryError
from esruntime.events import AppendCondition, Event, Query, ReadResult, SequencedEvent
from esruntime.idempotency import DuplicateIdempotencyKey, IdempotencyRecord
from esruntime.subscriptions import AppendSignal, Subscription

__all__ = ["SqlEventStore", "append_signals"]

_signals: weakref.WeakKeyDictionary[Engine, dict[int, AppendSignal]] = weakref.WeakKeyDictionary()

_HEAD = "SELECT max(position) FROM esr_events WHERE tenant_id = ?"
_ANY_AFTER = "SELECT 1 FROM esr_events WHERE tenant_id = ? AND position > ? LIMIT 1"
_GET = f"SELECT {sql.EVENT_COLUMNS} FROM esr_events e WHERE e.tenant_id = ? AND e.event_id = ?"
_BY_POSITIONS = (
    f"SELECT {sql.EVENT_COLUMNS} FROM esr_events e WHERE e.tenant_id = ? AND e.position IN"
)
_COUNT = "SELECT count(*) FROM esr_events WHERE tenant_id = ? AND type = ?"
_RECALL = "SELECT key, fingerprint, result FROM esr_idempotency WHERE tenant_id = ? AND key = ?"
_TYPE_COUNTS = "SELECT type, count(*) FROM esr_events WHERE tenant_id = ? GROUP BY type"


ReadPlan = tuple[str, list[Any]]
"""SQL text (with ``?``) for :func:`statements.read_sql` and its parameters."""


class SqlEventStore:
    """One tenant's events in SQLite or PostgreSQL.

    What the dialects do differently (appending, connections, one-statement reads, JSON) is in
    :mod:`~esruntime.backends.sql.sqlite` and :mod:`~esruntime.backends.sql.postgres`, chosen
    once from the engine; the rest is shared.

    ``SqlEventStore("sqlite:///events.db")`` or ``SqlEventStore(engine, tenant="acme")``. Tables
    are created when missing (``create_tables=False`` leaves that to migrations). Several store
    objects, threads and processes may share a database: appends are serialized per tenant by
    the database itself. Appends of this process that arrive while another commits are written
    together in one transaction (group commit, see :mod:`~esruntime.backends.sql.groups`);
    ``group_commit=False`` makes each append commit on its own. Subscribers are woken at once
    by appends made through this process and find other processes' appends within
    ``poll_interval`` seconds.
    """

    def __init__(
        self,
        engine: Engine | str,
        tenant: str = "default",
        *,
        max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES,
        create_tables: bool = True,
        poll_interval: float = 0.05,
        group_commit: bool = True,
    ) -> None:
        self._owns_engine = isinstance(engine, str)
        self._engine = create_store_engine(engine) if isinstance(engine, str) else engine
        self._paths = dialect_of(self._engine).events
        self._paramstyle = self._paths.paramstyle
        self._thread_connections = self._paths.thread_connections(self._engine)
        self._decode = self._paths.decode
        # SQLite keeps the JSON text as written; PostgreSQL's jsonb normalizes it.
        self.reads_back_as_appended = self._engine.dialect.name == "sqlite"
        """Whether an appended event reads back as its data's JSON text decoded, stamped with
        this process's clock during the append (``esruntime.web.commands``)."""
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
        self.group_commit = group_commit
        self._group = (
            group_commit_for(self._engine, self._paths.group_scope(self)) if group_commit else None
        )

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
            group_commit=self.group_commit,
        )

    def _connection(self) -> AbstractContextManager[Any]:
        """A driver connection (sqlite3 or psycopg) of the dialect, driver errors translated."""
        return self._paths.connection(self)

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
        if condition is not None and condition.__class__ is not AppendCondition:
            check_condition(condition)
        paths = self._paths
        if self._group is None:
            head = paths.append(self, encoded, condition, record)
        else:
            head = self._group.append(
                self, encoded, condition, record, paths.append, paths.append_group
            )
        self._signal.notify()
        return head

    def _check(self, conn: Any, condition: AppendCondition) -> None:
        """Raise IntegrityError when an event after ``condition.after`` matches its query."""
        after = plans.after(condition)
        query = condition.fail_if_events_match
        if query.matches_all:
            found = conn.execute(self._sql(_ANY_AFTER), (self._tenant_id, after)).fetchone()
        else:
            found = None
            for chunk in plans.chunks(plans.expand(query.items)):
                params = sql.item_params(self._tenant_id, chunk, (after,))
                text = self._sql(sql.condition_sql(sql.shape_of(chunk)))
                found = conn.execute(text, params).fetchone()
                if found:
                    break
        if found:
            raise plans.condition_failed(condition)

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
        start = None if start is None else min(start, plans.MAX_POSITION)
        limit = None if limit is None else min(limit, plans.MAX_POSITION)
        with self._connection() as conn:
            head, events = self._paths.read(self, conn, query, start, backwards, limit)
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
        return head, events_from_rows(rows)

    def _read_plan(
        self, query: Query, low: int, high: int, backwards: bool, limit: int | None
    ) -> ReadPlan | None:
        """SQL and parameters of a read; None for a query too long for one statement."""
        limited = limit is not None
        tail = [] if limit is None else [limit]
        if query.matches_all:
            return sql.read_sql(None, backwards, limited), [self._tenant_id, low, high, *tail]
        items = plans.expand(query.items)
        if len(items) > sql.MAX_ITEMS_PER_STATEMENT:
            return None
        shapes = sql.shape_of(items)
        text = sql.read_sql(shapes, backwards, limited)
        if sql.joins_tag_rows(shapes):
            return text, [*sql.item_params(self._tenant_id, items, (low, high)), *tail]
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
        for chunk in plans.chunks(plans.expand(query.items)):
            text = sql.positions_sql(sql.shape_of(chunk), backwards, limited)
            params = [*sql.item_params(self._tenant_id, chunk, (low, high, *tail)), *tail]
            streams.append([row[0] for row in conn.execute(self._sql(text), params).fetchall()])
        merged = list(dict.fromkeys(heapq.merge(*streams, reverse=backwards)))[:limit]
        events: list[SequencedEvent] = []
        for start in range(0, len(merged), 500):
            batch = merged[start : start + 500]
            text = f"{_BY_POSITIONS} ({', '.join('?' * len(batch))})"
            rows = conn.execute(self._sql(text), [self._tenant_id, *batch]).fetchall()
            events.extend(events_from_rows(rows))
        events.sort(key=lambda e: e.position, reverse=backwards)
        return events

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
            condition, param = self._paths.having_field(having_field)
            text += condition
            params.append(param)
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
            conn.execute(self._sql(REMEMBER + UNLESS_KNOWN), self._record_params(record))
            self._paths.finish_write(conn)
            existing = self._recall(conn, record.key)
        assert existing is not None
        return existing

    def close(self) -> None:
        """Wake this store's subscribers; dispose of the engine when the store created it."""
        self._signal.notify()
        if self._owns_engine:
            self._engine.dispose()


def append_signals(engine: Engine) -> dict[int, AppendSignal]:
    """The append signals of the stores on ``engine`` in this process, by tenant id."""
    return _signals.setdefault(engine, {})
