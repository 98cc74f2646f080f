"""Generated queries: through sdk.db on the shared tables they answer exactly what the same text
answers on a database holding only that tenant's rows.

This checks both halves of confinement at once: no other tenant's row counts (nothing leaks)
and the rewriting keeps the query's meaning (joins, outer joins, subqueries, unions, CTEs).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import pytest
import sqlalchemy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from esruntime.scripts.sdk.db import ScriptDatabase

from .conftest import ROWS, SCHEMA

TABLES = st.sampled_from(["accounts", "notes", "secrets"])
RELATIONS = st.one_of(
    st.builds("{} AS x".format, TABLES),
    st.builds("{} AS x JOIN {} AS y ON x.id = y.id".format, TABLES, TABLES),
    st.builds("{} AS x LEFT JOIN {} AS y ON x.id = y.id".format, TABLES, TABLES),
    st.builds("{} AS y RIGHT JOIN {} AS x ON x.id = y.id".format, TABLES, TABLES),
    st.builds("{} AS x CROSS JOIN {} AS y".format, TABLES, TABLES),
    st.builds("(SELECT id FROM {}) AS x".format, TABLES),
    st.builds("(SELECT id FROM {} UNION ALL SELECT id FROM {}) AS x".format, TABLES, TABLES),
    st.builds("(SELECT id FROM {} EXCEPT SELECT id FROM {}) AS x".format, TABLES, TABLES),
    st.builds("c AS x JOIN {} AS y ON x.id = y.id".format, TABLES),
)
CONDITIONS = st.one_of(
    st.just(""),
    st.builds(" WHERE x.id IN (SELECT id FROM {})".format, TABLES),
    st.builds(" WHERE EXISTS (SELECT 1 FROM {} AS z WHERE z.id = x.id)".format, TABLES),
    st.builds(" WHERE NOT EXISTS (SELECT 1 FROM {} AS z WHERE z.id > x.id)".format, TABLES),
    st.builds(" WHERE x.id >= (SELECT min(id) FROM {})".format, TABLES),
    st.builds(" WHERE x.id IN (SELECT id FROM c)".format),
)
QUERIES = st.builds(
    "WITH c AS (SELECT id FROM {}) SELECT count(*) AS n FROM {}{}".format,
    TABLES,
    RELATIONS,
    CONDITIONS,
)


@pytest.fixture(scope="module")
def tenant_only() -> Iterator[dict[str, sqlite3.Connection]]:
    """For each tenant, an in-memory database holding only its rows: the expected answers."""
    databases = {}
    for tenant in ("A", "B"):
        connection = sqlite3.connect(":memory:")
        for statement in SCHEMA:
            connection.execute(statement)
        for table, rows in ROWS.items():
            mine = [row for row in rows if row[0] == tenant]
            marks = ", ".join("?" * len(rows[0]))
            connection.executemany(f"INSERT INTO {table} VALUES ({marks})", mine)
        databases[tenant] = connection
    yield databases
    for connection in databases.values():
        connection.close()


@settings(
    max_examples=60,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(sql=QUERIES, tenant=st.sampled_from(["A", "B"]))
def test_a_generated_query_answers_as_if_only_the_tenants_rows_existed(
    engine: sqlalchemy.Engine, tenant_only: dict[str, sqlite3.Connection], sql: str, tenant: str
) -> None:
    expected = tenant_only[tenant].execute(sql).fetchone()[0]
    with ScriptDatabase(engine, tenant) as db:
        assert db.query(sql) == [{"n": expected}]
