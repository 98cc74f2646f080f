"""The example applications as the guest tests drive them: schema, modules, executors."""

from __future__ import annotations

import importlib
from functools import cache
from pathlib import Path
from typing import Any

from esruntime.commands import CommandExecutor, CommandResult
from esruntime.handlers import load_wasm_handler
from esruntime.protocols import EventStore
from esruntime.schema import parse_schema
from esruntime.schema.model import Schema

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
LANGUAGES = ("python", "c", "assemblyscript")
COMMANDS = {
    "bank": ("open_account", "deposit", "withdraw", "transfer_funds"),
    "kanban": ("create_task", "rename_task", "change_task_status", "delete_task"),
}


@cache
def schema(app: str) -> Schema:
    return parse_schema((EXAMPLES / app / "schema.esdl").read_text())


def module_path(app: str, language: str, command: str) -> Path:
    """The committed module of one handler (``language`` is ``c`` or ``assemblyscript``)."""
    return EXAMPLES / app / "wasm" / language / f"{command}.wasm"


def executor(app: str, language: str, store: EventStore) -> CommandExecutor:
    """An executor on ``store`` serving every command of ``app`` in ``language``."""
    result = CommandExecutor(store, schema=lambda: schema(app))
    if language == "python":
        for handler in importlib.import_module(f"examples.{app}.python_handlers").HANDLERS:
            result.register(handler)
    else:
        for command in COMMANDS[app]:
            wasm = module_path(app, language, command).read_bytes()
            result.register_factory(*load_wasm_handler(wasm))
    return result


class App:
    """One example application on one store, in one language: commands in, events out."""

    def __init__(self, app: str, language: str, store: EventStore) -> None:
        self.store = store
        self.executor = executor(app, language, store)
        self._seen = 0

    def run(self, command: str, **command_input: Any) -> CommandResult:
        return self.executor.execute(command, command_input)

    def rejection(self, command: str, **command_input: Any) -> tuple[str | None, str | None]:
        """``(code, message)`` of a command expected to be rejected (nothing appended)."""
        result = self.run(command, **command_input)
        assert result.outcome == "rejected", result
        assert self.new_events() == []
        return result.code, result.message

    def new_events(self) -> list[tuple[str, dict[str, Any]]]:
        """``(type, data)`` of the events appended since the last call."""
        events = self.store.read(start=self._seen + 1).events
        if events:
            self._seen = events[-1].position
        return [(event.type, dict(event.data)) for event in events]
