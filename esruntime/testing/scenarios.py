"""Given/when/then scenarios for command handlers, WebAssembly or Python alike.

::

    bank = Scenario(BANK_SCHEMA, [OpenAccount, Deposit, TransferFunds])   # or wasm bytes
    (
        bank.given(("AccountOpened", {"account_id": "a", "owner": "Ann"}))
        .when("deposit", {"account_id": "a", "amount": 10})
        .then(("Deposited", {"account_id": "a", "amount": 10}))
    )
    bank.given().when("deposit", {"account_id": "nobody", "amount": 1}).then_rejected(
        "account_not_found"
    )

With a schema, the handlers are checked as an upload is
(:func:`~esruntime.handlers.checks.check_handler`): one the server would refuse raises
:class:`~esruntime.errors.HandlerRejectedError` with the upload's codes and messages, and the
upload's warnings are kept in :attr:`Scenario.warnings`. Every ``given`` starts from an empty
in-memory store: the given events are validated against the schema (EventValidationError, with
the server's messages) and appended with their tags derived from its domain-id fields (as a
handler's events would be). The command runs through the real
:class:`~esruntime.commands.CommandExecutor` (a handler that raises, or returns something else
than a decision, faults, as on the server), and ``then...`` compares what it appended, or how it
refused or faulted, with the expectation. A mismatch fails with an ``AssertionError`` that shows
both sides. Without a schema (``None``) nothing is checked.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from attrs import frozen

from esruntime.backends.memory import InMemoryEventStore
from esruntime.commands.executor import CommandExecutor, CommandResult
from esruntime.commands.query import tag_value
from esruntime.errors import HandlerFault
from esruntime.events import Event, SequencedEvent
from esruntime.handlers.checks import check_handler
from esruntime.handlers.manifest import HandlerManifest
from esruntime.handlers.python import CommandHandler, PythonHandler
from esruntime.schema.language import parse_schema
from esruntime.schema.model import Schema
from esruntime.schema.validation import upcast, validate_event

__all__ = ["Outcome", "Scenario", "When", "handler_source"]

HandlerSource = type[PythonHandler] | bytes | tuple[HandlerManifest, Callable[[], CommandHandler]]
"""A Python handler class, a WebAssembly module's bytes, or ``(manifest, factory)``."""

GivenEvent = Event | tuple[str, Mapping[str, Any]]
"""An event of the history: an :class:`~esruntime.events.Event`, or ``(type, data)``."""


def handler_source(source: HandlerSource) -> tuple[HandlerManifest, Callable[[], CommandHandler]]:
    """``(manifest, factory)`` for any kind of handler a scenario accepts."""
    if isinstance(source, bytes | bytearray):
        from esruntime.handlers.wasm import load_wasm_handler

        return load_wasm_handler(bytes(source))
    if isinstance(source, tuple):
        return source
    if isinstance(source, type) and issubclass(source, PythonHandler):
        return source.manifest(), source
    raise TypeError(f"not a handler: {source!r} (a PythonHandler class, wasm bytes or a pair)")


class Scenario:
    """The handlers under test and their schema; ``given`` starts one case."""

    def __init__(self, schema: Schema | str | None, handlers: Iterable[HandlerSource]) -> None:
        self.schema = parse_schema(schema) if isinstance(schema, str) else schema
        self.handlers = [handler_source(source) for source in handlers]
        self.warnings: dict[str, list[str]] = {}
        """The warnings an upload of each handler would return, by command name."""
        if self.schema is not None:
            for manifest, _ in self.handlers:
                self.warnings[manifest.name] = check_handler(manifest, self.schema)

    def executor(self, store: InMemoryEventStore) -> CommandExecutor:
        """An executor on ``store`` with every handler registered."""
        schema = self.schema
        executor = CommandExecutor(store, schema=lambda: schema, backoff=0.0)
        for manifest, factory in self.handlers:
            executor.register_factory(manifest, factory)
        return executor

    def event(self, given: GivenEvent) -> Event:
        """A given event as the store holds it: tagged by its schema's domain ids if untagged.

        With a schema, its data must be valid (after defaults fill what older events lack), or
        EventValidationError says why, as the server would.
        """
        if isinstance(given, Event):
            self._validate(given.type, given.data)
            return given
        event_type, data = given
        self._validate(event_type, data)
        tags: list[str] = []
        declared = None if self.schema is None else self.schema.event(event_type)
        for name in () if declared is None else declared.domain_ids:
            value = tag_value(data.get(name))
            if value is not None:
                tags.append(f"{name}:{value}")
        return Event(event_type, dict(data), tags)

    def _validate(self, event_type: str, data: object) -> None:
        if self.schema is not None:
            validate_event(self.schema, event_type, upcast(self.schema, event_type, data))

    def given(self, *events: GivenEvent) -> When:
        """A fresh store holding ``events``, in order."""
        store = InMemoryEventStore()
        if events:
            store.append([self.event(given) for given in events])
        return When(self, store)


