"""The two guest call paths: wasmtime's C API (the default) and its public Python API."""

from __future__ import annotations

import os
import subprocess
import sys

from esruntime.handlers import WasmModule, rawcall
from tests.wasm.modules import counter_wasm


def test_a_module_follows_the_call_path_in_force_when_it_was_loaded(call_path: str) -> None:
    module = WasmModule.load(counter_wasm())
    assert module.raw_calls is (call_path == "raw calls")


def test_the_call_path_can_be_chosen_per_module(call_path: str) -> None:
    assert WasmModule.load(counter_wasm(), raw_calls=False).raw_calls is False
    assert WasmModule.load(counter_wasm(), raw_calls=True).raw_calls is rawcall.AVAILABLE


def test_the_environment_can_force_the_public_api() -> None:
    check = "from esruntime.handlers import wasm; print(wasm.RAW_CALLS)"
    env = {**os.environ, "ESRUNTIME_WASM_CALLS": "public"}
    forced = subprocess.run(
        [sys.executable, "-c", check], env=env, capture_output=True, text=True, check=True
    )
    assert forced.stdout.strip() == "False"
    env["ESRUNTIME_WASM_CALLS"] = "raw"
    default = subprocess.run(
        [sys.executable, "-c", check], env=env, capture_output=True, text=True, check=True
    )
    assert default.stdout.strip() == str(rawcall.AVAILABLE)
