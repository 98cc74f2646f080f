"""Statements sdk.db refuses, each with its message, and the tables untouched afterwards."""

# ruff: noqa: E501  (the table of statements reads best one per line)

from __future__ import annotations

import pytest
import sqlalchemy

from esruntime.errors import SdkError
from esruntime.scripts.sdk.db import ScriptDatabase

from .conftest import ROWS, all_rows

INJECTION = "SQL injection detected: "
UNAUTHORIZED = "Unauthorized operation: "

# (method, sql, message prefix, dialect or None for both)
REFUSED = [
    ("query", "SELECT 1; DROP TABLE accounts", INJECTION + "more than one statement", None),
    ("execute", "DELETE FROM notes; DELETE FROM secrets", INJECTION + "more than one", None),
    ("query", "SELECT * FROM accounts -- trailing", INJECTION + "comments are not allowed", None),
    ("query", "SELECT * FROM accounts /* x */ WHERE id = 1", INJECTION + "comments", None),
    ("query", "SELECT * FROM accounts WHERE owner = 'alice'", INJECTION + "string literals", None),
    ("query", "SELECT * FROM accounts WHERE owner = $$alice$$", INJECTION + "string", "postgres"),
    ("query", "SELECT * FROM accounts WHERE owner = E'alice'", INJECTION + "string", "postgres"),
    ("query", "SELECT * FROM accounts WHERE owner = x'00'", INJECTION + "string literals", None),
    ("query", "SELECT * FROM accounts WHERE id = $1 OR 1=1", INJECTION + "constant condition 1 = 1", None),
    ("query", "SELECT * FROM accounts WHERE id = $1 OR TRUE", INJECTION + "constant condition", None),
    ("query", "SELECT * FROM accounts WHERE 2 > 1", INJECTION + "constant condition 2 > 1", None),
    ("query", "SELECT * FROM accounts WHERE id = id", INJECTION + "constant condition id = id", None),
    ("execute", "DROP TABLE accounts", UNAUTHORIZED + "DROP", None),
    ("execute", "CREATE TABLE evil (a INTEGER)", UNAUTHORIZED + "CREATE", None),
    ("execute", "ALTER TABLE accounts ADD COLUMN evil INTEGER", UNAUTHORIZED + "ALTER", None),
    ("execute", "TRUNCATE accounts", UNAUTHORIZED + "TRUNCATE", "postgres"),
    ("execute", "GRANT ALL ON accounts TO PUBLIC", UNAUTHORIZED + "GRANT", "postgres"),
    ("execute", "REVOKE ALL ON accounts FROM PUBLIC", UNAUTHORIZED + "REVOKE", "postgres"),
    ("query", "SELECT * INTO evil FROM accounts", UNAUTHORIZED + "SELECT INTO", "postgres"),
    ("query", "SELECT * FROM accounts FOR UPDATE", UNAUTHORIZED + "locking clause", "postgres"),
    ("query", "SELECT * FROM accounts FOR SHARE", UNAUTHORIZED + "locking clause", "postgres"),
    ("query", "WITH d AS (DELETE FROM secrets RETURNING *) SELECT * FROM d", UNAUTHORIZED + "writable CTE", "postgres"),
    ("execute", "WITH d AS (DELETE FROM secrets RETURNING id) DELETE FROM notes WHERE id IN (SELECT id FROM d)", UNAUTHORIZED + "writable CTE", "postgres"),
    ("query", "DELETE FROM secrets", UNAUTHORIZED + "DELETE (query and queryOne run SELECT only)", None),
    ("execute", "SELECT * FROM secrets", UNAUTHORIZED + "SELECT (execute runs INSERT, UPDATE, DELETE only)", None),
    ("execute", "PRAGMA writable_schema = 1", UNAUTHORIZED + "PRAGMA", "sqlite"),
    ("execute", "ATTACH DATABASE $1 AS other", UNAUTHORIZED + "ATTACH", "sqlite"),
    ("execute", "COPY accounts TO STDOUT", UNAUTHORIZED + "COPY", "postgres"),
    ("execute", "SET search_path TO evil", UNAUTHORIZED + "SET", "postgres"),
    ("execute", "CALL evil()", UNAUTHORIZED + "CALL", "postgres"),
    ("execute", "EXECUTE evil", UNAUTHORIZED + "EXECUTE", "postgres"),
    ("execute", "BEGIN", UNAUTHORIZED + "BEGIN", None),
    ("execute", "COMMIT", UNAUTHORIZED + "COMMIT", None),
    ("execute", "VACUUM", UNAUTHORIZED + "VACUUM", None),
    ("query", "SELECT pg_sleep(10)", UNAUTHORIZED + "function pg_sleep", "postgres"),
    ("query", "SELECT pg_read_file($1)", UNAUTHORIZED + "function pg_read_file", "postgres"),
    ("query", "SELECT current_setting($1)", UNAUTHORIZED + "function current_setting", "postgres"),
    ("query", "SELECT set_config($1, $2, false)", UNAUTHORIZED + "function set_config", "postgres"),
    ("query", "SELECT dblink_exec($1, $2)", UNAUTHORIZED + "function dblink_exec", "postgres"),
    ("query", "SELECT lo_import($1)", UNAUTHORIZED + "function lo_import", "postgres"),
    ("query", "SELECT query_to_xml($1, true, true, $2)", UNAUTHORIZED + "function query_to_xml", "postgres"),
    ("query", "SELECT table_to_xml($1, true, true, $2)", UNAUTHORIZED + "function table_to_xml", "postgres"),
    ("query", "SELECT current_user", UNAUTHORIZED + "function current_user", "postgres"),
    ("query", "SELECT user", UNAUTHORIZED + "function user", "postgres"),
    ("query", "SELECT USER AS who", UNAUTHORIZED + "function user", "postgres"),
    ("query", "SELECT current_role", UNAUTHORIZED + "function current_role", "postgres"),
    ("query", "SELECT session_user", UNAUTHORIZED + "function session_user", "postgres"),
    ("query", "SELECT system_user", UNAUTHORIZED + "function system_user", "postgres"),
    ("query", "SELECT current_catalog", UNAUTHORIZED + "function current_catalog", "postgres"),
    ("query", "SELECT current_schema", UNAUTHORIZED + "function current_schema", "postgres"),
    ("query", "SELECT current_schema()", UNAUTHORIZED + "function current_schema", "postgres"),
    ("query", "SELECT current_schemas(true)", UNAUTHORIZED + "function current_schemas", "postgres"),
    ("query", "SELECT current_database()", UNAUTHORIZED + "function current_database", "postgres"),
    ("query", "SELECT inet_server_addr()", UNAUTHORIZED + "function inet_server_addr", "postgres"),
    ("query", "SELECT inet_client_port()", UNAUTHORIZED + "function inet_client_port", "postgres"),
    ("query", "SELECT version()", UNAUTHORIZED + "function ", "postgres"),
    ("query", "SELECT pg_backend_pid()", UNAUTHORIZED + "function pg_backend_pid", "postgres"),
    ("query", "SELECT pg_postmaster_start_time()", UNAUTHORIZED + "function pg_postmaster_start_time", "postgres"),
    ("query", "SELECT txid_current()", UNAUTHORIZED + "function txid_current", "postgres"),
    ("query", "SELECT * FROM accounts WHERE owner = user", UNAUTHORIZED + "function user", "postgres"),
    ("query", "SELECT upper(current_role) AS r FROM accounts", UNAUTHORIZED + "function current_role", "postgres"),
    ("query", "SELECT (SELECT session_user) AS s", UNAUTHORIZED + "function session_user", "postgres"),
    ("query", "SELECT user::text AS u", UNAUTHORIZED + "function user", "postgres"),
    ("query", "SELECT id FROM accounts UNION SELECT length(user) FROM accounts", UNAUTHORIZED + "function user", "postgres"),
    ("execute", "INSERT INTO notes (id, body) VALUES ($1, current_role)", UNAUTHORIZED + "function current_role", "postgres"),
    ("execute", "UPDATE notes SET body = user WHERE id = $1", UNAUTHORIZED + "function user", "postgres"),
    ("query", "SELECT $1::regclass", UNAUTHORIZED + "cast to regclass", "postgres"),
    ("query", "SELECT load_extension($1)", UNAUTHORIZED + "function load_extension", "sqlite"),
    ("query", "SELECT * FROM pragma_table_info($1)", UNAUTHORIZED + "function pragma_table_info", "sqlite"),
    ("query", "SELECT * FROM pg_catalog.pg_class", UNAUTHORIZED + "table pg_catalog.pg_class", "postgres"),
    ("query", "SELECT * FROM pg_class", UNAUTHORIZED + "table pg_class", "postgres"),
    ("query", "SELECT * FROM information_schema.tables", UNAUTHORIZED + "table information_schema", "postgres"),
    ("query", "SELECT * FROM sqlite_master", UNAUTHORIZED + "table sqlite_master", "sqlite"),
    ("query", "SELECT * FROM esr_events", UNAUTHORIZED + "table esr_events", None),
    ("query", "SELECT * FROM main.accounts", UNAUTHORIZED + "table main.accounts (schema-qualified)", "sqlite"),
    ("query", "SELECT * FROM accounts WHERE $1 IN secrets", "Invalid query: IN needs a list", "sqlite"),
    ("execute", "INSERT INTO notes VALUES ($1, $2, $3, $4)", "Invalid query: INSERT must name its columns", None),
    ("execute", "INSERT INTO notes (id) VALUES ($1) ON CONFLICT (tenant_id, id) DO UPDATE SET body = excluded.body", UNAUTHORIZED + "ON CONFLICT DO UPDATE", "postgres"),
    ("execute", "INSERT OR REPLACE INTO notes (id) VALUES (?)", UNAUTHORIZED + "INSERT OR REPLACE", "sqlite"),
    ("execute", "REPLACE INTO notes (id) VALUES (?)", UNAUTHORIZED + "REPLACE", "sqlite"),
    ("execute", "MERGE INTO notes USING accounts ON notes.id = accounts.id WHEN MATCHED THEN DELETE", UNAUTHORIZED + "MERGE", "postgres"),
    ("query", "SELECT * FROM accounts WHERE id = :id", "Invalid query: named parameters", None),
    ("query", "SELECT * FROM accounts WHERE id = $1 AND owner = ?", "Invalid query: use either", None),
    ("query", "SELECT * FROM accounts AS $1", "Invalid query: a parameter can only stand for a value", None),
    ("query", "SELEC * FROM accounts", UNAUTHORIZED + "SELEC", None),
    ("query", "SELECT * FROM accounts WHERE", "Invalid query: ", None),
    ("query", "", "Invalid query: no statement", None),
]  # fmt: skip


