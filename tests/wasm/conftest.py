"""An executor serving the well-behaved counter, for the wasm tests to add handlers to."""

from __future__ import annotations

import pytest

from esruntime import InMemoryEventStore
from esruntime.commands import CommandExecutor
from esruntime.handlers import load_wasm_handler
from tests.wasm.modules import counter_wasm


@pytest.fixture
def store() -> InMemoryEventStore:
    return InMemoryEventStore()


@pytest.fixture
def executor(store: InMemoryEventStore) -> CommandExecutor:
    executor = CommandExecutor(store)
    executor.register_factory(*load_wasm_handler(counter_wasm()))
    return executor
