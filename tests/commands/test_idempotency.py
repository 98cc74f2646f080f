"""Exactly-once commands with idempotency keys, on every backend."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from esruntime import EventStore, InMemoryEventStore, SqlEventStore
from esruntime.backends.sql import create_store_engine
from esruntime.backends.umadb import UmaDbEventStore
from esruntime.commands import CommandExecutor
from esruntime.errors import IdempotencyKeyReused, InvalidQueryError
from esruntime.handlers import Decision
from esruntime.schema import parse_schema
from tests.commands.bank import SCHEMA, Deposit, OpenAccount, TransferFunds

BANK = parse_schema(SCHEMA)
RUNS: list[str] = []


class CountingDeposit(Deposit):
    name = "counted_deposit"

    def handle(self, command: dict[str, Any]) -> Decision:
        RUNS.append(command["account_id"])
        return super().handle(command)


@pytest.fixture(
    params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres), "umadb"]
)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[EventStore]:
    RUNS.clear()
    if request.param == "memory":
        yield InMemoryEventStore()
        return
    if request.param == "umadb":
        umadb_store = UmaDbEventStore(request.getfixturevalue("umadb_server").url)
        yield umadb_store
        umadb_store.close()
        return
    if request.param == "sqlite":
        engine = create_store_engine(f"sqlite:///{tmp_path}/bank.db")
        yield SqlEventStore(engine)
        engine.dispose()
        return
    yield SqlEventStore(request.getfixturevalue("postgres_engine"))


def bank(store: EventStore) -> CommandExecutor:
    executor = CommandExecutor(store, schema=lambda: BANK, max_retries=50)
    for handler in (OpenAccount, Deposit, TransferFunds, CountingDeposit):
        executor.register(handler)
    executor.execute("open_account", {"account_id": "a1", "owner": "Ada"})
    executor.execute("open_account", {"account_id": "a2", "owner": "Bob"})
    return executor


def deposits(store: EventStore) -> int:
    return sum(1 for e in store.read() if e.type == "Deposited")


def test_a_repeat_returns_the_first_result_without_running_the_handler(store: EventStore) -> None:
    executor = bank(store)
    command = {"account_id": "a1", "amount": 10}
    first = executor.execute("counted_deposit", command, idempotency_key="k1")
    again = executor.execute(
        "counted_deposit", {"amount": 10, "account_id": "a1"}, idempotency_key="k1"
    )
    assert (first.outcome, first.replayed, again.replayed) == ("ok", False, True)
    assert (again.position, again.event_ids) == (first.position, first.event_ids)
    assert RUNS == ["a1"]
    assert deposits(store) == 1


def test_the_same_key_with_another_command_or_body_is_an_error(store: EventStore) -> None:
    executor = bank(store)
    executor.execute("deposit", {"account_id": "a1", "amount": 10}, idempotency_key="k2")
    with pytest.raises(IdempotencyKeyReused, match="'k2' was first used with another command"):
        executor.execute("deposit", {"account_id": "a1", "amount": 11}, idempotency_key="k2")
    with pytest.raises(IdempotencyKeyReused):
        executor.execute(
            "counted_deposit", {"account_id": "a1", "amount": 10}, idempotency_key="k2"
        )
    assert deposits(store) == 1


def test_rejections_are_recorded_and_replayed(store: EventStore) -> None:
    executor = bank(store)
    transfer = {"source_account": "a1", "dest_account": "a2", "amount": 50}
    first = executor.execute("transfer_funds", transfer, idempotency_key="k3")
    assert (first.outcome, first.code) == ("rejected", "insufficient_funds")
    executor.execute("deposit", {"account_id": "a1", "amount": 100})
    again = executor.execute("transfer_funds", transfer, idempotency_key="k3")
    assert (again.outcome, again.code, again.replayed) == ("rejected", "insufficient_funds", True)


def test_bad_keys_are_refused_before_anything_runs(store: EventStore) -> None:
    executor = bank(store)
    for key in ("", "x" * 201, "line\nbreak"):
        with pytest.raises(InvalidQueryError, match="idempotency key"):
            executor.execute(
                "counted_deposit", {"account_id": "a1", "amount": 1}, idempotency_key=key
            )
    assert RUNS == []


def test_concurrent_repeats_execute_once(store: EventStore) -> None:
    executor = bank(store)
    barrier = threading.Barrier(8)
    results: list[Any] = []

    def repeat() -> None:
        barrier.wait()
        command = {"account_id": "a1", "amount": 5}
        results.append(executor.execute("deposit", command, idempotency_key="same"))

    threads = [threading.Thread(target=repeat) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert deposits(store) == 1
    assert {r.event_ids for r in results} == {results[0].event_ids}
    assert [r.replayed for r in results].count(False) == 1
    assert {r.position for r in results} == {store.head()}


def test_the_first_result_survives_a_restart(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/durable.db"
    first_store = SqlEventStore(url)
    first = bank(first_store).execute(
        "deposit", {"account_id": "a1", "amount": 10}, idempotency_key="k4"
    )
    first_store.close()
    store = SqlEventStore(url)  # a new process would see the same database
    executor = CommandExecutor(store, schema=lambda: BANK)
    executor.register(Deposit)
    again = executor.execute("deposit", {"account_id": "a1", "amount": 10}, idempotency_key="k4")
    assert (again.replayed, again.event_ids, again.position) == (
        True,
        first.event_ids,
        first.position,
    )
    assert deposits(store) == 1
    store.close()


RUN_ONCE = """
import json, sys
from esruntime import SqlEventStore
from esruntime.commands import CommandExecutor
from esruntime.schema import parse_schema
from tests.commands.bank import SCHEMA, Deposit, OpenAccount

store = SqlEventStore(sys.argv[1])
bank = parse_schema(SCHEMA)
executor = CommandExecutor(store, schema=lambda: bank)
executor.register(OpenAccount)
executor.register(Deposit)
executor.execute("open_account", {"account_id": "a1", "owner": "Ada"}, idempotency_key="open")
result = executor.execute("deposit", {"account_id": "a1", "amount": 10}, idempotency_key="k5")
print(json.dumps([result.position, list(result.event_ids), result.replayed]))
"""


def test_another_process_gets_the_first_result(tmp_path: Path) -> None:
    import json
    import subprocess
    import sys

    url = f"sqlite:///{tmp_path}/processes.db"
    runs = [
        subprocess.run(
            [sys.executable, "-c", RUN_ONCE, url],
            capture_output=True,
            text=True,
            check=True,
            cwd=Path(__file__).resolve().parents[2],
        )
        for _ in range(2)
    ]
    first, second = (json.loads(run.stdout) for run in runs)
    assert first[2] is False
    assert second == [first[0], first[1], True]
    store = SqlEventStore(url)
    assert [e.type for e in store.read()] == ["AccountOpened", "Deposited"]
    store.close()
