"""PostgreSQL hot paths: an append in one network round trip, a read in one statement.

An append sends ``BEGIN``, a lock of the tenant's head row, one write statement and ``COMMIT``
as one pipeline. The write statement checks the condition, inserts the events and their tags
and moves the head, all or nothing; it runs after the lock is held, so in READ COMMITTED it sees
every append that committed before it. A read is one statement that returns the events with
the tenant's head from the same snapshot.
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
    "LOCK_HEAD",
    "MAX_POSITION",
    "WriteShape",
    "abort",
    "read_statement",
    "write_params",
    "write_statement",
]

LOCK_HEAD = "SELECT head FROM esr_tenants WHERE id = %s FOR UPDATE"
MAX_POSITION = 2**63 - 1

WriteShape = tuple[sql.ItemShape, ...] | None
"""The condition's item shapes; None when the condition is checked outside the statement."""


@lru_cache(maxsize=1024)
def write_statement(shape: WriteShape, any_event: bool) -> str:
    """The write: ok flag and new head, from ``ok``, ``h`` (old head) and the unnested rows.

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
h AS (SELECT head FROM esr_tenants WHERE id = ?),
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
),
bump AS (
    UPDATE esr_tenants SET head = head + ? WHERE id = ? AND (SELECT ok FROM ok) RETURNING head
)
SELECT (SELECT ok FROM ok), (SELECT head FROM bump)"""
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
    params += [tenant_id, tag_tags, tag_index, tag_types, len(encoded), tenant_id]
    return params


@lru_cache(maxsize=1024)
def read_statement(inner: str) -> str:
    """The tenant's head and the events ``inner`` selects (NULLs when none), one snapshot.

    Parameters: those of ``inner`` (a :func:`statements.read_sql` text), then the tenant.
    """
    order = "DESC" if " ORDER BY e.position DESC" in inner else "ASC"
    text = (
        f"SELECT t.head, e.* FROM esr_tenants t LEFT JOIN LATERAL ({inner}) e ON TRUE"
        f" WHERE t.id = ? ORDER BY e.position {order}"
    )
    return sql.for_paramstyle(text, "format")


def abort(conn: Any) -> None:
    """End a failed append's transaction, leaving the connection idle (or broken)."""
    from psycopg.pq import TransactionStatus

    if not conn.broken and conn.info.transaction_status != TransactionStatus.IDLE:
        conn.execute("ROLLBACK")
