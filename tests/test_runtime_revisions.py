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
from esruntime.schema.registry import SchemaService
from tests import runtime_workers
from tests.commands.bank import SCHEMA, OpenAccount
from tests.wasm.modules import counter_wasm, returning

COUNTED = "event Counted { @counter_id: String }"
CLOSED = returning('{"rejected":{"code":"closed","message":"counting is closed"}}')
ctx = multiprocessing.get_context("spawn")
WAIT = 120.0  # a generous bound for a stuck child or notification; a healthy one is far quicker
RUNTIMES: list[Runtime] = []  # the runtimes that must have heard another process's change


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
        RUNTIMES.append(runtime)
        try:
            yield runtime
        finally:
            RUNTIMES.remove(runtime)


def in_other_process(target: Callable[..., None], url: str, tenant: str, *args: Any) -> None:
    """Run ``target(url, tenant, *args)`` in another process and wait for it to end, and (on
    PostgreSQL, where a runtime learns of changes by ``NOTIFY``) for its change to be heard."""
    process = ctx.Process(target=target, args=(url, tenant, *args))
    process.start()
    process.join(WAIT)
    assert process.exitcode == 0, f"the other process ended with {process.exitcode}"
    for runtime in RUNTIMES:
        assert isinstance(runtime.backend, SqlBackend)
        assert runtime.backend.tenant_revision(tenant).heard(WAIT)


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


@pytest.mark.postgres
def test_on_postgres_revisions_are_heard_and_read_again_when_the_listener_was_lost(
    postgres_url: str, postgres_engine: Any
) -> None:
    backend = SqlBackend(postgres_url)
    other = SqlBackend(postgres_url, create_tables=False)
    try:
        revision = backend.tenant_revision("acme")
        revisions = backend._revisions
        assert revisions is not None
        assert revisions.wait_listening(WAIT)
        reads: list[int] = []

        def read() -> int:
            reads.append(revision.read())
            return reads[-1]

        assert revisions.get(revision.tenant_id, read) == 0  # first asked: read
        assert revisions.get(revision.tenant_id, read) == 0  # then as heard
        assert len(reads) == 1
        SchemaService(other.schema_storage("acme"), other.event_store("acme")).push(COUNTED)
        assert revision.heard(WAIT)
        assert revisions.get(revision.tenant_id, read) == 1
        assert len(reads) == 1  # heard, not read

        # The listening connection is cut: every call reads until it listens again.
        with other.engine.connect() as conn:
            conn.exec_driver_sql(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE query = 'LISTEN esr_revisions' AND pid <> pg_backend_pid() "
                "AND datname = current_database()"
            )
        with revisions._changed:
            assert revisions._changed.wait_for(lambda: not revisions._listening, WAIT)
        SchemaService(other.schema_storage("acme"), other.event_store("acme")).push(
            COUNTED + " event Other { @counter_id: String }"
        )
        assert revisions.get(revision.tenant_id, read) == 2
        assert len(reads) == 2
        assert revisions.wait_listening(WAIT)
        assert revisions.get(revision.tenant_id, read) == 2
        assert revisions.get(revision.tenant_id, read) == 2
        assert len(reads) == 3  # read once after listening again, then heard
    finally:
        other.close()
        backend.close()
