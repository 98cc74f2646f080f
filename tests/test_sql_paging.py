"""A page of rows and its total are read at one moment: a row written while the page is read
shows in both or in neither (dead letters, scripts and executions, on SQLite and PostgreSQL).
A page of one dead letter with a total of two made a caller waiting for two letters fail."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy
from sqlalchemy import event

from esruntime.backends.sql import create_store_engine
from esruntime.backends.sql.consumers import SqlConsumerStore
from esruntime.backends.sql.scripts import SqlScriptRepository
from esruntime.protocols.consumers import new_dead_letter
from esruntime.scripts.engines import QuickJsRunner
from esruntime.scripts.service import ScriptService


def _letter(position: int) -> Any:
    return new_dead_letter(
        "acme",
        "script:s1",
        event_id=f"evt-{position}",
        event_type="order.created",
        position=position,
        attempts=4,
        error="Error: boom",
    )


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, sqlite_url: str) -> Iterator[sqlalchemy.Engine]:
    if request.param == "postgres":
        yield request.getfixturevalue("postgres_engine")
        return
    engine = create_store_engine(sqlite_url)
    yield engine
    engine.dispose()


def write_after_first_read(engine: sqlalchemy.Engine, table: str, write: Any) -> list[str]:
    """Run ``write`` (from another connection, committed) right after the first statement
    that reads ``table``; the statements seen, for the test to check it ran."""
    seen: list[str] = []

    def after(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and f"FROM {table}" in statement:
            seen.append(statement)
            if len(seen) == 1:
                write()

    event.listen(engine, "after_cursor_execute", after)
    return seen


def test_a_letter_written_during_a_read_is_in_the_page_and_total_or_in_neither(
    engine: sqlalchemy.Engine,
) -> None:
    consumers = SqlConsumerStore(engine)
    consumers.acquire("acme", "script:s1", "p1", ttl=30.0, start=0)
    consumers.advance("acme", "script:s1", "p1", 1, dead_letter=_letter(1))
    seen = write_after_first_read(
        engine,
        "esr_dead_letters",
        lambda: consumers.advance("acme", "script:s1", "p1", 2, dead_letter=_letter(2)),
    )
    items, total = consumers.dead_letters("acme")
    assert seen
    assert (len(items), total) == (1, 1)
    items, total = consumers.dead_letters("acme")
    assert (len(items), total) == (2, 2)


def test_a_script_created_during_a_read_is_in_the_page_and_total_or_in_neither(
    engine: sqlalchemy.Engine,
) -> None:
    service = ScriptService(SqlScriptRepository(engine), QuickJsRunner())
    try:
        service.create(name="alpha", type="embedded", source="return 1;")
        seen = write_after_first_read(
            engine,
            "esr_scripts",
            lambda: service.create(name="beta", type="embedded", source="return 2;"),
        )
        page = service.list()
        assert seen
        assert ([s.name for s in page.items], page.total) == (["alpha"], 1)
        page = service.list()
        assert ([s.name for s in page.items], page.total) == (["alpha", "beta"], 2)
    finally:
        service.close()


def test_an_execution_recorded_during_a_read_is_in_the_page_and_total_or_in_neither(
    engine: sqlalchemy.Engine,
) -> None:
    service = ScriptService(SqlScriptRepository(engine), QuickJsRunner())
    try:
        script = service.create(name="alpha", type="embedded", source="return 1;")
        service.execute(script.id)
        seen = write_after_first_read(
            engine, "esr_script_executions", lambda: service.execute(script.id)
        )
        page = service.executions(script.id)
        assert seen
        assert (len(page.items), page.total) == (1, 1)
        page = service.executions(script.id)
        assert (len(page.items), page.total) == (2, 2)
    finally:
        service.close()


def test_an_empty_page_past_the_end_still_counts_every_row(engine: sqlalchemy.Engine) -> None:
    consumers = SqlConsumerStore(engine)
    consumers.acquire("acme", "script:s1", "p1", ttl=30.0, start=0)
    consumers.advance("acme", "script:s1", "p1", 1, dead_letter=_letter(1))
    assert consumers.dead_letters("acme", offset=5) == ([], 1)
    assert consumers.dead_letters("acme", consumer="script:s2") == ([], 0)
