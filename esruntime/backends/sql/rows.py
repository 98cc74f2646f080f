"""Events as rows of ``esr_events`` and ``esr_event_tags``, and rows back as events."""

from __future__ import annotations

from typing import Any

from esruntime.backends.sql.tables import TAG_SEPARATOR
from esruntime.backends.sql.timestamps import from_micros
from esruntime.encoding import EncodedEvent
from esruntime.events import Event, SequencedEvent

__all__ = ["REMEMBER", "UNLESS_KNOWN", "event_rows", "stored_event"]

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


def stored_event(
    position: int, event_id: str, type_: str, tags: str, data: Any, meta: Any, recorded_at: int
) -> SequencedEvent:
    """A stored event from its columns, its data and metadata already decoded."""
    event = Event.from_storage(
        type_, data, tuple(tags.split(TAG_SEPARATOR)) if tags else (), event_id, meta
    )
    return SequencedEvent(position, event, from_micros(recorded_at))
