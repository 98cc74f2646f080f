"""A stateful harness: random command sequences against an in-memory runtime (needs hypothesis).

Subclass :class:`CommandMachine` with a :class:`~esruntime.testing.Scenario` and a strategy of
inputs per command, and state invariants over the events; hypothesis runs random sequences of
commands, checks the invariants after every step and shrinks any failure to a short story::

    class Bank(CommandMachine):
        scenario = Scenario(BANK_SCHEMA, [OpenAccount, Deposit, Withdraw, TransferFunds])
        commands = {
            "open_account": command_inputs(OpenAccount, account_id=accounts),
            "transfer_funds": command_inputs(TransferFunds, source_account=accounts, ...),
        }

        @invariant()
        def no_balance_is_negative(self) -> None:
            assert all(balance >= 0 for balance in balances(self.events).values())

    TestBank = Bank.TestCase

A handler fault or an unexpected exception fails the run like a broken invariant does.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, rule
from hypothesis.strategies import SearchStrategy

from esruntime.backends.memory import InMemoryEventStore
from esruntime.commands.executor import CommandResult
from esruntime.events import SequencedEvent
from esruntime.testing.scenarios import Scenario

__all__ = ["CommandMachine"]


def _run_rule(
    steps: SearchStrategy[tuple[str, dict[str, Any]]],
) -> Callable[[CommandMachine, tuple[str, dict[str, Any]]], None]:
    # One function object per subclass: hypothesis marks the function itself as a rule.
    @rule(step=steps)
    def execute(self: CommandMachine, step: tuple[str, dict[str, Any]]) -> None:
        command, command_input = step
        result = self.executor.execute(command, command_input)
        assert result.outcome != "conflict", f"{command} conflicted in a single thread: {result}"
        self.results.append((command, command_input, result))

    return execute


class CommandMachine(RuleBasedStateMachine):
    """Runs generated commands through the scenario's handlers; subclass it (see above)."""

    scenario: ClassVar[Scenario]
    commands: ClassVar[Mapping[str, SearchStrategy[dict[str, Any]]]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        commands = cls.__dict__.get("commands")
        if commands:
            steps = st.one_of(
                [st.tuples(st.just(name), inputs) for name, inputs in commands.items()]
            )
            cls.execute = _run_rule(steps)

    def __init__(self) -> None:
        super().__init__()
        self.store = InMemoryEventStore()
        self.executor = self.scenario.executor(self.store)
        self.results: list[tuple[str, dict[str, Any], CommandResult]] = []

    @property
    def events(self) -> list[SequencedEvent]:
        """Every event the commands appended so far, in order."""
        return self.store.read().events