@pytest.mark.parametrize(
    ("engine", "method", "sql", "message"),
    [
        pytest.param(dialect, method, sql, message, id=f"{dialect}: {sql}")
        for method, sql, message, only in REFUSED
        for dialect in ("sqlite", "postgres")
        if only in (None, dialect)
    ],
    indirect=["engine"],
)
def test_refused_statements_change_nothing(
    engine: sqlalchemy.Engine, db_a: ScriptDatabase, method: str, sql: str, message: str
) -> None:
    params = ["x"] * (sql.count("$") or sql.count("?"))
    call = db_a.query if method == "query" else db_a.execute
    with pytest.raises(SdkError) as refused:
        call(sql, params)

    assert str(refused.value).startswith(message)
    for table, rows in ROWS.items():
        assert all_rows(engine, table) == sorted(rows)


@pytest.mark.parametrize(
    "value", ["current_date", "current_time", "current_timestamp", "localtime", "localtimestamp"]
)
@pytest.mark.parametrize("engine", ["postgres"], indirect=True)
def test_date_and_time_keyword_functions_run_on_postgresql(
    db_a: ScriptDatabase, value: str
) -> None:
    """The only functions PostgreSQL writes as keywords that scripts may call."""
    (row,) = db_a.query(f"SELECT {value} AS v")

    assert row["v"]


