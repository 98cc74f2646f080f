"""A database made before scripts could be public gets the column when its tables are checked,
its scripts read as not public, and new ones store the flag."""

from __future__ import annotations

import pytest
import sqlalchemy

from esruntime.backends.sql import create_store_engine
from esruntime.backends.sql.scripts import SqlScriptRepository
from esruntime.testing.scripts import first_version, make_script


def _upgrade(engine: sqlalchemy.Engine) -> None:
    old = make_script(name="made before")
    SqlScriptRepository(engine).add_script(old, first_version(old))
    with engine.begin() as conn:
        conn.exec_driver_sql("ALTER TABLE esr_scripts DROP COLUMN public")
    columns = {c["name"] for c in sqlalchemy.inspect(engine).get_columns("esr_scripts")}
    assert "public" not in columns

    repository = SqlScriptRepository(engine)  # checks the tables: adds the column
    assert repository.get_script("acme", old.id) == old
    new = make_script(
        name="made after", type="http", http_path="/p", http_methods=("GET",), public=True
    )
    repository.add_script(new, first_version(new))
    assert repository.get_script("acme", new.id) == new
    SqlScriptRepository(engine)  # a second check changes nothing


def test_sqlite_databases_are_upgraded(sqlite_url: str) -> None:
    engine = create_store_engine(sqlite_url)
    try:
        _upgrade(engine)
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_postgresql_databases_are_upgraded(postgres_engine: sqlalchemy.Engine) -> None:
    _upgrade(postgres_engine)
