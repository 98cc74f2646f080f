"""The SQLite append: three statements under ``BEGIN IMMEDIATE``.

SQLite has one writer at a time, so the write lock taken by ``BEGIN IMMEDIATE`` serializes
appends (across threads and processes). The condition is part of the statement that reads the
head, which returns no row when the condition fails; then the events and their tags are inserted.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = ["INSERT_EVENT", "INSERT_TAG", "insert_rows"]

INSERT_EVENT = (
    "INSERT INTO esr_events"
    " (tenant_id, position, event_id, type, tags, data, metadata, recorded_at)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
INSERT_TAG = "INSERT INTO esr_event_tags (tenant_id, tag, position, type) VALUES (?, ?, ?, ?)"


def insert_rows(
    conn: Any, rows: Sequence[tuple[Any, ...]], tag_rows: Sequence[tuple[Any, ...]]
) -> None:
    """Insert event and tag rows (``execute`` for one row is cheaper than ``executemany``)."""
    if len(rows) == 1:
        conn.execute(INSERT_EVENT, rows[0])
    else:
        conn.executemany(INSERT_EVENT, rows)
    if len(tag_rows) == 1:
        conn.execute(INSERT_TAG, tag_rows[0])
    elif tag_rows:
        conn.executemany(INSERT_TAG, tag_rows)
