"""How a query or an append condition becomes the items of SQL statements, for every dialect.

Types-only items with several types are split into one item per type (each an ordered range of
the type index); items beyond what one statement holds are checked in chunks.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from esruntime.backends.sql import statements as sql
from esruntime.errors import IntegrityError
from esruntime.events import AppendCondition, QueryItem

__all__ = [
    "MAX_POSITION",
    "after",
    "chunks",
    "condition_failed",
    "condition_items",
    "expand",
]

MAX_POSITION = 2**63 - 1
"""Positions are 64-bit integers: a larger start, limit or condition says no more than this."""


def condition_items(condition: AppendCondition) -> list[QueryItem] | None:
    """The condition's items when one statement can check them, else None."""
    query = condition.fail_if_events_match
    if query.matches_all:
        return None
    items = expand(query.items)
    return items if len(items) <= sql.MAX_ITEMS_PER_STATEMENT else None


def after(condition: AppendCondition) -> int:
    """The condition's position (positions are 64-bit: a larger one is the largest)."""
    return min(condition.after or 0, MAX_POSITION)


def condition_failed(condition: AppendCondition) -> IntegrityError:
    return IntegrityError(
        "append condition failed: an event matching the query exists after position "
        f"{condition.after}"
    )


def expand(items: Sequence[QueryItem]) -> list[QueryItem]:
    """Split types-only items with several types into one item per type.

    ``QueryItem(types=(a, b))`` is ``QueryItem(types=(a,)) OR QueryItem(types=(b,))``; each of
    those is an ordered range of the type index, which keeps limited reads cheap.
    """
    if all(item.tags or len(item.types) <= 1 for item in items):
        return list(items)  # a Query's items are already unique
    expanded: list[QueryItem] = []
    for item in items:
        if not item.tags and len(item.types) > 1:
            expanded.extend(QueryItem(types=(t,)) for t in item.types)
        else:
            expanded.append(item)
    return list(dict.fromkeys(expanded))


def chunks(items: Sequence[QueryItem]) -> Iterator[Sequence[QueryItem]]:
    """``items`` in slices of at most one statement's worth."""
    step = sql.MAX_ITEMS_PER_STATEMENT
    for start in range(0, len(items), step):
        yield items[start : start + step]
