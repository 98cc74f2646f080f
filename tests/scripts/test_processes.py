"""The repository's invariants hold across OS processes sharing a database (SQLite file and
PostgreSQL): one winner per name, and never more runs started than ``max_concurrent_runs``."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from typing import Any

import pytest

from esruntime.backends.sql.scripts import SqlScriptRepository
from esruntime.testing.scripts import first_version, make_script
from tests.scripts import process_workers

PROCESSES = 4
ctx = multiprocessing.get_context("spawn")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, sqlite_url: str) -> str:
    if request.param == "sqlite":
        return sqlite_url
    url: str = request.getfixturevalue("clean_postgres_url")
    return url


def run_children(target: Callable[..., None], *args: object) -> list[Any]:
    barrier = ctx.Barrier(PROCESSES)
    out = ctx.Queue()
    children = [
        ctx.Process(target=target, args=(*args, barrier, out), daemon=True)
        for _ in range(PROCESSES)
    ]
    for child in children:
        child.start()
    results = [out.get(timeout=60) for _ in children]
    for child in children:
        child.join(timeout=60)
        assert child.exitcode == 0
    return results


def test_processes_never_start_more_runs_than_the_limit(db_url: str) -> None:
    repository = SqlScriptRepository(db_url)
    script = make_script()
    repository.add_script(script, first_version(script))
    started = run_children(process_workers.start_runs, db_url, script.id, 5, 3)
    assert sum(started) == 3
    assert repository.list_executions("acme", script.id, status="running")[1] == 3
    repository.engine.dispose()


def test_processes_creating_one_name_let_exactly_one_win(db_url: str) -> None:
    repository = SqlScriptRepository(db_url)
    outcomes = run_children(process_workers.create_named, db_url, "contested")
    assert sorted(outcomes) == ["conflict"] * 3 + ["created"]
    assert repository.list_scripts("acme")[1] == 1
    repository.engine.dispose()
