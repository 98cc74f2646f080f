"""Given/when/then for handlers: the scenario API on Python and WebAssembly handlers."""

from __future__ import annotations

import re
from typing import Any

import pytest

from esruntime import Event
from esruntime.handlers import Decision, Emit
from esruntime.testing import Scenario
from tests.commands.bank import SCHEMA, Deposit, OpenAccount, TransferFunds
from tests.wasm.modules import counter_wasm

bank = Scenario(SCHEMA, [OpenAccount, Deposit, TransferFunds])
OPENED_A = ("AccountOpened", {"account_id": "a", "owner": "Ann"})
OPENED_B = ("AccountOpened", {"account_id": "b", "owner": "Bob"})


def test_a_command_appends_the_expected_events_after_the_given_history() -> None:
    outcome = (
        bank.given(OPENED_A, ("Deposited", {"account_id": "a", "amount": 50}), OPENED_B)
        .when("transfer_funds", {"source_account": "a", "dest_account": "b", "amount": 20})
        .then(
            ("SentFunds", {"account_id": "a", "amount": 20, "recipient_id": "b"}),
            ("ReceivedFunds", {"account_id": "b", "amount": 20, "sender_id": "a"}),
        )
    )
    assert [e.tags for e in outcome.events] == [
        ("account_id:a", "recipient_id:b"),
        ("account_id:b", "sender_id:a"),
    ]
    assert [e.position for e in outcome.events] == [4, 5]


def test_given_events_are_tagged_by_the_schema_so_the_handler_finds_them() -> None:
    # Without tags the deposit's query would not see the opening, and it would be rejected.
    bank.given(OPENED_A).when("deposit", {"account_id": "a", "amount": 5}).then(
        ("Deposited", {"account_id": "a", "amount": 5})
    )


def test_defaults_are_part_of_the_expected_data() -> None:
    bank.given().when("open_account", {"account_id": "a", "owner": "Ann"}).then(
        ("AccountOpened", {"account_id": "a", "owner": "Ann", "currency": "EUR"})
    )


def test_a_rejection_is_expected_by_code_and_optionally_message() -> None:
    outcome = bank.given().when("deposit", {"account_id": "a", "amount": 5})
    outcome.then_rejected("account_not_found")
    outcome.then_rejected("account_not_found", "no such account")
    with pytest.raises(
        AssertionError, match=r"expected deposit to be rejected \[account_not_found: other"
    ):
        outcome.then_rejected("account_not_found", "other")


def test_a_mismatch_shows_what_was_expected_and_what_happened() -> None:
    outcome = bank.given(OPENED_A).when("deposit", {"account_id": "a", "amount": 5})
    with pytest.raises(AssertionError) as failure:
        outcome.then(("Deposited", {"account_id": "a", "amount": 6}))
    assert 'Deposited {"account_id": "a", "amount": 6}' in str(failure.value)
    assert 'but deposit appended:\n    Deposited {"account_id": "a", "amount": 5}' in str(
        failure.value
    )
    with pytest.raises(AssertionError, match="but deposit appended"):
        outcome.then_rejected("account_not_found")


def test_a_rejection_where_events_were_expected_fails_naming_the_code() -> None:
    outcome = bank.given().when("deposit", {"account_id": "a", "amount": 5})
    with pytest.raises(
        AssertionError, match=re.escape("but deposit was rejected [account_not_found]")
    ):
        outcome.then(("Deposited", {"account_id": "a", "amount": 5}))


def test_given_accepts_ready_made_events_with_their_own_tags() -> None:
    untagged = Event("AccountOpened", {"account_id": "a", "owner": "Ann"}, [])
    bank.given(untagged).when("deposit", {"account_id": "a", "amount": 5}).then_rejected(
        "account_not_found"
    )


def test_every_given_starts_from_an_empty_store() -> None:
    bank.given(OPENED_A).when("open_account", {"account_id": "a", "owner": "A"}).then_rejected(
        "account_exists"
    )
    bank.given().when("open_account", {"account_id": "a", "owner": "A"}).then(
        ("AccountOpened", {"account_id": "a", "owner": "A", "currency": "EUR"})
    )


class Overdraw(TransferFunds):
    """Emits an event type its manifest does not declare."""

    def handle(self, command: dict[str, Any]) -> Decision:
        return [Emit("Deposited", {"account_id": "a", "amount": 1})]


def test_a_fault_is_an_outcome_of_its_own() -> None:
    broken = Scenario(SCHEMA, [Overdraw])
    outcome = broken.given().when(
        "transfer_funds", {"source_account": "a", "dest_account": "b", "amount": 1}
    )
    outcome.then_fault("undeclared_event")
    with pytest.raises(AssertionError, match=r"faulted \[undeclared_event\]"):
        outcome.then()


def test_a_webassembly_handler_runs_the_same_way() -> None:
    counter = Scenario("event Counted { @counter_id: String }", [counter_wasm()])
    counter.given().when("count", {"counter_id": "c1"}).then(("Counted", {"counter_id": "c1"}))
    counter.given(("Counted", {"counter_id": "c1"})).when(
        "count", {"counter_id": "c1"}
    ).then_rejected("already_counted", "this counter was counted")
    counter.given(("Counted", {"counter_id": "c2"})).when("count", {"counter_id": "c1"}).then(
        ("Counted", {"counter_id": "c1"})
    )


def test_a_scenario_refuses_what_is_not_a_handler() -> None:
    with pytest.raises(TypeError, match="not a handler"):
        Scenario(SCHEMA, [object])  # type: ignore[list-item]
