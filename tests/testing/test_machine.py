"""The stateful harness: random command sequences, invariants checked after every step."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import pytest
from attrs import evolve
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import invariant, run_state_machine_as_test

from esruntime.events import SequencedEvent
from esruntime.handlers import Decision, Emit, PythonHandler
from esruntime.testing import CommandMachine, Scenario, command_inputs
from tests.commands.bank import SCHEMA, Deposit, OpenAccount, TransferFunds

ACCOUNTS = st.sampled_from(["a", "b", "c"])
AMOUNTS = st.integers(1, 100)
FAST = settings(
    max_examples=30, stateful_step_count=15, database=None, suppress_health_check=list(HealthCheck)
)


def balances(events: Sequence[SequencedEvent]) -> dict[str, float]:
    result: dict[str, float] = defaultdict(float)
    for event in events:
        sign = {"Deposited": 1, "ReceivedFunds": 1, "SentFunds": -1}.get(event.type, 0)
        result[event.data["account_id"]] += sign * event.data.get("amount", 0)
    return result


class Bank(CommandMachine):
    scenario = Scenario(SCHEMA, [OpenAccount, Deposit, TransferFunds])
    commands = {
        "open_account": command_inputs(OpenAccount, account_id=ACCOUNTS, owner=st.just("o")),
        "deposit": command_inputs(Deposit, account_id=ACCOUNTS, amount=AMOUNTS),
        "transfer_funds": command_inputs(
            TransferFunds, source_account=ACCOUNTS, dest_account=ACCOUNTS, amount=AMOUNTS
        ),
    }

    @invariant()
    def money_is_conserved(self) -> None:
        sent = sum(e.data["amount"] for e in self.events if e.type == "SentFunds")
        received = sum(e.data["amount"] for e in self.events if e.type == "ReceivedFunds")
        assert sent == received

    @invariant()
    def no_balance_goes_below_zero(self) -> None:
        assert all(balance >= 0 for balance in balances(self.events).values())


def test_the_bank_keeps_its_invariants_over_random_command_sequences() -> None:
    run_state_machine_as_test(Bank, settings=FAST)


def test_the_machine_really_runs_commands_that_succeed() -> None:
    machine = Bank()
    machine.execute(("open_account", {"account_id": "a", "owner": "o"}))  # type: ignore[attr-defined]
    machine.execute(("deposit", {"account_id": "a", "amount": 3}))  # type: ignore[attr-defined]
    assert [e.type for e in machine.events] == ["AccountOpened", "Deposited"]
    assert [result.outcome for _, _, result in machine.results] == ["ok", "ok"]


class CarelessTransfer(TransferFunds):
    """Forgets to check the balance."""

    def handle(self, command: dict[str, Any]) -> Decision:
        source, dest = command["source_account"], command["dest_account"]
        if source not in self.balances or dest not in self.balances:
            return super().handle(command)
        amount = command["amount"]
        return [
            Emit("SentFunds", {"account_id": source, "amount": amount, "recipient_id": dest}),
            Emit("ReceivedFunds", {"account_id": dest, "amount": amount, "sender_id": source}),
        ]


class CarelessBank(Bank):
    scenario = Scenario(SCHEMA, [OpenAccount, Deposit, CarelessTransfer])
    commands = Bank.commands


def test_a_broken_invariant_is_found_and_reported() -> None:
    unshrunk = settings(FAST, max_examples=200, phases=[Phase.generate])
    with pytest.raises(AssertionError) as failure:
        run_state_machine_as_test(CarelessBank, settings=unshrunk)
    assert failure.traceback[-1].name == "no_balance_goes_below_zero"


def test_inputs_come_from_the_input_schema_when_the_manifest_has_one() -> None:
    schema = {
        "type": "object",
        "properties": {
            "account_id": {"type": "string", "minLength": 1, "maxLength": 5},
            "amount": {"type": "integer", "minimum": 1, "maximum": 9},
        },
        "required": ["account_id", "amount"],
        "additionalProperties": False,
    }
    manifest = Deposit.manifest()
    inputs = command_inputs(evolve(manifest, input_schema=schema))
    seen: list[dict[str, Any]] = []

    @settings(max_examples=40, database=None)
    @given(inputs)
    def collect(value: dict[str, Any]) -> None:
        seen.append(value)

    collect()
    assert seen
    assert all(set(v) == {"account_id", "amount"} for v in seen)
    assert all(1 <= v["amount"] <= 9 and 1 <= len(v["account_id"]) <= 5 for v in seen)


def test_without_an_input_schema_inputs_bind_every_domain_id_field() -> None:
    seen: list[dict[str, Any]] = []

    @settings(max_examples=40, database=None)
    @given(command_inputs(TransferFunds, amount=AMOUNTS))
    def collect(value: dict[str, Any]) -> None:
        seen.append(value)

    collect()
    assert all(set(v) == {"source_account", "dest_account", "amount"} for v in seen)
    assert all(isinstance(v["source_account"], str) and v["source_account"] for v in seen)


SEATS = """
event SeatsAdded { @show_id: String, count: Int }
event SeatReserved { @show_id: String, @seat: Int, guest: String }
"""


class ReserveSeat(PythonHandler):
    name = "reserve_seat"
    reads = {"SeatsAdded": ["show_id"], "SeatReserved": ["show_id", "seat"]}
    input_domain_ids = {"show_id": "show_id", "seat": "seat"}
    emits = ["SeatReserved"]

    def handle(self, command: dict[str, Any]) -> Decision:
        return []


def draw(strategy: Any, examples: int = 40) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []

    @settings(max_examples=examples, database=None)
    @given(strategy)
    def collect(value: dict[str, Any]) -> None:
        seen.append(value)

    collect()
    assert seen
    return seen


def test_domain_ids_take_their_esdl_type_when_a_schema_is_given() -> None:
    for value in draw(command_inputs(ReserveSeat, SEATS)):
        assert set(value) == {"show_id", "seat"}
        assert isinstance(value["show_id"], str)
        assert type(value["seat"]) is int
    # without a schema every id is text, as before
    assert all(isinstance(v["seat"], str) for v in draw(command_inputs(ReserveSeat)))


def test_a_python_handlers_input_schema_drives_the_generated_inputs() -> None:
    class WithSchema(ReserveSeat):
        input_schema = {
            "type": "object",
            "properties": {
                "show_id": {"enum": ["s1", "s2"]},
                "seat": {"type": "integer", "minimum": 1, "maximum": 4},
                "guest": {"type": "string", "minLength": 1, "maxLength": 8},
            },
            "required": ["show_id", "seat", "guest"],
        }

    for value in draw(command_inputs(WithSchema, SEATS)):
        assert value["show_id"] in ("s1", "s2")
        assert 1 <= value["seat"] <= 4
        assert 1 <= len(value["guest"]) <= 8
