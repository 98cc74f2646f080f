"""SQL text for DCB queries, built once per query shape and cached.

A query item becomes a SELECT of positions: from ``esr_event_tags`` when it has tags (the first
tag drives an index range scan, the others are probed by primary key, types filter the same
rows), from ``esr_events`` by type otherwise. Items are combined with UNION, which removes
duplicates. Placeholders are ``?``; :func:`for_paramstyle` turns them into ``%s`` for psycopg.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from esruntime.events import QueryItem

__all__ = [
    "HEAD",
    "MAX_ITEMS_PER_STATEMENT",
    "ItemShape",
    "condition_sql",
    "for_paramstyle",
    "head_unless_sql",
    "item_params",
    "item_sql",
    "positions_sql",
    "read_sql",
    "shape_of",
]

MAX_ITEMS_PER_STATEMENT = 100
"""Longer queries are split: SQLite caps compound SELECTs at 500 terms and expression depth."""

ItemShape = tuple[int, int]
"""(number of types, number of tags) of a query item: all its SQL depends on."""

EVENT_COLUMNS = "e.position, e.event_id, e.type, e.tags, e.data, e.metadata, e.recorded_at"


def shape_of(items: Sequence[QueryItem]) -> tuple[ItemShape, ...]:
    return tuple((len(item.types), len(item.tags)) for item in items)


def item_params(tenant_id: int, items: Sequence[QueryItem], bounds: Sequence[int]) -> list[object]:
    """Parameters for the item SELECTs of :func:`_item_sql`, in order, each with ``bounds``."""
    params: list[object] = []
    for item in items:
        params.extend(item.tags[1:])
        params.append(tenant_id)
        if item.tags:
            params.append(item.tags[0])
        params.extend(item.types)
        params.extend(bounds)
    return params


def item_sql(shape: ItemShape, bounds: str) -> str:
    """Positions matching one item; ``bounds`` is a condition on the column ``pos``."""
    n_types, n_tags = shape
    if n_tags:
        joins = "".join(
            f" JOIN esr_event_tags t{k} ON t{k}.tenant_id = t0.tenant_id"
            f" AND t{k}.position = t0.position AND t{k}.tag = ?"
            for k in range(1, n_tags)
        )
        where = "t0.tenant_id = ? AND t0.tag = ?"
        if n_types:
            where += f" AND t0.type IN ({', '.join('?' * n_types)})"
        sql = f"SELECT t0.position AS pos FROM esr_event_tags t0{joins} WHERE {where}"
        return f"{sql} AND {bounds.replace('pos', 't0.position')}"
    where = "tenant_id = ?"
    if n_types:
        where += f" AND type IN ({', '.join('?' * n_types)})"
    bounds = bounds.replace("pos", "position")
    return f"SELECT position AS pos FROM esr_events WHERE {where} AND {bounds}"


@lru_cache(maxsize=1024)
def condition_sql(shapes: tuple[ItemShape, ...]) -> str:
    """Whether any event after a position (one ``?`` per item) matches one of the items."""
    exists = " OR ".join(f"EXISTS ({item_sql(shape, 'pos > ?')})" for shape in shapes)
    return f"SELECT 1 WHERE {exists}"


HEAD = "SELECT coalesce(max(position), 0) FROM esr_events WHERE tenant_id = ?"


@lru_cache(maxsize=1024)
def head_unless_sql(shapes: tuple[ItemShape, ...]) -> str:
    """A tenant's head (tenant), or no row when an item matches after a position."""
    exists = " OR ".join(f"EXISTS ({item_sql(shape, 'pos > ?')})" for shape in shapes)
    return f"SELECT ({HEAD}) WHERE NOT ({exists})"


@lru_cache(maxsize=1024)
def positions_sql(shapes: tuple[ItemShape, ...], backwards: bool, limited: bool) -> str:
    """Matching positions between two bounds (two ``?`` per item), ordered, optionally limited.

    Each item is limited on its own before the union, so a limited read costs at most
    ``items x limit`` index entries whatever the store's size. A trailing ``?`` is the limit.
    """
    order = "DESC" if backwards else "ASC"
    per_item = [item_sql(shape, "pos BETWEEN ? AND ?") for shape in shapes]
    if limited:
        per_item = [
            f"SELECT pos FROM ({sql} ORDER BY pos {order} LIMIT ?) AS i{n}"
            for n, sql in enumerate(per_item)
        ]
    union = " UNION ".join(per_item)
    sql = f"SELECT pos FROM ({union}) AS u ORDER BY pos {order}"
    return f"{sql} LIMIT ?" if limited else sql


@lru_cache(maxsize=1024)
def read_sql(shapes: tuple[ItemShape, ...] | None, backwards: bool, limited: bool) -> str:
    """Full events matching the items (every event when ``shapes`` is None) between two bounds.

    Parameters: tenant, then the item parameters (or the type and the two bounds), then the
    limit if any.
    """
    order = "DESC" if backwards else "ASC"
    head = f"SELECT {EVENT_COLUMNS} FROM esr_events e WHERE e.tenant_id = ?"
    if shapes is None:
        sql = f"{head} AND e.position BETWEEN ? AND ? ORDER BY e.position {order}"
    elif shapes == ((1, 0),):
        # One type: an ordered range of the events' (tenant, type, position) index.
        sql = f"{head} AND e.type = ? AND e.position BETWEEN ? AND ? ORDER BY e.position {order}"
    else:
        # The positions subquery applies the limit.
        positions = positions_sql(shapes, backwards, limited)
        return f"{head} AND e.position IN ({positions}) ORDER BY e.position {order}"
    return f"{sql} LIMIT ?" if limited else sql


@lru_cache(maxsize=4096)
def for_paramstyle(sql: str, paramstyle: str) -> str:
    return sql.replace("?", "%s") if paramstyle == "format" else sql
