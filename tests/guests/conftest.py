"""Every example application, in every language, on an in-memory store and on a SQLite file."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from esruntime import InMemoryEventStore, SqlEventStore
from esruntime.protocols import EventStore
from tests.guests.apps import LANGUAGES, App
from tests.guests.toolchains import probe_module


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[EventStore]:
    if request.param == "memory":
        store: EventStore = InMemoryEventStore()
    else:
        store = SqlEventStore(f"sqlite:///{tmp_path}/events.db")
    yield store
    store.close()


@pytest.fixture(params=LANGUAGES)
def language(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def bank(store: EventStore, language: str) -> App:
    return App("bank", language, store)


@pytest.fixture
def kanban(store: EventStore, language: str) -> App:
    return App("kanban", language, store)


@pytest.fixture(scope="session")
def probe_wasm(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], bytes]:
    """The SDK probe module (tests/guests/numbers.*) of a language, built once per session."""
    built: dict[str, bytes] = {}

    def get(language: str) -> bytes:
        if language not in built:
            built[language] = probe_module(language, tmp_path_factory)
        return built[language]

    return get
