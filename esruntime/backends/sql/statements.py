"""SQL text for DCB queries, built once per query shape and cached.

A query item becomes a SELECT of positions: from ``esr_event_tags`` when it has tags, from
``esr_events`` by type otherwise. The item's first tag drives an index range scan, in position
order; types filter the same rows. An item of a few tags joins one tag row per other tag, probed
by primary key. A wider item keeps a position unless one of its other tags has no row there
(``NOT EXISTS`` over the tags, which stops at the first missing one): its cost grows linearly
with the tags, where joins make PostgreSQL's planning explode and SQLite refuses more than 64
tables in a join. Long lists of tags or types are one JSON array parameter, so that no item
comes near a driver's parameter limit. Items are combined with UNION, which removes duplicates.
Placeholders are ``?``; :func:`for_paramstyle` turns them into ``%s`` for psycopg.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import lru_cache

from esruntime.events import QueryItem

__all__ = [
    "HEAD",
    "MAX_ITEMS_PER_STATEMENT",
    "MAX_JOINED_TAGS",
    "MAX_LISTED_VALUES",
    "ItemShape",
    "condition_sql",
    "for_paramstyle",
    "head_unless_sql",
    "item_params",
    "item_sql",
    "joins_tag_rows",
    "positions_sql",
    "read_sql",
    "shape_of",
]

MAX_ITEMS_PER_STATEMENT = 100
"""Longer queries are split: SQLite caps compound SELECTs at 500 terms and expression depth."""

MAX_JOINED_TAGS = 3
"""Items of up to this many tags join their tag rows; wider ones probe them (see above)."""

MAX_LISTED_VALUES = 32
"""Longer lists of types are one JSON array parameter rather than one parameter per type."""

ItemShape = tuple[int, int]
"""(number of types, number of tags) of a query item: all its SQL depends on. Counts beyond
those that change the SQL are capped, so that wide items of any width share statements."""

EVENT_COLUMNS = "e.position, e.event_id, e.type, e.tags, e.data, e.metadata, e.recorded_at"
# PostgreSQL sends jsonb as text: decoded by the store's decoder, not the driver's json.loads.
_EVENT_COLUMNS_POSTGRES = EVENT_COLUMNS.replace(
    "e.data, e.metadata", "e.data::text, e.metadata::text"
)

_JSON_LIST = "(SELECT value FROM json_each(?))"
_JSON_LIST_POSTGRES = "(SELECT value FROM json_array_elements_text(?::json))"


def shape_of(items: Sequence[QueryItem]) -> tuple[ItemShape, ...]:
    return tuple(
        (min(len(item.types), MAX_LISTED_VALUES + 1), min(len(item.tags), MAX_JOINED_TAGS + 1))
        for item in items
    )


def _is_wide(n_tags: int) -> bool:
    return n_tags > MAX_JOINED_TAGS


def _json_array(values: Sequence[str]) -> str:
    return json.dumps(values, ensure_ascii=False, separators=(",", ":"))


def _types_params(types: Sequence[str]) -> Sequence[object]:
    return [_json_array(types)] if len(types) > MAX_LISTED_VALUES else types


def _types_sql(column: str, n: int) -> str:
    if not n:
        return ""
    if n > MAX_LISTED_VALUES:
        return f" AND {column} IN {_JSON_LIST}"
    return f" AND {column} IN ({', '.join('?' * n)})"


def item_params(tenant_id: int, items: Sequence[QueryItem], bounds: Sequence[int]) -> list[object]:
    """Parameters for the item SELECTs of :func:`item_sql`, in order, each with ``bounds``."""
    params: list[object] = []
    for item in items:
        tags = item.tags
        if _is_wide(len(tags)):
            params += [tenant_id, tags[0], *_types_params(item.types), _json_array(tags[1:])]
        else:
            params.extend(tags[1:])
            params.append(tenant_id)
            if tags:
                params.append(tags[0])
            params.extend(_types_params(item.types))
        params.extend(bounds)
    return params


def item_sql(shape: ItemShape, bounds: str) -> str:
    """Positions matching one item; ``bounds`` is a condition on the column ``pos``."""
    n_types, n_tags = shape
    if not n_tags:
        where = f"tenant_id = ?{_types_sql('type', n_types)}"
        return f"SELECT position AS pos FROM esr_events WHERE {where} AND " + bounds.replace(
            "pos", "position"
        )
    return _tag_item_sql(shape, bounds, "t0.position AS pos")


_EVENTS_OF_TAG_ROWS = " CROSS JOIN esr_events e"
"""The events of an item's tag rows, joined last: SQLite keeps a ``CROSS JOIN``'s order, so the
first tag's rows drive, in position order, the other tags filter them, and only the rows left
find their event by primary key (PostgreSQL plans it as any join)."""
_OF_TAG_ROWS = " AND e.tenant_id = t0.tenant_id AND e.position = t0.position"


def _tag_item_sql(shape: ItemShape, bounds: str, columns: str, joined: str = "") -> str:
    """``SELECT {columns}`` of the rows of one item with tags: its first tag's rows
    (``esr_event_tags t0``), the item's other tags joined (parameters first) or probed, then
    the tables of ``joined``."""
    n_types, n_tags = shape
    joins = ""
    where = f"t0.tenant_id = ? AND t0.tag = ?{_types_sql('t0.type', n_types)}"
    if _is_wide(n_tags):
        where += (
            f" AND NOT EXISTS (SELECT 1 FROM {_JSON_LIST} AS other WHERE NOT EXISTS"
            " (SELECT 1 FROM esr_event_tags t WHERE t.tenant_id = t0.tenant_id"
            " AND t.tag = other.value AND t.position = t0.position))"
        )
    else:
        joins = "".join(
            f" JOIN esr_event_tags t{k} ON t{k}.tenant_id = t0.tenant_id"
            f" AND t{k}.position = t0.position AND t{k}.tag = ?"
            for k in range(1, n_tags)
        )
    sql = f"SELECT {columns} FROM esr_event_tags t0{joins}{joined} WHERE {where}"
    return f"{sql} AND {bounds.replace('pos', 't0.position')}"


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
def joins_tag_rows(shapes: tuple[ItemShape, ...] | None) -> bool:
    """Whether :func:`read_sql` joins the events to one item's tag rows (one item with tags)."""
    return shapes is not None and len(shapes) == 1 and shapes[0][1] > 0


