"""Reads and writes stay within the tenant, however the statement reaches a table."""

from __future__ import annotations

import pytest
import sqlalchemy

from esruntime.errors import SdkError
from esruntime.scripts.sdk.db import ScriptDatabase

from .conftest import ROWS, all_rows


def test_a_plain_select_sees_only_the_tenants_rows(
    db_a: ScriptDatabase, db_b: ScriptDatabase
) -> None:
    assert db_a.query("SELECT owner FROM accounts ORDER BY id") == [
        {"owner": "alice"},
        {"owner": "arthur"},
    ]
    assert [row["owner"] for row in db_b.query("SELECT owner FROM accounts ORDER BY id")] == [
        "bob",
        "beth",
        "bill",
    ]


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SELECT count(*) AS n FROM accounts, notes", 2),
        ("SELECT count(*) AS n FROM accounts a JOIN notes n ON n.account_id = a.id", 1),
        ("SELECT count(*) AS n FROM accounts a LEFT JOIN notes n ON n.account_id = a.id", 2),
        ("SELECT count(*) AS n FROM notes n RIGHT JOIN accounts a ON n.account_id = a.id", 2),
        ("SELECT count(*) AS n FROM accounts WHERE id IN (SELECT account_id FROM notes)", 1),
        ("SELECT count(*) AS n FROM accounts WHERE EXISTS (SELECT 1 FROM secrets)", 0),
        ("SELECT (SELECT count(*) FROM secrets) AS n", 0),
        ("SELECT count(*) AS n FROM (SELECT id FROM accounts) AS s", 2),
        ("WITH s AS (SELECT id FROM accounts) SELECT count(*) AS n FROM s", 2),
        ("WITH s AS (SELECT id FROM accounts), t AS (SELECT * FROM s) SELECT count(*) n FROM t", 2),
        ("SELECT count(*) AS n FROM (SELECT id FROM accounts UNION ALL SELECT id FROM notes) u", 3),
        ("SELECT count(*) AS n FROM (SELECT id FROM accounts UNION SELECT id FROM secrets) u", 2),
        ("SELECT count(*) AS n FROM accounts a WHERE a.balance > (SELECT max(id) FROM notes)", 2),
        ("SELECT count(*) AS n FROM accounts NATURAL JOIN notes", 1),
        ("SELECT count(*) AS n FROM ACCOUNTS", 2),
        ('SELECT count(*) AS n FROM "accounts"', 2),
    ],
)
def test_every_way_of_reaching_a_table_is_confined(
    db_a: ScriptDatabase, sql: str, expected: int
) -> None:
    assert db_a.query(sql) == [{"n": expected}]


SHADOW = "WITH secrets AS (SELECT * FROM secrets) SELECT count(*) AS n FROM secrets"


@pytest.mark.parametrize("engine", ["postgres"], indirect=True)
def test_a_cte_named_like_a_table_reads_the_filtered_table(db_a: ScriptDatabase) -> None:
    """PostgreSQL: without RECURSIVE, the inner ``secrets`` is the real table."""
    assert db_a.query(SHADOW) == [{"n": 0}]


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_a_cte_named_like_a_table_is_circular_in_sqlite(db_a: ScriptDatabase) -> None:
    """SQLite reads the inner ``secrets`` as the CTE itself: an error, not B's rows."""
    with pytest.raises(SdkError, match=r"^Query failed: circular reference: secrets$"):
        db_a.query(SHADOW)


def test_a_cte_declared_in_a_subquery_does_not_shadow_the_outer_table(
    db_a: ScriptDatabase,
) -> None:
    sql = (
        "SELECT count(*) AS n FROM secrets"
        " WHERE id IN (WITH secrets AS (SELECT 1 AS id) SELECT id FROM secrets)"
    )
    assert db_a.query(sql) == [{"n": 0}]


def test_updates_and_deletes_touch_only_the_tenants_rows(
    engine: sqlalchemy.Engine, db_a: ScriptDatabase
) -> None:
    assert db_a.execute("UPDATE accounts SET balance = balance + $1", [1]) == 2
    assert db_a.execute("UPDATE accounts SET owner = $1 WHERE id = $2 OR id = $3", ["x", 1, 3]) == 1
    assert db_a.execute("DELETE FROM notes") == 1
    assert db_a.execute("DELETE FROM accounts WHERE id IN (SELECT id FROM accounts)") == 2

    assert all_rows(engine, "accounts") == [row for row in ROWS["accounts"] if row[0] == "B"]
    assert all_rows(engine, "notes") == [row for row in ROWS["notes"] if row[0] == "B"]


def test_inserts_are_stamped_with_the_tenant(
    engine: sqlalchemy.Engine, db_a: ScriptDatabase
) -> None:
    assert db_a.execute("INSERT INTO notes (id, body) VALUES ($1, $2), ($3, $4)", [5, "x", 6, "y"])
    assert db_a.execute("INSERT INTO notes (id, body) SELECT id + 10, owner FROM accounts") == 2

    rows = all_rows(engine, "notes")
    assert [row[:2] for row in rows if row[1] >= 5] == [("A", 5), ("A", 6), ("A", 11), ("A", 12)]


def test_an_insert_select_copies_only_the_tenants_rows(
    engine: sqlalchemy.Engine, db_a: ScriptDatabase
) -> None:
    assert db_a.execute("INSERT INTO secrets (id, value) SELECT id, body FROM notes") == 1

    assert ("A", 1, "a-note") in all_rows(engine, "secrets")
    assert len(all_rows(engine, "secrets")) == 2


@pytest.mark.parametrize(
    "sql",
    [
        "INSERT INTO notes (id, tenant_id) VALUES ($1, $2)",
        'INSERT INTO notes (id, "tenant_id") VALUES ($1, $2)',
        "UPDATE notes SET tenant_id = $1 WHERE id = $2",
        "UPDATE notes SET body = $1, tenant_id = $2",
    ],
)
def test_a_script_cannot_choose_or_change_a_rows_tenant(
    engine: sqlalchemy.Engine, db_a: ScriptDatabase, sql: str
) -> None:
    with pytest.raises(SdkError, match=r"^Unauthorized operation: tenant_id is set by the runtime"):
        db_a.execute(sql, ["B", 1] if sql.count("$") == 2 else ["x", "B"])

    assert all_rows(engine, "notes") == sorted(ROWS["notes"])


def test_an_upsert_that_does_nothing_cannot_overwrite_another_tenants_row(
    engine: sqlalchemy.Engine, db_a: ScriptDatabase
) -> None:
    sql = "INSERT INTO secrets (id, value) VALUES ($1, $2) ON CONFLICT DO NOTHING"
    if engine.dialect.name == "sqlite":
        sql = "INSERT OR IGNORE INTO secrets (id, value) VALUES ($1, $2)"

    assert db_a.execute(sql, [1, "mine"]) == 1
    assert all_rows(engine, "secrets") == [("A", 1, "mine"), ("B", 1, "b-secret")]
