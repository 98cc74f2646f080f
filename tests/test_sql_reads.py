"""How SQLite reads one tagged item: its first tag's rows drive, in position order, the item's
other tags filter them, and only then is each event found by primary key (no set of positions
built and sorted, no scan of the tenant's events)."""

from __future__ import annotations

import pytest

from esruntime import Event, Query, QueryItem, SqlEventStore


@pytest.mark.parametrize(
    ("tags", "limit", "backwards"),
    [
        (["account:a1"], None, False),
        (["account:a1"], 10, True),
        (["account:a1", "n:1"], None, False),
        (["account:a1", "n:1", "m:0", "z:1", "w:2"], 5, False),
    ],
)
def test_one_tagged_item_reads_its_tag_rows_then_their_events(
    sqlite_url: str, tags: list[str], limit: int | None, backwards: bool
) -> None:
    store = SqlEventStore(sqlite_url)
    store.append(
        [
            Event("D", {"i": i}, ["account:a1", f"n:{i % 3}", f"m:{i % 2}", "z:1", "w:2"])
            for i in range(30)
        ]
    )
    store.append([Event("D", {"i": i}, ["other:1"]) for i in range(30)])
    query = Query([QueryItem(types=["D"], tags=tags)])
    plan = store._read_plan(query, 1, 60, backwards, limit)
    assert plan is not None
    text, params = plan
    with store._connection() as conn:
        steps = [row[-1] for row in conn.execute(f"EXPLAIN QUERY PLAN {text}", params)]
    searches = [step for step in steps if step.startswith(("SEARCH", "SCAN"))]
    assert searches[0].startswith("SEARCH t0 USING PRIMARY KEY"), steps
    assert searches[-1].startswith("SEARCH e "), steps  # each event last, by its key
    assert not any("TEMP B-TREE" in step for step in steps), steps
    read = store.read(query, backwards=backwards, limit=limit).events
    expected = [
        e.position for e in store.read(backwards=backwards).events if query.matches(e.event)
    ]
    assert [e.position for e in read] == expected[:limit]
    store.close()