@frozen
class When:
    """The history of one case; ``when`` runs a command on it."""

    scenario: Scenario
    store: InMemoryEventStore

    def when(
        self,
        command: str,
        command_input: object,
        *,
        idempotency_key: str | None = None,
    ) -> Outcome:
        head = self.store.head() or 0
        executor = self.scenario.executor(self.store)
        try:
            result: CommandResult | HandlerFault = executor.execute(
                command, command_input, idempotency_key=idempotency_key
            )
        except HandlerFault as fault:
            result = fault
        appended = self.store.read(start=head + 1).events
        return Outcome(command, result, tuple(appended), self.store)


def _show(events: Sequence[tuple[str, Any]]) -> str:
    if not events:
        return "    (no events)"
    return "\n".join(f"    {kind} {json.dumps(data, sort_keys=True)}" for kind, data in events)


@frozen
class Outcome:
    """What a command did: its result (or fault) and the events it appended."""

    command: str
    result: CommandResult | HandlerFault
    events: tuple[SequencedEvent, ...]
    store: InMemoryEventStore

    def _describe(self) -> str:
        result = self.result
        if isinstance(result, HandlerFault):
            return f"{self.command} faulted [{result.code}]: {result}"
        if result.outcome == "rejected":
            return f"{self.command} was rejected [{result.code}]: {result.message}"
        if result.outcome == "conflict":
            return f"{self.command} conflicted: {result.message}"
        shown = _show([(e.type, e.data) for e in self.events])
        return f"{self.command} appended:\n{shown}"

    def then(self, *expected: tuple[str, Mapping[str, Any]]) -> Outcome:
        """The command succeeded and appended exactly these ``(type, data)`` events, in order.

        Data is compared after defaults were filled (as stored); ``then()`` expects nothing
        appended.
        """
        actual = [(event.type, event.data) for event in self.events]
        wanted = [(kind, dict(data)) for kind, data in expected]
        ok = isinstance(self.result, CommandResult) and self.result.outcome == "ok"
        if not ok or actual != wanted:
            raise AssertionError(
                f"expected {self.command} to append:\n{_show(wanted)}\nbut {self._describe()}"
            )
        return self

    def then_rejected(self, code: str, message: str | None = None) -> Outcome:
        """The command was rejected with ``code`` (and ``message``, when given); nothing was
        appended."""
        result = self.result
        matches = (
            isinstance(result, CommandResult)
            and result.outcome == "rejected"
            and result.code == code
            and (message is None or result.message == message)
        )
        if not matches or self.events:
            wanted = code if message is None else f"{code}: {message}"
            raise AssertionError(
                f"expected {self.command} to be rejected [{wanted}]\nbut {self._describe()}"
            )
        return self

    def then_fault(self, code: str) -> Outcome:
        """The handler faulted with fault ``code`` (see :mod:`esruntime.handlers.abi`)."""
        if not isinstance(self.result, HandlerFault) or self.result.code != code:
            raise AssertionError(
                f"expected {self.command} to fault [{code}]\nbut {self._describe()}"
            )
        return self
