"""Events as rows of ``esr_events`` and ``esr_event_tags``, and the idempotency insert.

Rows are read back into events by :func:`events_from_rows`, on the read hot path."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from esruntime.backends.sql.tables import TAG_SEPARATOR
from esruntime.backends.sql.timestamps import from_micros
from esruntime.encoding import EncodedEvent, decode_stored
from esruntime.events import SequencedEvent, stored_event

__all__ = ["REMEMBER", "UNLESS_KNOWN", "event_from_row", "event_rows", "events_from_rows"]

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
    add_row, add_tag_row = rows.append, tag_rows.append
    for position, (event, data, meta) in enumerate(encoded, first):
        tags = event.tags
        type_ = event.type
        if len(tags) == 1:  # the common event: its one tag, without a join and a generator
            tag = tags[0]
            add_row((tenant_id, position, event.id, type_, tag, data, meta, now))
            add_tag_row((tenant_id, tag, position, type_))
        else:
            joined = TAG_SEPARATOR.join(tags)
            add_row((tenant_id, position, event.id, type_, joined, data, meta, now))
            tag_rows.extend((tenant_id, tag, position, type_) for tag in tags)
    return rows, tag_rows


def event_from_row(row: Sequence[Any]) -> SequencedEvent:
    """An event from its row (:data:`statements.EVENT_COLUMNS`): data and metadata arrive as
    JSON text on both dialects (PostgreSQL's jsonb as text: :func:`statements.for_paramstyle`)."""
    return events_from_rows((row,))[0]


def events_from_rows(rows: Iterable[Sequence[Any]]) -> list[SequencedEvent]:
    """Events from their rows, in order: the read path of every event.

    Events appended together share their time, and a tag's events often their tags: a row with
    the previous row's time or tags takes the same (immutable) ``datetime`` or tuple.
    """
    events: list[SequencedEvent] = []
    append = events.append
    last_micros: int | None = None
    timestamp = datetime.min  # replaced at the first row
    last_tags: str | None = None
    tag_tuple: tuple[str, ...] = ()
    for position, event_id, type_, tags, data, meta, recorded_at in rows:
        if recorded_at != last_micros:
            timestamp = from_micros(recorded_at)
            last_micros = recorded_at
        if tags != last_tags:
            tag_tuple = tuple(tags.split(TAG_SEPARATOR)) if tags else ()
            last_tags = tags
        append(
            stored_event(
                position,
                type_,
                decode_stored(data),
                tag_tuple,
                event_id,
                {} if meta == "{}" else decode_stored(meta),
                timestamp,
            )
        )
    return events
