"""Reading a page of rows with the total it belongs to, as of one moment.

A page and a separate ``COUNT`` are two statements, and on PostgreSQL in autocommit mode (and
SQLite outside a transaction) each sees the rows committed when it starts: a row written in
between is counted but not listed, and a caller that waits for ``total == n`` finds fewer than
``n`` items. Here the count is a scalar subquery of the page's own statement, so both come from
one snapshot; the page still stops at its ``LIMIT`` (a window ``COUNT(*) OVER ()`` would read
every matching row first).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, RowMapping, Select

__all__ = ["TOTAL_COLUMN", "read_page"]

TOTAL_COLUMN = "esr_page_total"


def read_page(
    conn: Connection, page: Select[Any], counting: Select[Any], *, offset: int
) -> tuple[Sequence[RowMapping], int]:
    """The rows of ``page`` (a select with its offset and limit) and ``counting``'s count of
    every matching row, read in one statement (an extra column named :data:`TOTAL_COLUMN`).

    An empty page past the first has no row to carry the count: it is counted afterwards.
    """
    total = counting.correlate(None).scalar_subquery().label(TOTAL_COLUMN)
    rows = conn.execute(page.add_columns(total)).mappings().all()
    if rows:
        return rows, int(rows[0][TOTAL_COLUMN])
    if offset == 0:
        return rows, 0
    return rows, int(conn.execute(counting).scalar_one())
