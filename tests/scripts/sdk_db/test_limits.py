"""Bounds of sdk.db calls: rows, time, parameters; values as scripts receive them."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy

from esruntime.errors import ConfigurationError, SdkError
from esruntime.scripts.sdk import db as db_module
from esruntime.scripts.sdk.db import ScriptDatabase
from esruntime.scripts.sdk.sqlguard import CompiledStatement, compile_statement

COUNT_TO = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < $1) "
FOREVER = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c"


def test_up_to_max_rows_are_returned_and_one_more_is_an_error(engine: sqlalchemy.Engine) -> None:
    with ScriptDatabase(engine, "A", max_rows=10) as db:
        assert len(db.query(COUNT_TO + "SELECT x FROM c", [10])) == 10
        with pytest.raises(SdkError, match=r"^Row limit exceeded: more than 10 rows$"):
            db.query(COUNT_TO + "SELECT x FROM c", [11])


def test_the_default_limit_is_1000_rows(db_a: ScriptDatabase) -> None:
    assert len(db_a.query(COUNT_TO + "SELECT x FROM c", [1000])) == 1000
    with pytest.raises(SdkError, match=r"^Row limit exceeded: more than 1000 rows$"):
        db_a.query(COUNT_TO + "SELECT x FROM c", [10**9])


@pytest.mark.parametrize(
    ("sql", "params", "rows"),
    [
        (COUNT_TO + "SELECT x FROM c LIMIT 3", [10**9], 3),
        (COUNT_TO + "SELECT x FROM c LIMIT $2", [10**9, 4], 4),
        (COUNT_TO + "SELECT x FROM c ORDER BY x DESC LIMIT 5 OFFSET 2", [20], 5),
        (COUNT_TO + "SELECT x FROM c UNION SELECT x + 100 FROM c LIMIT 6", [10**4], 6),
    ],
)
def test_a_scripts_own_limit_is_kept_under_the_row_limit(
    db_a: ScriptDatabase, sql: str, params: list[int], rows: int
) -> None:
    assert len(db_a.query(sql, params)) == rows


def test_a_scripts_limit_above_the_row_limit_still_fails(engine: sqlalchemy.Engine) -> None:
    with (
        ScriptDatabase(engine, "A", max_rows=10) as db,
        pytest.raises(SdkError, match=r"^Row limit exceeded: more than 10 rows$"),
    ):
        db.query(COUNT_TO + "SELECT x FROM c LIMIT 50", [10**9])


def test_query_one_reads_the_first_row_only(db_a: ScriptDatabase) -> None:
    assert db_a.query_one(COUNT_TO + "SELECT x FROM c", [10**9]) == {"x": 1}
    assert db_a.query_one("SELECT id FROM accounts WHERE id = $1", [99]) is None


def test_a_statement_running_past_the_timeout_is_cancelled(engine: sqlalchemy.Engine) -> None:
    with ScriptDatabase(engine, "A", timeout_s=0.2) as db:
        with pytest.raises(SdkError, match=r"^Query timed out after 200 ms$"):
            db.query(FOREVER)
        transaction = db.begin()
        with pytest.raises(SdkError, match=r"^Query timed out after 200 ms$"):
            db.query(FOREVER, transaction=transaction)
        db.rollback(transaction)
        assert db.query_one("SELECT count(*) AS n FROM accounts") == {"n": 2}


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ([], "Invalid query parameters: the statement takes 1, 0 given"),
        ([1, 2], "Invalid query parameters: the statement takes 1, 2 given"),
        ("1", "Invalid query parameters: params must be an array"),
        ({"0": 1}, "Invalid query parameters: params must be an array"),
        ([{1, 2}], "Invalid query parameters: parameter 1 is a set"),
        ([float("nan")], None),
    ],
)
def test_parameters_must_match_the_statement(
    db_a: ScriptDatabase, params: Any, message: str | None
) -> None:
    if message is None:  # NaN is a legal float parameter; it matches nothing
        assert db_a.query("SELECT id FROM accounts WHERE balance = $1", params) == []
        return
    with pytest.raises(SdkError) as refused:
        db_a.query("SELECT id FROM accounts WHERE id = $1", params)
    assert str(refused.value) == message


def test_numbered_parameters_may_repeat_and_come_in_any_order(db_a: ScriptDatabase) -> None:
    rows = db_a.query("SELECT id FROM accounts WHERE id = $2 OR balance > $1 OR id = $2", [60, 2])
    assert sorted(row["id"] for row in rows) == [1, 2]


def test_values_are_bound_never_spliced(engine: sqlalchemy.Engine, db_a: ScriptDatabase) -> None:
    hostile = "x'; DELETE FROM accounts; --"
    assert db_a.execute("UPDATE accounts SET owner = $1 WHERE id = $2", [hostile, 1]) == 1
    assert db_a.query_one("SELECT owner FROM accounts WHERE owner = $1", [hostile]) == {
        "owner": hostile
    }
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM accounts").scalar() == 5


def test_objects_and_arrays_are_bound_as_json_text(db_a: ScriptDatabase) -> None:
    db_a.execute("INSERT INTO notes (id, body) VALUES ($1, $2)", [7, {"tags": ["a"], "n": 1}])
    assert db_a.query_one("SELECT body FROM notes WHERE id = $1", [7]) == {
        "body": '{"tags":["a"],"n":1}'
    }


@pytest.mark.parametrize("engine", ["postgres"], indirect=True)
def test_database_values_become_json_values(engine: sqlalchemy.Engine) -> None:
    """PostgreSQL's typed values: numeric, date, bytea (base64), jsonb."""
    with ScriptDatabase(engine, "A") as db:
        row = db.query_one(
            "SELECT sum(balance) AS total, avg(balance) AS mean, $1::date AS day,"
            " $2::bytea AS raw, $3::jsonb AS doc FROM accounts",
            ["2024-02-29", b"\x00\x01", '{"a": [1, 2.5]}'],
        )
    assert row == {
        "total": 150,
        "mean": 75,
        "day": "2024-02-29",
        "raw": "AAE=",
        "doc": {"a": [1, 2.5]},
    }


