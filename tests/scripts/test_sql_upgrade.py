"""A database made before scripts could be public gets the column when its tables are checked,
its scripts read as not public, and new ones store the flag. One made before executions kept
their event's id gets the column and its index; its executions read as they were."""

from __future__ import annotations

import pytest
import sqlalchemy

from esruntime.backends.sql import create_store_engine
from esruntime.backends.sql.scripts import SqlScriptRepository
from esruntime.scripts.models import Trigger
from esruntime.testing.scripts import NOW, first_version, make_execution, make_script


def _upgrade(engine: sqlalchemy.Engine) -> None:
    old = make_script(name="made before")
    SqlScriptRepository(engine).add_script(old, first_version(old))
    before = make_execution(old, status="completed", trigger=Trigger.event("t", {}))
    SqlScriptRepository(engine).add_execution(before)
    with engine.begin() as conn:
        conn.exec_driver_sql("ALTER TABLE esr_scripts DROP COLUMN public")
        conn.exec_driver_sql("DROP INDEX esr_script_executions_event")
        conn.exec_driver_sql("ALTER TABLE esr_script_executions DROP COLUMN event_id")
    inspector = sqlalchemy.inspect(engine)
    assert "public" not in {c["name"] for c in inspector.get_columns("esr_scripts")}
    assert "event_id" not in {c["name"] for c in inspector.get_columns("esr_script_executions")}

    repository = SqlScriptRepository(engine)  # checks the tables: adds the column
    assert repository.get_script("acme", old.id) == old
    new = make_script(
        name="made after", type="http", http_path="/p", http_methods=("GET",), public=True
    )
    repository.add_script(new, first_version(new))
    assert repository.get_script("acme", new.id) == new
    assert repository.get_execution("acme", before.id) == before
    inspector = sqlalchemy.inspect(engine)
    indexes = {i["name"]: i["column_names"] for i in inspector.get_indexes("esr_script_executions")}
    assert indexes["esr_script_executions_event"] == ["tenant_id", "script_id", "event_id"]
    run = make_execution(
        old, status="completed", trigger=Trigger.event("t", {}, "e-1"), completed_at=NOW
    )
    repository.add_execution(run)
    assert repository.completed_event_execution("acme", old.id, "e-1") == run
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
