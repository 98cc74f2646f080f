"""The example applications' handlers in each language, as scenarios of esruntime.testing."""

from __future__ import annotations

import importlib
from functools import cache
from pathlib import Path

import pytest

from esruntime.testing import Scenario
from esruntime.testing.scenarios import HandlerSource

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
LANGUAGES = ("python", "c", "assemblyscript")
COMMANDS = {
    "bank": ("open_account", "deposit", "withdraw", "transfer_funds"),
    "kanban": ("create_task", "rename_task", "change_task_status", "delete_task"),
}


@cache
def scenario(app: str, language: str) -> Scenario:
    """Every handler of ``app`` written in ``language``, with the app's schema."""
    handlers: list[HandlerSource]
    if language == "python":
        handlers = list(importlib.import_module(f"examples.{app}.python_handlers").HANDLERS)
    else:
        paths = [EXAMPLES / app / "wasm" / language / f"{name}.wasm" for name in COMMANDS[app]]
        missing = [str(path.relative_to(EXAMPLES)) for path in paths if not path.exists()]
        if missing:
            pytest.fail(f"built modules missing: {', '.join(missing)} (see examples/README.md)")
        handlers = [path.read_bytes() for path in paths]
    return Scenario((EXAMPLES / app / "schema.esdl").read_text(), handlers)