def test_compiled_statements_are_cached_by_dialect_and_text() -> None:
    sql = "SELECT id FROM accounts WHERE id = $1"
    first = compile_statement(sql, "postgres", "query")

    assert compile_statement(sql, "postgres", "query") is first
    assert compile_statement(sql, "sqlite", "query") is not first
    assert first.sql == (
        "SELECT id FROM (SELECT * FROM accounts WHERE accounts.tenant_id = :esr_tenant)"
        " AS accounts WHERE id = :p1 LIMIT :esr_limit"
    )
    for _ in range(2):  # refusals are cached too, and raised afresh each time
        with pytest.raises(SdkError, match=r"^Unauthorized operation: DROP$"):
            compile_statement("DROP TABLE accounts", "postgres", "execute")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"tenant_id": ""}, "non-empty tenant id"),
        ({"max_rows": 0}, "must be positive"),
        ({"timeout_s": 0}, "must be positive"),
    ],
)
def test_bad_configuration_is_refused(
    engine: sqlalchemy.Engine, options: dict[str, Any], message: str
) -> None:
    arguments: dict[str, Any] = {"tenant_id": "A", **options}
    with pytest.raises(ConfigurationError, match=message):
        ScriptDatabase(engine, **arguments)


def test_an_autocommit_engine_is_refused(engine: sqlalchemy.Engine) -> None:
    """Timeouts and read-only reads are per transaction: without transactions they vanish."""
    with pytest.raises(ConfigurationError, match="not AUTOCOMMIT"):
        ScriptDatabase(engine.execution_options(isolation_level="AUTOCOMMIT"), "A")
    with pytest.raises(ConfigurationError, match="not AUTOCOMMIT"):
        ScriptDatabase(sqlalchemy.create_engine(engine.url, isolation_level="AUTOCOMMIT"), "A")


def test_reads_run_read_only_even_if_a_write_got_past_the_checks(
    engine: sqlalchemy.Engine, db_a: ScriptDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second line of defence, shown by standing in for a checker that let a write through."""
    write = CompiledStatement("DELETE FROM accounts WHERE tenant_id = :esr_tenant", 0, "SELECT")
    monkeypatch.setattr(db_module, "compile_statement", lambda *args: write)

    with pytest.raises(SdkError, match=r"^Query failed: .*read-?only"):
        db_a.query("SELECT 1")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM accounts").scalar() == 5