@pytest.mark.parametrize("engine", ["postgres"], indirect=True)
def test_a_column_named_like_a_keyword_function_is_read_when_qualified_or_quoted(
    db_a: ScriptDatabase,
) -> None:
    rows = db_a.query('SELECT a.owner AS "user" FROM accounts AS a ORDER BY a.id')
    quoted = db_a.query('SELECT x."user" FROM (SELECT owner AS "user" FROM accounts) AS x')

    assert rows == [{"user": "alice"}, {"user": "arthur"}]
    assert sorted(row["user"] for row in quoted) == ["alice", "arthur"]


def test_a_non_string_statement_is_refused(db_a: ScriptDatabase) -> None:
    with pytest.raises(SdkError, match=r"^Invalid query: SQL must be a string$"):
        db_a.query(["SELECT 1"])  # type: ignore[arg-type]


def test_an_oversized_or_deeply_nested_statement_is_refused(db_a: ScriptDatabase) -> None:
    with pytest.raises(SdkError, match=r"^Invalid query: longer than 100000 characters$"):
        db_a.query("SELECT " + "1 + " * 30_000 + "1")
    with pytest.raises(SdkError, match=r"^Invalid query: "):
        db_a.query("SELECT " + "(" * 5000 + "1" + ")" * 5000)


def test_a_table_allowlist_limits_the_tables(engine: sqlalchemy.Engine) -> None:
    with ScriptDatabase(engine, "A", tables=["accounts"]) as db:
        assert db.query("SELECT count(*) AS n FROM accounts") == [{"n": 2}]
        with pytest.raises(SdkError, match=r"^Unauthorized operation: table notes$"):
            db.query("SELECT * FROM accounts JOIN notes ON notes.id = accounts.id")
