"""Fixtures of the trigger tests: a clock the test moves, and a script service on each backend
running real JavaScript (quickjs-ng) with that clock."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from esruntime.backends.memory import InMemoryScriptRepository
from esruntime.backends.sql import create_store_engine
from esruntime.backends.sql.scripts import SqlScriptRepository
from esruntime.protocols import ScriptRepository
from esruntime.scripts.engines import QuickJsRunner
from esruntime.scripts.service import ScriptService


class ManualClock:
    """A clock that moves only when the test moves it (thread-safe)."""

    def __init__(self, start: datetime) -> None:
        self._now = start
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, delta: timedelta) -> datetime:
        with self._lock:
            self._now += delta
            return self._now

    def set(self, moment: datetime) -> None:
        with self._lock:
            self._now = moment


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 5, 1, 11, 58, 30, tzinfo=UTC))


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def repository(request: pytest.FixtureRequest, sqlite_url: str) -> Iterator[ScriptRepository]:
    if request.param == "memory":
        yield InMemoryScriptRepository()
        return
    if request.param == "sqlite":
        engine = create_store_engine(sqlite_url)
        yield SqlScriptRepository(engine)
        engine.dispose()
        return
    yield SqlScriptRepository(request.getfixturevalue("postgres_engine"))


@pytest.fixture
def service(repository: ScriptRepository, clock: ManualClock) -> Iterator[ScriptService]:
    service = ScriptService(repository, QuickJsRunner(), default_tenant="acme", clock=clock)
    yield service
    service.close()
