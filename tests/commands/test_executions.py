"""Execution counts for the last 24 hours: buffered, flushed, summed across processes."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from esruntime import InMemoryEventStore
from esruntime.backends.memory import InMemoryHandlerRegistry
from esruntime.backends.sql import create_store_engine
from esruntime.backends.sql.handlers import SqlHandlerRegistry
from esruntime.commands import CommandExecutor
from esruntime.handlers.executions import ExecutionCounter
from esruntime.handlers.registry import HandlerService, epoch_hour
from esruntime.schema import parse_schema
from tests.commands.bank import SCHEMA, Deposit, OpenAccount
from tests.commands.test_handler_registry import describe

NOW = datetime(2026, 11, 22, 12, 30, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = NOW.timestamp()

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def registry(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[HandlerService]:
    if request.param == "memory":
        yield InMemoryHandlerRegistry(describe)
        return
    engine = (
        create_store_engine(f"sqlite:///{tmp_path}/counts.db")
        if request.param == "sqlite"
        else request.getfixturevalue("postgres_engine")
    )
    yield SqlHandlerRegistry(engine, describe)
    if request.param == "sqlite":
        engine.dispose()


def test_counts_are_buffered_then_flushed(registry: HandlerService) -> None:
    clock = Clock()
    counter = ExecutionCounter(registry, flush_interval=5, clock=clock)
    for _ in range(3):
        counter.record("deposit")
    assert registry.executions_24h("deposit", NOW) == 0  # still in memory
    clock.now += 6
    counter.record("deposit")  # the interval has passed: everything is handed over
    assert registry.executions_24h("deposit", NOW) == 4
    counter.record("open_account")
    counter.flush()
    assert registry.executions_24h("open_account", NOW) == 1


def test_only_the_last_24_hours_count(registry: HandlerService) -> None:
    hour = epoch_hour(NOW)
    registry.add_executions(hour - 24, {"deposit": 100})  # 24 hours ago: out
    registry.add_executions(hour - 23, {"deposit": 10})
    registry.add_executions(hour, {"deposit": 1, "other": 7})
    assert registry.executions_24h("deposit", NOW) == 11
    assert registry.executions_24h("deposit", NOW + timedelta(hours=1)) == 1
    assert registry.all_executions_24h(NOW) == {"deposit": 11, "other": 7}
    assert registry.all_executions_24h(NOW + timedelta(hours=24)) == {}


def test_several_processes_add_up(registry: HandlerService) -> None:
    first, second = ExecutionCounter(registry), ExecutionCounter(registry)
    first.record("deposit")
    second.record("deposit")
    second.record("deposit")
    first.flush()
    second.flush()
    assert registry.executions_24h("deposit") == 3


def test_counts_survive_a_failed_flush() -> None:
    class Flaky(InMemoryHandlerRegistry):
        fail = True

        def add_executions(self, hour: int, counts: Mapping[str, int]) -> None:
            if self.fail:
                raise ConnectionError("the database is away")
            super().add_executions(hour, counts)

    registry = Flaky(describe)
    counter = ExecutionCounter(registry)
    counter.record("deposit")
    with pytest.raises(ConnectionError):
        counter.flush()
    registry.fail = False
    counter.record("deposit")
    counter.flush()
    assert registry.executions_24h("deposit") == 2


def test_the_executor_counts_every_command_it_runs() -> None:
    registry = InMemoryHandlerRegistry(describe)
    counter = ExecutionCounter(registry, flush_interval=3600)
    bank = parse_schema(SCHEMA)
    executor = CommandExecutor(InMemoryEventStore(), schema=lambda: bank, executions=counter)
    executor.register(OpenAccount)
    executor.register(Deposit)
    executor.execute("open_account", {"account_id": "a1", "owner": "Ada"})
    executor.execute("deposit", {"account_id": "a1", "amount": 1})
    executor.execute("deposit", {"account_id": "nope", "amount": 1})  # rejected: still counted
    counter.flush()
    assert registry.executions_24h("deposit") == 2
    assert registry.executions_24h("open_account") == 1
