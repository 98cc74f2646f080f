"""Events as rows of ``esr_events`` and ``esr_event_tags``, and the idempotency insert.

Rows are read back into events by each dialect (its ``decode``), on the read hot path."""

from __future__ import annotations

from typing import Any

from esruntime.backends.sql.tables import TAG_SEPARATOR
from esruntime.encoding import EncodedEvent

__all__ = ["REMEMBER", "UNLESS_KNOWN", "event_rows"]

REMEMBER = (
    "INSERT INTO esr_idempotency (tenant_id, key, fingerprint, result, created_at)"
    " VALUES (?, ?, ?, ?, ?)"
)
UNLESS_KNOWN = " ON CONFLICT (tenant_id, key) DO NOTHING"

Rows = list[tuple[Any, ...]]


def event_rows(
    tenant_id: int, encoded: list[EncodedEvent], first: int, now: int
) -> tuple[Rows, Rows]:
    """The event rows and tag rows of a batch whose first event takes position ``first``."""
    rows: Rows = []
    tag_rows: Rows = []
    for position, (event, data, meta) in enumerate(encoded, first):
        tags = event.tags
        joined = TAG_SEPARATOR.join(tags)
        rows.append((tenant_id, position, event.id, event.type, joined, data, meta, now))
        tag_rows.extend((tenant_id, tag, position, event.type) for tag in tags)
    return rows, tag_rows