def read_sql(shapes: tuple[ItemShape, ...] | None, backwards: bool, limited: bool) -> str:
    """Full events matching the items (every event when ``shapes`` is None) between two bounds.

    Parameters: tenant, then the item parameters (or the type and the two bounds), then the
    limit if any. One item with tags (:func:`joins_tag_rows`) reads its first tag's rows in
    position order joined to their events, without a set of positions to build and sort;
    its parameters are the item's, with the two bounds, then the limit if any (no tenant
    first).
    """
    order = "DESC" if backwards else "ASC"
    head = f"SELECT {EVENT_COLUMNS} FROM esr_events e WHERE e.tenant_id = ?"
    if joins_tag_rows(shapes):
        assert shapes is not None
        rows = _tag_item_sql(shapes[0], "pos BETWEEN ? AND ?", EVENT_COLUMNS, _EVENTS_OF_TAG_ROWS)
        sql = f"{rows}{_OF_TAG_ROWS} ORDER BY t0.position {order}"
    elif shapes is None:
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
    """``sql`` for the driver: ``%s`` placeholders, PostgreSQL's JSON array function and the
    event columns with jsonb as text for psycopg (``format``); unchanged for sqlite3
    (``qmark``)."""
    if paramstyle != "format":
        return sql
    return (
        sql.replace(_JSON_LIST, _JSON_LIST_POSTGRES)
        .replace(EVENT_COLUMNS, _EVENT_COLUMNS_POSTGRES)
        .replace("?", "%s")
    )
