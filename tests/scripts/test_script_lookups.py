"""A script's lookup is reused while nothing changed, and never once something did.

Two backends on one database stand for two processes. Every change to a script bumps its
tenant's revision: on SQLite the next lookup sees it; on PostgreSQL a lookup sees it once the
change's notification arrived (the test waits for that event, not for a duration).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from esruntime.backends.sql import SqlBackend, runs
from esruntime.errors import ScriptNotFoundError, ScriptStateError
from esruntime.scripts.runner import SdkHost
from esruntime.scripts.service import ScriptService
from tests.scripts.runners import PythonRunner

WAIT = 120.0  # a bound for a stuck test; a healthy one never waits that long


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, tmp_path: object) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/scripts.db"
    request.getfixturevalue("postgres_engine")  # empties the database
    postgres_url: str = request.getfixturevalue("postgres_url")
    return postgres_url


@pytest.fixture
def backends(url: str) -> Iterator[tuple[SqlBackend, SqlBackend]]:
    here, there = SqlBackend(url), SqlBackend(url)
    yield here, there
    here.close()
    there.close()


@pytest.fixture
def runner() -> PythonRunner:
    runner = PythonRunner()

    @runner.script("one")
    def one(context: Mapping[str, Any], host: SdkHost) -> Any:
        return 1

    @runner.script("two")
    def two(context: Mapping[str, Any], host: SdkHost) -> Any:
        return 2

    return runner


def services(
    backends: tuple[SqlBackend, SqlBackend], runner: PythonRunner
) -> tuple[ScriptService, ScriptService]:
    here, there = backends
    return (
        ScriptService(here.script_repository(), runner, default_tenant="acme"),
        ScriptService(there.script_repository(), runner, default_tenant="acme"),
    )


def seen_here(backends: tuple[SqlBackend, SqlBackend]) -> None:
    """Wait until this side heard the revision the database has now (at once on SQLite)."""
    assert backends[0].tenant_revision("acme").heard(WAIT)


def count_reads(service: ScriptService) -> list[str]:
    """The script reads ``service``'s repository sends to its database, from now on."""
    path: Any = service.repository._runs  # type: ignore[attr-defined]
    read = path._read_script
    reads: list[str] = []

    def counted(tenant_id: int, key: str, value: str) -> Any:
        reads.append(f"{key}={value}")
        return read(tenant_id, key, value)

    path._read_script = counted
    return reads


def test_a_script_looked_up_again_is_not_read_again_while_nothing_changed(
    backends: tuple[SqlBackend, SqlBackend], runner: PythonRunner
) -> None:
    here, _ = services(backends, runner)
    script = here.create(name="counter", type="oneoff", source="py:one")
    reads = count_reads(here)
    for _ in range(3):
        assert here.execute(script.id).output == 1
        assert here.find("counter") == here.get(script.id)
    assert reads == [f"id={script.id}", "name=counter"]


def test_a_change_made_here_is_seen_by_the_next_lookup(
    backends: tuple[SqlBackend, SqlBackend], runner: PythonRunner
) -> None:
    here, _ = services(backends, runner)
    script = here.create(name="counter", type="oneoff", source="py:one")
    assert here.execute(script.id).output == 1
    here.update(script.id, source="py:two")
    assert here.execute(script.id).output == 2
    here.update(script.id, status="disabled")
    with pytest.raises(ScriptStateError):
        here.execute(script.id)


def test_a_change_made_by_another_process_is_seen_once_it_arrived(
    backends: tuple[SqlBackend, SqlBackend], runner: PythonRunner
) -> None:
    here, there = services(backends, runner)
    script = here.create(name="counter", type="oneoff", source="py:one")
    assert here.execute(script.id).output == 1
    assert here.find("counter") is not None

    there.update(script.id, source="py:two", name="renamed")
    seen_here(backends)
    assert here.execute(script.id).output == 2
    assert here.find("counter") is None
    assert here.find("renamed") == here.get(script.id)

    there.update(script.id, status="disabled")
    seen_here(backends)
    with pytest.raises(ScriptStateError):
        here.execute(script.id)

    there.delete(script.id)
    seen_here(backends)
    with pytest.raises(ScriptNotFoundError):
        here.execute(script.id)
    assert here.find("renamed") is None


def test_kept_lookups_are_bounded_in_bytes(
    url: str, runner: PythonRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runs, "MAX_KEPT_BYTES", 300_000)
    backend = SqlBackend(url)
    service = ScriptService(backend.script_repository(), runner, default_tenant="acme")
    padding = "// " + "x" * 90_000 + "\n"
    ids = [
        service.create(name=f"script {n}", type="oneoff", source=padding + "py:one").id
        for n in range(5)
    ]
    for script_id in ids:
        assert service.get(script_id).source.startswith(padding)
    kept: Any = service.repository._runs._found  # type: ignore[attr-defined]
    assert 0 < len(kept) < 5
    assert kept.currsize <= 300_000
    backend.close()


@pytest.mark.postgres
def test_a_start_prepared_on_a_connection_that_forgot_it_is_prepared_again(
    postgres_engine: Any, postgres_url: str, runner: PythonRunner
) -> None:
    # The start's statement is prepared once per connection; a connection reset by
    # DISCARD ALL or DEALLOCATE (a pooler's, a host's) no longer has it.
    backend = SqlBackend(postgres_url)
    service = ScriptService(backend.script_repository(), runner, default_tenant="acme")
    script = service.create(name="counter", type="oneoff", source="py:one")
    assert service.execute(script.id).output == 1
    pooled = backend.engine.raw_connection()  # the one connection the runs used
    try:
        driver: Any = pooled.driver_connection
        driver.execute("DEALLOCATE ALL")
    finally:
        pooled.close()
    assert service.execute(script.id).output == 1
    assert service.execute(script.id).output == 1
    assert service.executions(script.id).total == 3
    backend.close()
