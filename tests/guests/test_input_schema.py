"""The guest SDKs declare an input schema (esr_input_schema, Manifest.inputSchema): the
manifest carries it, generated inputs follow it, and text that is not JSON fails the module.
Every example handler declares the same schema in every language, one its checks accept."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings

from esruntime import InMemoryEventStore
from esruntime.commands import CommandExecutor
from esruntime.errors import InvalidWasmModuleError
from esruntime.handlers import HandlerManifest, PythonHandler, WasmModule, load_wasm_handler
from esruntime.runtime import Runtime
from esruntime.testing import command_inputs
from tests.guests.apps import COMMANDS, LANGUAGES, executor, module_path
from tests.guests.toolchains import build_c

NUMBERS = {
    "type": "object",
    "properties": {"numbers": {"type": "array", "items": {"type": "number"}}},
    "required": ["numbers"],
}


@pytest.mark.parametrize("language", ["c", "assemblyscript"])
def test_the_manifest_carries_the_input_schema_and_inputs_follow_it(
    language: str, probe_wasm: Callable[[str], bytes]
) -> None:
    wasm = probe_wasm(language)
    assert WasmModule.load(wasm).manifest.input_schema == NUMBERS
    executor = CommandExecutor(InMemoryEventStore())
    executor.register_factory(*load_wasm_handler(wasm))

    @settings(max_examples=15, database=None)
    @given(command_inputs(wasm))
    def run(command: dict[str, Any]) -> None:
        assert isinstance(command["numbers"], list)
        assert executor.execute("numbers", command).outcome == "ok"

    run()


HANDLER = """#include "esruntime.h"
static struct { int unused; } state;
static void describe(esr_manifest *m) {
    esr_command(m, "seats", "1.0.0");
    esr_input_schema(m, SCHEMA);
}
static void apply(const esr_event *e) { (void)e; }
static void handle(esr_val input, esr_result *r) { (void)input; (void)r; }
ESR_HANDLER(state, describe, apply, handle)
"""


def build_with_schema(tmp_path: Path, schema: str) -> bytes:
    source = tmp_path / "seats.c"
    literal = schema.replace("\\", "\\\\").replace('"', '\\"')
    source.write_text(f'#define SCHEMA "{literal}"\n' + HANDLER)
    [wasm] = build_c([source], tmp_path)
    return wasm.read_bytes()


def test_an_input_schema_that_is_not_json_fails_describe_with_the_place(tmp_path: Path) -> None:
    wasm = build_with_schema(tmp_path, '{"type": "object", "properties": {')
    with pytest.raises(InvalidWasmModuleError) as raised:
        WasmModule.load(wasm)
    assert list(raised.value.problems) == [
        "esr_describe failed: esr_input_schema: expected a string key at byte 34 "
        "[invalid_input_schema]"
    ]


def test_an_upload_refuses_an_input_schema_outside_the_subset(tmp_path: Path) -> None:
    wasm = build_with_schema(tmp_path, '{"type": "object", "patternProperties": {}}')
    with Runtime.from_url("memory://") as runtime:
        result = runtime.tenant().upload("seats", wasm, "1.0.0")
    assert result.status == "rejected"
    [error] = result.errors
    assert error.code == "invalid_input_schema"
    assert error.message.startswith(
        "input_schema $: unsupported keyword(s) patternProperties (supported: "
    )


EXAMPLE_HANDLERS = [(app, command) for app, commands in COMMANDS.items() for command in commands]
MALFORMED = {
    "invalid_input",
    "invalid_amount",
}  # what the examples answer input their schema refuses


def python_manifest(app: str, command: str) -> HandlerManifest:
    handlers: tuple[type[PythonHandler], ...]
    handlers = importlib.import_module(f"examples.{app}.python_handlers").HANDLERS
    [handler] = [h for h in handlers if h.name == command]
    return handler.manifest()


@pytest.mark.parametrize(("app", "command"), EXAMPLE_HANDLERS)
def test_every_example_declares_one_input_schema_in_every_language(app: str, command: str) -> None:
    reference = python_manifest(app, command).input_schema
    assert reference is not None
    assert set(reference["required"]) == set(reference["properties"])
    for language in ("c", "assemblyscript"):
        manifest = WasmModule.load(module_path(app, language, command).read_bytes()).manifest
        assert manifest.input_schema == reference, language


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(("app", "command"), EXAMPLE_HANDLERS)
def test_inputs_generated_from_an_examples_schema_pass_its_input_checks(
    app: str, command: str, language: str
) -> None:
    """An example's schema describes the input its handler accepts: a generated input reaches
    the handler's decision (an unknown account or task is refused then), never `invalid_input`."""
    examples_executor = executor(app, language, InMemoryEventStore())

    @settings(max_examples=20, database=None)
    @given(command_inputs(python_manifest(app, command)))
    def run(command_input: dict[str, Any]) -> None:
        result = examples_executor.execute(command, command_input)
        assert result.code not in MALFORMED, (command_input, result.message)

    run()
