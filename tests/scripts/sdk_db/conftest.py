"""Two tenants' rows in the same tables, on a real SQLite file and a real PostgreSQL database.

``accounts`` and ``notes`` hold rows of tenants A and B with the same ids, so a query that
escaped its tenant would see twice as much or change the other's rows. ``secrets`` holds B's
rows only.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy

from esruntime.scripts.sdk.db import ScriptDatabase

SCHEMA = [
    "CREATE TABLE accounts (tenant_id TEXT NOT NULL, id INTEGER NOT NULL, owner TEXT,"
    " balance INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (tenant_id, id))",
    "CREATE TABLE notes (tenant_id TEXT NOT NULL, id INTEGER NOT NULL, account_id INTEGER,"
    " body TEXT, PRIMARY KEY (tenant_id, id))",
    "CREATE TABLE secrets (tenant_id TEXT NOT NULL, id INTEGER NOT NULL, value TEXT)",
]
ROWS: dict[str, list[tuple[Any, ...]]] = {
    "accounts": [
        ("A", 1, "alice", 100),
        ("A", 2, "arthur", 50),
        ("B", 1, "bob", 7000),
        ("B", 2, "beth", 9000),
        ("B", 3, "bill", 1),
    ],
    "notes": [("A", 1, 1, "a-note"), ("B", 1, 1, "b-note"), ("B", 2, 2, "b-private")],
    "secrets": [("B", 1, "b-secret")],
}


def _create(engine: sqlalchemy.Engine) -> None:
    with engine.begin() as connection:
        for table in ROWS:
            connection.exec_driver_sql(f"DROP TABLE IF EXISTS {table}")
        for statement in SCHEMA:
            connection.exec_driver_sql(statement)


def _fill(engine: sqlalchemy.Engine) -> None:
    with engine.begin() as connection:
        for table, rows in ROWS.items():
            connection.exec_driver_sql(f"DELETE FROM {table}")
            marks = ", ".join(f":c{i}" for i in range(len(rows[0])))
            connection.execute(
                sqlalchemy.text(f"INSERT INTO {table} VALUES ({marks})"),
                [{f"c{i}": value for i, value in enumerate(row)} for row in rows],
            )


@pytest.fixture(scope="session")
def postgres_tables(postgres_url: str) -> Iterator[sqlalchemy.Engine]:
    """The tables, created once per run in the test database."""
    engine = sqlalchemy.create_engine(postgres_url)
    _create(engine)
    yield engine
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sqlalchemy.Engine]:
    """An engine on the two tenants' rows, freshly filled."""
    if request.param == "sqlite":
        engine = sqlalchemy.create_engine(f"sqlite:///{tmp_path}/tenants.db")
        _create(engine)
    else:
        engine = request.getfixturevalue("postgres_tables")
    _fill(engine)
    yield engine
    if request.param == "sqlite":
        engine.dispose()


@pytest.fixture
def db_a(engine: sqlalchemy.Engine) -> Iterator[ScriptDatabase]:
    with ScriptDatabase(engine, "A") as db:
        yield db


@pytest.fixture
def db_b(engine: sqlalchemy.Engine) -> Iterator[ScriptDatabase]:
    with ScriptDatabase(engine, "B") as db:
        yield db


def all_rows(engine: sqlalchemy.Engine, table: str) -> list[tuple[Any, ...]]:
    """Every row of a table, read directly (not through the SDK), in a stable order."""
    with engine.connect() as connection:
        result = connection.exec_driver_sql(f"SELECT * FROM {table} ORDER BY tenant_id, id")
        return [tuple(row) for row in result]
