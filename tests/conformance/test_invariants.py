"""Random command sequences against every implementation keep each application's invariants."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import invariant, run_state_machine_as_test

from esruntime.events import SequencedEvent
from esruntime.testing import CommandMachine
from tests.conformance.implementations import LANGUAGES, scenario

RUNS = settings(
    max_examples=25, stateful_step_count=20, database=None, suppress_health_check=list(HealthCheck)
)
ACCOUNTS = st.sampled_from(["a", "b", "c"])
AMOUNTS = st.one_of(st.integers(-5, 120), st.floats(0.01, 80, allow_nan=False))
TASKS = st.sampled_from(["t1", "t2"])


def balances(events: Sequence[SequencedEvent]) -> dict[str, float]:
    result: dict[str, float] = defaultdict(float)
    for event in events:
        sign = {"ReceivedFunds": 1, "SentFunds": -1}.get(event.type, 0)
        result[event.data["account_id"]] += sign * float(event.data.get("amount", 0))
    return result


def bank_machine(language: str) -> type[CommandMachine]:
    class Bank(CommandMachine):
        scenario = scenario("bank", language)
        commands = {
            "open_account": st.fixed_dictionaries(
                {"account_id": ACCOUNTS, "owner": st.just("o"), "currency": st.just("EUR")}
            ),
            "deposit": st.fixed_dictionaries({"account_id": ACCOUNTS, "amount": AMOUNTS}),
            "withdraw": st.fixed_dictionaries({"account_id": ACCOUNTS, "amount": AMOUNTS}),
            "transfer_funds": st.fixed_dictionaries(
                {"source_account": ACCOUNTS, "dest_account": ACCOUNTS, "amount": AMOUNTS}
            ),
        }

        @invariant()
        def money_is_conserved_by_transfers(self) -> None:
            sent = sum(e.data["amount"] for e in self.events if e.data.get("recipient_id"))
            received = sum(e.data["amount"] for e in self.events if e.data.get("sender_id"))
            assert sent == received

        @invariant()
        def no_balance_goes_below_zero(self) -> None:
            assert all(balance >= -1e-9 for balance in balances(self.events).values())

    return Bank


def kanban_machine(language: str) -> type[CommandMachine]:
    class Kanban(CommandMachine):
        scenario = scenario("kanban", language)
        commands = {
            "create_task": st.fixed_dictionaries({"task_id": TASKS, "title": st.just("T")}),
            "rename_task": st.fixed_dictionaries(
                {"task_id": TASKS, "title": st.sampled_from(["T", "U"])}
            ),
            "change_task_status": st.fixed_dictionaries(
                {"task_id": TASKS, "status": st.sampled_from(["TODO", "DOING", "DONE"])}
            ),
            "delete_task": st.fixed_dictionaries({"task_id": TASKS}),
        }

        @invariant()
        def a_deleted_task_accepts_no_commands(self) -> None:
            deleted: set[str] = set()
            for event in self.events:
                assert event.data["task_id"] not in deleted, event
                if event.type == "TaskDeleted":
                    deleted.add(event.data["task_id"])

        @invariant()
        def every_command_after_a_deletion_is_refused_as_deleted(self) -> None:
            deleted: set[str] = set()
            for command, command_input, result in self.results:
                task = command_input["task_id"]
                if task in deleted:
                    assert (result.outcome, result.code) == ("rejected", "task_deleted")
                elif command == "delete_task" and result.event_ids:
                    deleted.add(task)

    return Kanban


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_bank_conserves_money_and_never_overdraws(language: str) -> None:
    run_state_machine_as_test(bank_machine(language), settings=RUNS)


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_deleted_task_accepts_no_commands(language: str) -> None:
    run_state_machine_as_test(kanban_machine(language), settings=RUNS)
