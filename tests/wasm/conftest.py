"""Fixtures of the wasm tests: both guest call paths, and an executor serving the counter."""

from __future__ import annotations

import pytest

from esruntime import InMemoryEventStore
from esruntime.commands import CommandExecutor
from esruntime.handlers import load_wasm_handler, rawcall, wasm
from tests.wasm.modules import counter_wasm


@pytest.fixture(autouse=True, params=["raw calls", "public calls"])
def call_path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every wasm test runs twice: through wasmtime's C API and through its public API."""
    if request.param == "raw calls" and not rawcall.AVAILABLE:
        pytest.skip("this wasmtime release does not offer the raw call path")
    monkeypatch.setattr(wasm, "RAW_CALLS", request.param == "raw calls")
    return str(request.param)


@pytest.fixture
def store() -> InMemoryEventStore:
    return InMemoryEventStore()


@pytest.fixture
def executor(store: InMemoryEventStore) -> CommandExecutor:
    executor = CommandExecutor(store)
    executor.register_factory(*load_wasm_handler(counter_wasm()))
    return executor
