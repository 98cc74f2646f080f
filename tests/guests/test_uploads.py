"""Every committed example module uploads against its application's schema without a warning,
and so do the Python handlers: what they read by is exactly what their input binds, and their
input schemas have the fields they bind."""

from __future__ import annotations

import importlib

import pytest

from esruntime.backends.memory import InMemoryHandlerRegistry
from esruntime.handlers import load_wasm_handler
from esruntime.handlers.checks import check_manifest
from esruntime.handlers.manifest import HandlerManifest
from esruntime.handlers.registry import UploadAccepted
from tests.guests.apps import COMMANDS, module_path, schema

MODULES = [
    (app, language, command)
    for app, commands in COMMANDS.items()
    for language in ("c", "assemblyscript")
    for command in commands
]


def describe(wasm: bytes) -> HandlerManifest:
    return load_wasm_handler(wasm)[0]


@pytest.mark.parametrize(("app", "language", "command"), MODULES)
def test_an_example_module_uploads_without_warnings(app: str, language: str, command: str) -> None:
    module = module_path(app, language, command).read_bytes()
    registry = InMemoryHandlerRegistry(describe, lambda: schema(app))
    result = registry.upload(command, module, describe(module).version)
    assert isinstance(result, UploadAccepted), result
    assert result.warnings == ()


@pytest.mark.parametrize("app", sorted(COMMANDS))
def test_the_python_handlers_pass_the_same_checks_without_warnings(app: str) -> None:
    handlers = importlib.import_module(f"examples.{app}.python_handlers").HANDLERS
    assert [h.name for h in handlers] == list(COMMANDS[app])
    for handler in handlers:
        assert check_manifest(handler.manifest(), schema(app)) == ([], []), handler.name
