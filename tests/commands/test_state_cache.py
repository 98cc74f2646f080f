"""Cached decision states: a command that restores a kept state and folds only the new events
decides exactly as one that replays everything, on memory, SQLite and PostgreSQL, for the
bank's Python classes and its C modules; rejected and faulting commands leave the cache
correct; handler and schema changes drop entries; the byte bound holds."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, Literal

import pytest
import sqlalchemy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from esruntime import Event, EventStore, InMemoryEventStore, Runtime, SqlEventStore
from esruntime.backends.sql import create_store_engine
from esruntime.commands import CommandExecutor, CommandResult
from esruntime.commands.statecache import StateCache
from esruntime.errors import HandlerFault
from esruntime.events import ReadResult, SequencedEvent
from esruntime.handlers import Decision, load_wasm_handler
from esruntime.handlers.guest_state import export_globals
from esruntime.handlers.wasm import WasmModule
from esruntime.schema import parse_schema
from examples.bank.python_handlers import (
    SCHEMA,
    Deposit,
    OpenAccount,
    TransferFunds,
    Withdraw,
)

BANK_TEXT = SCHEMA.read_text()
BANK = parse_schema(BANK_TEXT)
MODULES = Path(__file__).resolve().parents[2] / "examples/bank/wasm"
COMMANDS = ("open_account", "deposit", "withdraw", "transfer_funds")
ACCOUNTS = ("a", "b", "c")
POISON = 13.0
"""An amount whose ReceivedFunds event the faulting Python handler cannot fold."""
MEDDLE = 7.0
"""An amount at which the faulting handler raises in handle."""


class FaultingTransfer(TransferFunds):
    """transfer_funds that changes its own state in ``handle`` (after deciding), raises in
    ``handle`` for amount 7 and in ``apply`` for a received amount of 13."""

    def apply(self, event: SequencedEvent) -> None:
        if event.type == "ReceivedFunds" and float(event.data["amount"]) == POISON:
            raise ValueError("poisoned event")
        super().apply(event)

    def handle(self, command: dict[str, Any]) -> Decision:
        decision = super().handle(command)
        for account in self.accounts.values():  # a kept state must not see this
            account.balance += 1_000_000.0
        if float(command["amount"]) == MEDDLE:
            raise RuntimeError("handle failed")
        return decision


def python_bank(executor: CommandExecutor) -> None:
    for handler in (OpenAccount, Deposit, Withdraw, FaultingTransfer):
        executor.register(handler)


def c_bank(executor: CommandExecutor) -> None:
    for name in COMMANDS:
        executor.register_factory(*load_wasm_handler((MODULES / f"c/{name}.wasm").read_bytes()))


KINDS: dict[str, Callable[[CommandExecutor], None]] = {"python": python_bank, "wasm C": c_bank}


class Interleaved:
    """A real store whose next reads are each followed by another writer's append (before the
    command appends): how a concurrent command looks to the one running."""

    def __init__(self, store: EventStore) -> None:
        self.store = store
        self.pending: list[Event] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)

    def read(self, *args: Any, **kwargs: Any) -> ReadResult:
        result = self.store.read(*args, **kwargs)
        if self.pending:
            self.store.append(self.pending.pop(0))
        return result


Stores = Callable[[], EventStore]


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def stores(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[Stores]:
    """Makes empty stores: new tenants of one database for the SQL backends."""
    tenants = (f"t{n}" for n in itertools.count())
    if request.param == "memory":
        yield InMemoryEventStore
        return
    engine: sqlalchemy.Engine
    if request.param == "sqlite":
        engine = create_store_engine(f"sqlite:///{tmp_path}/cache.db")
    else:
        engine = request.getfixturevalue("postgres_engine")
    yield lambda: SqlEventStore(engine, next(tenants))
    if request.param == "sqlite":
        engine.dispose()


def received(account: str, amount: float) -> Event:
    data = {"account_id": account, "amount": amount, "sender_id": None}
    return Event("ReceivedFunds", data, [f"account_id:{account}"])


account = st.sampled_from(ACCOUNTS)
amount = st.sampled_from([1.0, 5.0, MEDDLE, POISON, 40.0, 250.0])
command = st.one_of(
    st.tuples(st.just("open_account"), account, st.sampled_from(["EUR", "USD"])),
    st.tuples(st.sampled_from(["deposit", "withdraw"]), account, amount),
    st.tuples(st.just("transfer_funds"), account, account, amount),
)
step = st.one_of(
    st.tuples(st.just("command"), command, st.integers(0, 3)),  # how many reads are raced
    st.tuples(st.just("external"), account, amount),  # another writer, between commands
)


def run(executor: CommandExecutor, spec: Sequence[Any]) -> tuple[Any, ...]:
    name = spec[0]
    if name == "open_account":
        payload: dict[str, Any] = {"account_id": spec[1], "owner": "o", "currency": spec[2]}
    elif name == "transfer_funds":
        payload = {"source_account": spec[1], "dest_account": spec[2], "amount": spec[3]}
    else:
        payload = {"account_id": spec[1], "amount": spec[2]}
    try:
        result: CommandResult = executor.execute(name, payload)
    except HandlerFault as fault:
        return ("fault", fault.code)
    return (result.outcome, result.code, result.retries, result.position is not None)


def history(store: EventStore) -> list[tuple[Any, ...]]:
    return [(e.position, e.type, dict(e.data), tuple(e.tags)) for e in store.read()]


@pytest.mark.parametrize("kind", KINDS)
# ``stores`` makes new empty stores (new tenants) for every example: nothing is shared
@settings(
    max_examples=50,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    steps=st.lists(step, min_size=1, max_size=25),
    min_events=st.sampled_from([0, 1, 4]),
    keep_first=st.booleans(),
)
def test_cached_and_uncached_executions_decide_alike(
    stores: Stores, kind: str, steps: list[tuple[Any, ...]], min_events: int, keep_first: bool
) -> None:
    cached_store, plain_store = Interleaved(stores()), Interleaved(stores())
    cache = StateCache(min_events=min_events, keep_first=keep_first)
    executors = []
    pairs: tuple[tuple[Interleaved, StateCache | Literal[False]], ...] = (
        (cached_store, cache),
        (plain_store, False),
    )
    for store, states in pairs:
        executor = CommandExecutor(
            store,  # the real store, with another writer
            schema=lambda: BANK,
            max_retries=2,
            backoff=0,
            max_backoff=0,
            state_cache=states,
        )
        KINDS[kind](executor)
        executors.append(executor)
    for n, (what, *args) in enumerate(steps):
        if what == "external":
            for store in (cached_store, plain_store):
                store.store.append(received(args[0], args[1]))
            continue
        spec, races = args
        for store in (cached_store, plain_store):
            store.pending = [received(spec[1], 1.0) for _ in range(races)]
        outcomes = [run(executor, spec) for executor in executors]
        assert outcomes[0] == outcomes[1], f"step {n}: {spec} with {races} raced reads"
    assert history(cached_store.store) == history(plain_store.store)
    assert cache.size <= cache.max_bytes


@pytest.mark.parametrize("kind", KINDS)
def test_states_are_kept_and_a_failed_command_leaves_them_correct(kind: str) -> None:
    store = InMemoryEventStore()
    cache = StateCache(min_events=0, keep_first=True)
    executor = CommandExecutor(store, schema=lambda: BANK, state_cache=cache)
    KINDS[kind](executor)
    for spec in (("open_account", "a", "EUR"), ("open_account", "b", "EUR")):
        assert run(executor, spec)[0] == "ok"
    assert run(executor, ("deposit", "a", 100.0))[0] == "ok"
    assert len(cache) == 3
    assert cache.size > 0
    assert run(executor, ("transfer_funds", "a", "b", 60.0))[0] == "ok"
    rejected = ("rejected", "insufficient_funds")
    assert run(executor, ("transfer_funds", "a", "b", 60.0))[:2] == rejected
    if kind == "python":  # raises in handle after changing its state: nothing of it is kept
        assert run(executor, ("transfer_funds", "a", "b", MEDDLE)) == ("fault", "handler_error")
    assert run(executor, ("transfer_funds", "a", "b", 40.0))[0] == "ok"
    assert run(executor, ("transfer_funds", "a", "b", 1.0))[:2] == rejected
    if kind == "python":  # a fold that raises keeps nothing either
        store.append(received("a", POISON))
        assert run(executor, ("transfer_funds", "a", "b", 1.0)) == ("fault", "handler_error")
        store.append(received("b", 1.0))
        assert run(executor, ("deposit", "b", 1.0))[0] == "ok"  # another handler's state


def test_a_state_is_kept_from_a_streams_second_command_on() -> None:
    store = InMemoryEventStore()
    cache = StateCache(min_events=0)
    executor = CommandExecutor(store, schema=lambda: BANK, state_cache=cache)
    python_bank(executor)
    for spec in (("open_account", "a", "EUR"), ("open_account", "b", "EUR")):
        run(executor, spec)
    assert len(cache) == 0  # two streams, each commanded once
    run(executor, ("deposit", "a", 10.0))
    run(executor, ("deposit", "a", 10.0))
    assert len(cache) == 1  # account a's deposit stream, at its second command
    assert run(executor, ("deposit", "a", 10.0))[0] == "ok"
    assert len(cache) == 1


def test_the_byte_bound_holds_and_an_oversized_state_is_not_kept() -> None:
    store = InMemoryEventStore()
    cache = StateCache(max_bytes=4_000, min_events=0, keep_first=True)
    executor = CommandExecutor(store, schema=lambda: BANK, state_cache=cache)
    python_bank(executor)
    for n in range(40):
        run(executor, ("open_account", f"acc{n}", "EUR"))
        run(executor, ("deposit", f"acc{n}", 10.0))
        assert cache.size <= 4_000
    assert 0 < len(cache) < 80
    wasm = StateCache(
        max_bytes=10_000, min_events=0, keep_first=True
    )  # smaller than any guest's memory
    executor = CommandExecutor(store, schema=lambda: BANK, state_cache=wasm)
    c_bank(executor)
    assert run(executor, ("deposit", "acc1", 10.0))[0] == "ok"
    assert len(wasm) == 0
    assert wasm.size == 0


def test_a_handler_state_that_cannot_be_pickled_replays_in_full() -> None:
    class Unpicklable(TransferFunds):
        def __init__(self) -> None:
            super().__init__()
            self.lock = lambda: None  # a lambda does not pickle

    store = InMemoryEventStore()
    cache = StateCache(min_events=0, keep_first=True)
    executor = CommandExecutor(store, schema=lambda: BANK, state_cache=cache)
    for handler in (OpenAccount, Deposit, Unpicklable):
        executor.register(handler)
    for spec in (("open_account", "a", "EUR"), ("open_account", "b", "EUR"), ("deposit", "a", 5.0)):
        run(executor, spec)
    before = len(cache)
    assert run(executor, ("transfer_funds", "a", "b", 5.0))[0] == "ok"
    assert run(executor, ("transfer_funds", "a", "b", 5.0))[:2] == (
        "rejected",
        "insufficient_funds",
    )
    assert len(cache) == before


def test_handler_changes_and_schema_pushes_drop_the_tenants_states() -> None:
    cache = StateCache(min_events=0, keep_first=True)
    runtime = Runtime(state_cache=cache)
    tenant = runtime.tenant()
    tenant.push_schema(BANK_TEXT)
    for name in COMMANDS:
        assert (
            tenant.upload(name, (MODULES / f"c/{name}.wasm").read_bytes(), "1.0.0").status == "ok"
        )

    def deposit() -> None:
        result = tenant.execute("deposit", {"account_id": "a", "amount": 1.0})
        assert result.outcome == "ok"

    tenant.execute("open_account", {"account_id": "a", "owner": "o", "currency": "EUR"})
    deposit()
    assert len(cache) == 2
    assert (
        tenant.upload("deposit", (MODULES / "c/deposit.wasm").read_bytes(), "1.0.1").status == "ok"
    )
    assert len(cache) == 1  # open_account's state stays
    deposit()
    assert len(cache) == 2
    assert tenant.make_current("deposit", "1.0.0").status == "ok"
    assert len(cache) == 1
    deposit()
    tenant.push_schema(BANK_TEXT + "\n/// Another event.\nevent Noted {\n  note: String\n}\n")
    assert len(cache) == 0
    deposit()
    tenant.execute("open_account", {"account_id": "a", "owner": "o", "currency": "EUR"})
    assert len(cache) == 2
    assert tenant.delete("deposit")
    assert len(cache) == 1  # open_account's
    runtime.close()


def test_every_mutable_global_of_the_bank_guests_is_exported_for_snapshots() -> None:
    for path in sorted(MODULES.glob("*/*.wasm")):
        exported = export_globals(path.read_bytes())
        assert exported is not None, path
        assert WasmModule.load(path.read_bytes()).state_globals == exported[1]
    c = export_globals((MODULES / "c/deposit.wasm").read_bytes())
    assert c is not None
    assert c[1] == ("esr:global:0",)  # clang's __stack_pointer
    imports = (
        b"\0asm\1\0\0\0" + bytes([2, 8, 1, 1]) + b"m" + bytes([1]) + b"g" + bytes([3, 0x7F, 1])
    )
    assert export_globals(imports) is None  # an imported global shifts every index
