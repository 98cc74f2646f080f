"""PostgreSQL hot paths: an append in one network round trip, a read in one statement.

An append sends ``BEGIN``, the tenant's transaction-scoped advisory lock, one write statement,
a ``pg_notify`` that announces the append to other processes when it commits, and ``COMMIT`` as
one pipeline. The advisory lock serializes a tenant's appends without writing
anything (a row lock would cost a WAL record and an fsync'd commit of its own); PostgreSQL makes
a commit visible before it releases the transaction's locks. The write statement runs after the
lock is held, so in READ COMMITTED it sees every append committed before it: it checks the
condition and inserts the events and their tags after the head (the largest position), all or
nothing. A read is one statement that returns the events with the head of the same snapshot.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from esruntime.backends.sql import statements as sql
from esruntime.backends.sql.tables import TAG_SEPARATOR
from esruntime.encoding import EncodedEvent
from esruntime.events import QueryItem

__all__ = [
    "LOCK_NAMESPACE",
    "LOCK_TENANT",
    "MAX_POSITION",
    "WriteShape",
    "abort",
    "read_statement",
    "write_params",
    "write_statement",
]

COLUMN_SEPARATOR = "\x1e"
LOCK_NAMESPACE = 0x65737274  # "esrt": the first key of esruntime's two-key advisory locks
LOCK_TENANT = f"SELECT pg_advisory_xact_lock({LOCK_NAMESPACE}, %s)"
MAX_POSITION = 2**63 - 1

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
    order = "DESC" if " ORDER BY e.position DESC" in inner else "ASC"
    text = (
        f"SELECT h.head, e.* FROM (SELECT max(position) AS head FROM esr_events"
        f" WHERE tenant_id = ?) h LEFT JOIN LATERAL ({inner}) e ON TRUE"
        f" ORDER BY e.position {order}"
    )
    return sql.for_paramstyle(text, "format")


def abort(conn: Any) -> None:
    """End a failed append's transaction, leaving the connection idle (or broken)."""
    from psycopg.pq import TransactionStatus

    if not conn.broken and conn.info.transaction_status != TransactionStatus.IDLE:
        conn.execute("ROLLBACK")
