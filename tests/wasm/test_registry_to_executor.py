"""A WebAssembly handler from upload to command: the registry stores it, the executor runs it."""

from __future__ import annotations

from pathlib import Path

from esruntime import SqlEventStore
from esruntime.backends.sql.handlers import SqlHandlerRegistry
from esruntime.commands import CommandExecutor
from esruntime.handlers import HandlerManifest, WasmModule, load_wasm_handler
from esruntime.handlers import wasm as host
from esruntime.handlers.registry import UploadAccepted, UploadRejected
from esruntime.schema import parse_schema
from tests.wasm.modules import counter_wasm, describing_long, manifest, nested, with_functions

SCHEMA = parse_schema("event Counted { @counter_id: String }")
CLOCK = '(import "wasi_snapshot_preview1" "clock_time_get" (func (param i32 i64 i32) (result i32)))'


def describe(wasm: bytes) -> HandlerManifest:
    return WasmModule.load(wasm).manifest


def test_an_uploaded_module_runs_commands_after_a_restart(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/runtime.db"
    registry = SqlHandlerRegistry(url, describe, lambda: SCHEMA)
    result = registry.upload("count", counter_wasm(), "1.0.0")
    assert isinstance(result, UploadAccepted)
    assert result.handler.event_types == ("Counted",)

    # Another process: everything comes back from the database.
    store = SqlEventStore(url)
    stored = SqlHandlerRegistry(url, describe, lambda: SCHEMA).module("count")
    assert stored is not None
    executor = CommandExecutor(store, schema=lambda: SCHEMA)
    executor.register_factory(*load_wasm_handler(stored))
    first = executor.execute("count", {"counter_id": "c1"})
    assert first.outcome == "ok"
    assert store.read().events[0].tags == ("counter_id:c1",)
    again = executor.execute("count", {"counter_id": "c1"})
    assert (again.outcome, again.code) == ("rejected", "already_counted")
    store.close()


def test_the_registry_refuses_a_module_with_an_import(tmp_path: Path) -> None:
    registry = SqlHandlerRegistry(f"sqlite:///{tmp_path}/runtime.db", describe, lambda: SCHEMA)
    result = registry.upload("count", counter_wasm(imports=CLOCK), "1.0.0")
    assert isinstance(result, UploadRejected)
    [error] = result.errors
    assert error.code == "invalid_module"
    assert "imports wasi_snapshot_preview1.clock_time_get" in error.message
    assert registry.handlers() == []


def test_the_registry_refuses_a_module_describing_itself_too_deeply(tmp_path: Path) -> None:
    registry = SqlHandlerRegistry(f"sqlite:///{tmp_path}/runtime.db", describe, lambda: SCHEMA)
    deep = manifest()[:-1] + ', "deep": ' + nested(100_000) + "}"
    result = registry.upload("count", counter_wasm(**describing_long(deep)), "1.0.0")
    assert isinstance(result, UploadRejected)
    [error] = result.errors
    assert error.code == "invalid_module"
    assert "esr_describe returned JSON nested deeper than 128 levels" in error.message
    assert registry.handlers() == []


def test_the_registry_refuses_a_module_too_costly_to_compile(tmp_path: Path) -> None:
    registry = SqlHandlerRegistry(f"sqlite:///{tmp_path}/runtime.db", describe, lambda: SCHEMA)
    compiled = host.compiled_cache.compiled
    result = registry.upload("count", with_functions(20_000), "1.0.0")
    assert isinstance(result, UploadRejected)
    [error] = result.errors
    assert error.code == "invalid_module"
    assert "functions; the limit is 10,000" in error.message
    assert host.compiled_cache.compiled == compiled  # refused before compiling
    assert registry.handlers() == []


def test_the_registry_refuses_a_module_whose_events_are_not_in_the_schema(tmp_path: Path) -> None:
    other = parse_schema("event Other { @x: String }")
    registry = SqlHandlerRegistry(f"sqlite:///{tmp_path}/runtime.db", describe, lambda: other)
    result = registry.upload("count", counter_wasm(), "1.0.0")
    assert isinstance(result, UploadRejected)
    assert [e.code for e in result.errors] == ["unknown_event_type", "unknown_event_type"]
