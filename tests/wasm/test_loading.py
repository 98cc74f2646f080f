"""Modules refused at load: every problem is named before anything runs a command."""

from __future__ import annotations

import json

import pytest
import wasmtime

from esruntime.errors import InvalidWasmModuleError
from esruntime.handlers import WasmLimits, WasmModule
from esruntime.handlers import wasm as host
from esruntime.handlers.costs import ModuleShape, module_shape
from tests.wasm.modules import (
    counter_wasm,
    counter_wat,
    describing_long,
    manifest,
    nested,
    returning,
    with_functions,
)


def refusal(wasm: bytes, limits: WasmLimits | None = None) -> str:
    with pytest.raises(InvalidWasmModuleError) as error:
        WasmModule.load(wasm, limits=limits)
    return str(error.value)


def test_a_module_with_an_import_is_refused_naming_it() -> None:
    clock = (
        '(import "wasi_snapshot_preview1" "clock_time_get" (func (param i32 i64 i32) (result i32)))'
    )
    message = refusal(counter_wasm(imports=clock))
    assert "imports wasi_snapshot_preview1.clock_time_get (func)" in message


def test_a_missing_export_is_refused() -> None:
    message = refusal(counter_wasm(esr_handle=None))
    assert "does not export esr_handle (i32, i32) -> (i64)" in message


def test_a_mistyped_export_is_refused() -> None:
    alloc = '(func (export "esr_alloc") (param i64) (result i32) (i32.const 0))'
    message = refusal(counter_wasm(esr_alloc=alloc, **returning('{"ok":[]}')))
    assert "exports esr_alloc as (i64) -> (i32); abi 1 needs (i32) -> (i32)" in message


def test_every_signature_problem_is_reported_at_once() -> None:
    wasm = bytes(
        wasmtime.wat2wasm('(module (func (export "esr_init") (result i32) (i32.const 0)))')
    )
    problems = refusal(wasm)
    assert "does not export a memory named 'memory'" in problems
    assert "exports esr_init as () -> (i32)" in problems
    assert "does not export esr_describe" in problems


def test_a_wrong_abi_version_is_refused() -> None:
    version = '(func (export "esr_abi_version") (result i32) (i32.const 2))'
    assert "esr_abi_version() returned 2" in refusal(counter_wasm(esr_abi_version=version))


@pytest.mark.parametrize(
    ("key", "value", "problem"),
    [
        ("name", "Not A Name", "manifest: name 'Not A Name' is not a command name"),
        ("colour", "blue", "manifest: extra fields found (colour)"),
        ("abi", 2, "abi 2 is not supported"),
    ],
)
def test_an_invalid_manifest_is_refused_with_its_problems(
    key: str, value: object, problem: str
) -> None:
    broken = json.loads(manifest())
    broken[key] = value
    assert problem in refusal(counter_wasm(describe=json.dumps(broken)))


def test_a_manifest_that_is_not_json_is_refused() -> None:
    assert "esr_describe returned invalid JSON" in refusal(counter_wasm(describe="{abi: 1"))


@pytest.mark.parametrize("depth", [129, 100_000])
def test_a_manifest_nested_beyond_the_depth_limit_is_refused(depth: int) -> None:
    deep = manifest()[:-1] + ', "deep": ' + nested(depth - 1) + "}"
    message = refusal(counter_wasm(**describing_long(deep)))
    assert "esr_describe returned JSON nested deeper than 128 levels" in message


def test_a_module_needing_more_memory_than_the_limit_is_refused() -> None:
    message = refusal(counter_wasm(memory_pages=20), WasmLimits(memory=1024 * 1024))
    assert "instantiate failed" in message


def test_a_trap_while_describing_is_refused() -> None:
    describe = '(func (export "esr_describe") (result i64) (unreachable))'
    assert "esr_describe trapped (unreachable)" in refusal(counter_wasm(esr_describe=describe))


def test_text_and_garbage_are_not_compiled() -> None:
    text = counter_wat().encode()  # wasmtime would compile WAT text: the runtime takes binaries
    assert "no \\0asm header" in refusal(text)
    assert "not a valid WebAssembly module" in refusal(b"\0asm\x01\0\0\0garbage")


def test_a_module_defining_too_many_functions_is_refused_before_compiling() -> None:
    wasm = with_functions(10_001)
    shape = module_shape(wasm)
    assert shape is not None
    assert shape.functions > 10_000
    compiled = host.compiled_cache.compiled

    message = refusal(wasm)

    assert f"the module defines {shape.functions:,} functions; the limit is 10,000" in message
    assert host.compiled_cache.compiled == compiled


def test_the_load_limits_can_be_changed() -> None:
    wasm = with_functions(100)
    shape = module_shape(wasm)
    assert shape is not None
    assert WasmModule.load(wasm).manifest.name == "count"

    message = refusal(wasm, WasmLimits(functions=50, code=500, module=len(wasm) - 1))

    assert f"the module is {len(wasm):,} bytes; the limit is {len(wasm) - 1:,}" in message
    message = refusal(wasm, WasmLimits(functions=50, code=500))
    assert f"defines {shape.functions:,} functions; the limit is 50" in message
    assert f"has {shape.code_bytes:,} bytes of code; the limit is 500" in message


def test_the_shape_of_a_module_is_read_from_its_sections() -> None:
    assert module_shape(b"\0asm\x01\0\0\0") == ModuleShape(0, 0, 0)
    assert module_shape(b"\0asm\x01\0\0\0\x0a\x05\x01\x03") is None  # a body past its end
    few, more = module_shape(with_functions(10)), module_shape(with_functions(20))
    assert few is not None
    assert more is not None
    assert more.functions - few.functions == 10
    assert more.code_bytes > few.code_bytes
    assert more.largest_function == few.largest_function
