"""PostgreSQL hot paths: an append in one network round trip, a read in one statement.

An append sends ``BEGIN``, the tenant's transaction-scoped advisory lock, one write statement
and ``COMMIT`` as one pipeline. The advisory lock serializes a tenant's appends without writing
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

LOCK_NAMESPACE = 0x65737274  # "esrt": the first key of esruntime's two-key advisory locks
LOCK_TENANT = f"SELECT pg_advisory_xact_lock({LOCK_NAMESPACE}, %s)"
MAX_POSITION = 2**63 - 1

WriteShape = tuple[sql.ItemShape, ...] | None
"""The condition's item shapes; None when the condition is checked outside the statement."""


@lru_cache(maxsize=1024)
def write_statement(shape: WriteShape, any_event: bool) -> str:
    """The write: ok flag and new head, from ``ok``, ``h`` (the head) and the unnested rows.

    ``any_event`` makes the condition "any event after ``after``" (the empty query).
    """
    if any_event:
        exists = "EXISTS (SELECT 1 FROM esr_events WHERE tenant_id = ? AND position > ?)"
    elif shape:
        exists = " OR ".join(f"EXISTS ({sql.item_sql(s, 'pos > ?')})" for s in shape)
    else:
        exists = "FALSE"
    text = f"""
WITH ok AS (SELECT NOT ({exists}) AS ok),
h AS (SELECT coalesce(max(position), 0) AS head FROM esr_events WHERE tenant_id = ?),
new_events AS (
    INSERT INTO esr_events
        (tenant_id, position, event_id, type, tags, data, metadata, recorded_at)
    SELECT ?, h.head + u.n, u.i, u.t, u.g, u.d::jsonb, u.m::jsonb, ?
    FROM h, ok, unnest(?::text[], ?::text[], ?::text[], ?::text[], ?::text[])
        WITH ORDINALITY AS u(i, t, g, d, m, n)
    WHERE ok.ok
),
new_tags AS (
    INSERT INTO esr_event_tags (tenant_id, tag, position, type)
    SELECT ?, u.g, h.head + u.n, u.t
    FROM h, ok, unnest(?::text[], ?::bigint[], ?::text[]) AS u(g, n, t)
    WHERE ok.ok
)
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
    ids, types, tags, data, metadata = [], [], [], [], []
    tag_tags, tag_index, tag_types = [], [], []
    for n, (event, event_data, event_metadata) in enumerate(encoded, 1):
        ids.append(event.id)
        types.append(event.type)
        tags.append(TAG_SEPARATOR.join(event.tags))
        data.append(event_data)
        metadata.append(event_metadata)
        for tag in event.tags:
            tag_tags.append(tag)
            tag_index.append(n)
            tag_types.append(event.type)
    params += [tenant_id, tenant_id, now, ids, types, tags, data, metadata]
    params += [tenant_id, tag_tags, tag_index, tag_types, len(encoded)]
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
