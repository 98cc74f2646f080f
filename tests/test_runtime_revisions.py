"""A change made by another process is seen by the next command, on SQLite and PostgreSQL.

The other process is a real one (started with "spawn"); it ends before the next command runs.
The runtime reads the tenant's revision before each command and looks the schema and handler
versions up again only when it moved, so the tests also check that commands of an unchanged
tenant run without those lookups.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from esruntime.errors import HandlerFault, UnknownCommandError
from esruntime.runtime import Runtime, SqlBackend
from tests import runtime_workers
from tests.commands.bank import SCHEMA, OpenAccount
from tests.wasm.modules import counter_wasm, returning

COUNTED = "event Counted { @counter_id: String }"
CLOSED = returning('{"rejected":{"code":"closed","message":"counting is closed"}}')
ctx = multiprocessing.get_context("spawn")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/runtime.db"
    request.getfixturevalue("postgres_engine")  # empties the database
    postgres_url: str = request.getfixturevalue("postgres_url")
    return postgres_url


@pytest.fixture
def runtime(url: str) -> Iterator[Runtime]:
    with Runtime.from_url(url) as runtime:
        yield runtime


def in_other_process(target: Callable[..., None], *args: Any) -> None:
    """Run ``target(*args)`` in another process and wait for it to end."""
    process = ctx.Process(target=target, args=args)
    process.start()
    process.join(120)  # a generous bound for a stuck child; a healthy one ends long before
    assert process.exitcode == 0, f"the other process ended with {process.exitcode}"


def test_uploads_rollbacks_and_deletions_in_another_process_reach_the_next_command(
    runtime: Runtime, url: str
) -> None:
    tenant = runtime.tenant("acme")
    tenant.push_schema(COUNTED)
    tenant.upload("count", counter_wasm(), "1.0.0")
    assert tenant.execute("count", {"counter_id": "c1"}).outcome == "ok"
    assert tenant.execute("count", {"counter_id": "c0"}).outcome == "ok"  # the versions reused

    in_other_process(runtime_workers.upload, url, "acme", "count", counter_wasm(**CLOSED), "2.0.0")
    assert tenant.execute("count", {"counter_id": "c2"}).code == "closed"

    in_other_process(runtime_workers.make_current, url, "acme", "count", "1.0.0")
    assert tenant.execute("count", {"counter_id": "c3"}).outcome == "ok"

    in_other_process(runtime_workers.delete, url, "acme", "count")
    with pytest.raises(UnknownCommandError):
        tenant.execute("count", {"counter_id": "c4"})


def test_a_schema_pushed_by_another_process_reaches_the_next_command(
    runtime: Runtime, url: str
) -> None:
    tenant = runtime.tenant("acme")
    tenant.push_schema(COUNTED)
    tenant.serve(OpenAccount)  # its AccountOpened is not in the schema yet
    opening = {"account_id": "a1", "owner": "Ada"}
    with pytest.raises(HandlerFault) as fault:
        tenant.execute("open_account", opening)
    assert fault.value.code == "schema_mismatch"

    in_other_process(runtime_workers.push_schema, url, "acme", SCHEMA + COUNTED)
    assert tenant.execute("open_account", opening).outcome == "ok"
    schema = tenant.current_schema()
    assert schema is not None
    assert "AccountOpened" in {declared.name for declared in schema.events}


def test_commands_of_an_unchanged_tenant_look_nothing_up(runtime: Runtime) -> None:
    tenant = runtime.tenant("acme")
    tenant.push_schema(COUNTED)
    tenant.upload("count", counter_wasm(), "1.0.0")
    tenant.execute("count", {"counter_id": "first"})
    assert isinstance(runtime.backend, SqlBackend)
    statements: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(runtime.backend.engine, "before_cursor_execute", seen)
    try:
        for n in range(5):
            assert tenant.execute("count", {"counter_id": f"c{n}"}).outcome == "ok"
        unchanged = lookups(statements)
        tenant.upload("count", counter_wasm(**CLOSED), "2.0.0")
        statements.clear()
        assert tenant.execute("count", {"counter_id": "c9"}).code == "closed"
        changed = lookups(statements)
    finally:
        event.remove(runtime.backend.engine, "before_cursor_execute", seen)
    assert unchanged == {"schema": 0, "handler": 0}
    assert changed == {"schema": 1, "handler": 1}  # after the upload: each looked up once


def lookups(statements: list[str]) -> dict[str, int]:
    """How many statements read the schema versions and the current handler versions."""
    return {
        "schema": sum("esr_schema_versions" in s for s in statements),
        "handler": sum("esr_handler_current" in s for s in statements),
    }
