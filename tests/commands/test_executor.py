"""The command executor with Python handlers, on every event store backend."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy

from esruntime import Event, EventStore, InMemoryEventStore, Query, QueryItem, SqlEventStore
from esruntime.backends.sql import create_store_engine
from esruntime.backends.umadb import UmaDbEventStore
from esruntime.backoff import backoff_delay
from esruntime.commands import CommandExecutor
from esruntime.errors import HandlerFault, UnknownCommandError
from esruntime.handlers import Decision, Emit, PythonHandler
from esruntime.schema import parse_schema
from tests.commands.bank import SCHEMA, Deposit, OpenAccount, TransferFunds

BANK = parse_schema(SCHEMA)


@pytest.fixture(
    params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres), "umadb"]
)
def store(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[EventStore]:
    if request.param == "memory":
        yield InMemoryEventStore()
        return
    if request.param == "umadb":
        umadb_store = UmaDbEventStore(request.getfixturevalue("umadb_server").url)
        yield umadb_store
        umadb_store.close()
        return
    engine: sqlalchemy.Engine
    if request.param == "sqlite":
        engine = create_store_engine(f"sqlite:///{tmp_path}/bank.db")
    else:
        engine = request.getfixturevalue("postgres_engine")
    sql_store = SqlEventStore(engine)
    yield sql_store
    if request.param == "sqlite":
        engine.dispose()


def bank(store: EventStore, **options: Any) -> CommandExecutor:
    executor = CommandExecutor(store, schema=lambda: BANK, **options)
    for handler in (OpenAccount, Deposit, TransferFunds):
        executor.register(handler)
    return executor


def balance(store: EventStore, account: str) -> float:
    total = 0.0
    for event in store.read(Query([QueryItem(tags=[f"account_id:{account}"])])):
        if event.type in ("Deposited", "ReceivedFunds"):
            total += event.data["amount"]
        elif event.type == "SentFunds":
            total -= event.data["amount"]
    return total


def test_a_transfer_appends_tagged_events_with_ids_and_metadata(store: EventStore) -> None:
    executor = bank(store)
    assert executor.execute("open_account", {"account_id": "a1", "owner": "Ada"}).outcome == "ok"
    executor.execute("open_account", {"account_id": "a2", "owner": "Bob"})
    executor.execute("deposit", {"account_id": "a1", "amount": 100})
    result = executor.execute(
        "transfer_funds",
        {"source_account": "a1", "dest_account": "a2", "amount": 30},
        context={"correlation_id": "cor-1"},
    )
    assert (result.outcome, result.position, result.retries) == ("ok", 5, 0)
    sent, received = store.read(start=4).events
    assert sent.tags == ("account_id:a1", "recipient_id:a2")
    assert received.tags == ("account_id:a2", "sender_id:a1")
    assert result.event_ids == (sent.id, received.id)
    assert sent.id.startswith("evt_")
    assert sent.metadata == {
        "correlation_id": "cor-1",
        "causation_id": None,
        "handler": "transfer_funds",
        "handler_version": "1.2.0",
    }
    assert (balance(store, "a1"), balance(store, "a2")) == (70, 30)


def test_a_rejection_writes_nothing_and_carries_the_handlers_code(store: EventStore) -> None:
    executor = bank(store)
    executor.execute("open_account", {"account_id": "a1", "owner": "Ada"})
    executor.execute("open_account", {"account_id": "a2", "owner": "Bob"})
    result = executor.execute(
        "transfer_funds", {"source_account": "a1", "dest_account": "a2", "amount": 5}
    )
    assert (result.outcome, result.code) == ("rejected", "insufficient_funds")
    assert result.message == "balance 0.0 < 5"
    assert store.head() == 2
    again = executor.execute("open_account", {"account_id": "a1", "owner": "Eve"})
    assert again.code == "account_exists"


@pytest.mark.parametrize(
    ("command", "message"),
    [
        ([1], "command input must be a JSON object, got list"),
        ({"account_id": True, "amount": 1}, "a domain id value must be a string or a number"),
        ({"account_id": "a1", "amount": -5}, "amount must be a positive number"),
    ],
)
def test_bad_input_is_rejected_as_invalid_input(
    store: EventStore, command: object, message: str
) -> None:
    result = bank(store).execute("deposit", command)
    assert (result.outcome, result.code) == ("rejected", "invalid_input")
    assert message in (result.message or "")
    assert store.head() is None


def test_an_unknown_command_is_an_error(store: EventStore) -> None:
    with pytest.raises(UnknownCommandError, match="'close_account'"):
        bank(store).execute("close_account", {})


def test_replayed_events_are_upcast_to_the_current_schema(store: EventStore) -> None:
    store.append(Event("AccountOpened", {"account_id": "a1", "owner": "Ada"}, ["account_id:a1"]))
    seen: list[str] = []

    class Inspect(PythonHandler):
        name = "inspect"
        reads = {"AccountOpened": ["account_id"]}
        input_domain_ids = {"account_id": "account_id"}

        def apply(self, event: Any) -> None:
            seen.append(event.data["currency"])

        def handle(self, command: dict[str, Any]) -> Decision:
            return []

    executor = bank(store)
    executor.register(Inspect)
    result = executor.execute("inspect", {"account_id": "a1"})
    assert (result.outcome, result.position, result.event_ids) == ("ok", 1, ())
    assert seen == ["EUR"]


def test_undeclared_or_invalid_events_are_handler_faults(store: EventStore) -> None:
    class Sneaky(PythonHandler):
        name = "sneaky"
        emits = ["Deposited"]

        def handle(self, command: dict[str, Any]) -> Decision:
            return [Emit(command["type"], command["data"])]

    executor = bank(store)
    executor.register(Sneaky)
    with pytest.raises(
        HandlerFault, match="emitted 'SentFunds', which its manifest does not declare"
    ) as fault:
        executor.execute("sneaky", {"type": "SentFunds", "data": {}})
    assert fault.value.code == "undeclared_event"
    with pytest.raises(HandlerFault, match=r"\$\.amount") as fault:
        executor.execute(
            "sneaky", {"type": "Deposited", "data": {"account_id": "a1", "amount": "lots"}}
        )
    assert fault.value.code == "invalid_event"
    with pytest.raises(HandlerFault, match="not an object"):
        executor.execute("sneaky", {"type": "Deposited", "data": [1, 2]})
    assert store.head() is None


def test_a_conflicting_append_is_retried_and_counted(store: EventStore) -> None:
    executor = bank(store)
    executor.execute("open_account", {"account_id": "a1", "owner": "Ada"})
    attempts: list[int] = []

    class Racing(Deposit):
        name = "racing_deposit"

        def handle(self, command: dict[str, Any]) -> Decision:
            attempts.append(1)
            if len(attempts) == 1:  # someone else deposits between our read and our append
                store.append(
                    Event("Deposited", {"account_id": "a1", "amount": 1.0}, ["account_id:a1"])
                )
            return super().handle(command)

    executor.register(Racing)
    result = executor.execute("racing_deposit", {"account_id": "a1", "amount": 10})
    assert (result.outcome, result.retries, len(attempts)) == ("ok", 1, 2)
    assert balance(store, "a1") == 11


def test_exhausted_retries_end_in_conflict(store: EventStore) -> None:
    executor = bank(store, max_retries=2, backoff=0)
    executor.execute("open_account", {"account_id": "a1", "owner": "Ada"})

    class AlwaysRacing(Deposit):
        name = "always_racing"

        def handle(self, command: dict[str, Any]) -> Decision:
            store.append(Event("Deposited", {"account_id": "a1", "amount": 1.0}, ["account_id:a1"]))
            return super().handle(command)

    executor.register(AlwaysRacing)
    result = executor.execute("always_racing", {"account_id": "a1", "amount": 10})
    assert (result.outcome, result.retries) == ("conflict", 2)
    assert balance(store, "a1") == 3  # only the racers' deposits


@pytest.mark.parametrize(
    "store", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
def test_concurrent_transfers_conserve_money_and_never_overdraw(store: EventStore) -> None:
    executor = bank(store, max_retries=50)
    accounts = [f"a{n}" for n in range(4)]
    for account in accounts:
        executor.execute("open_account", {"account_id": account, "owner": account})
        executor.execute("deposit", {"account_id": account, "amount": 100})
    outcomes: list[str] = []

    def transfer(worker: int) -> None:
        for n in range(25):
            source = accounts[(worker + n) % 4]
            dest = accounts[(worker + n + 1) % 4]
            command = {"source_account": source, "dest_account": dest, "amount": 7 + worker}
            outcomes.append(executor.execute("transfer_funds", command).outcome)

    threads = [threading.Thread(target=transfer, args=(w,)) for w in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert "conflict" not in outcomes
    balances = [balance(store, a) for a in accounts]
    assert sum(balances) == 400
    assert min(balances) >= 0
    positions = [e.position for e in store.read()]
    assert positions == list(range(1, len(positions) + 1))
    transfers = sum(1 for e in store.read() if e.type == "SentFunds")
    assert transfers == outcomes.count("ok")


def test_a_handler_registry_entry_is_replaced_by_name(store: EventStore) -> None:
    executor = bank(store)
    manifest = executor.register(Deposit)
    assert executor.manifest("deposit") == manifest


@pytest.mark.parametrize("attempt", [0, 1, 5, 20, 50, 10_000])
def test_the_wait_after_a_conflict_is_capped_however_many_retries_are_allowed(
    attempt: int,
) -> None:
    delays = [backoff_delay(attempt + 1, 0.002, 0.05) for _ in range(200)]
    assert all(0 <= delay <= min(0.05, 0.002 * 2.0 ** min(attempt, 64)) for delay in delays)
    assert max(delays) > 0
