"""Command handlers: their manifest, handlers written in Python, and WebAssembly handlers."""

from typing import TYPE_CHECKING

from esruntime.handlers.abi import WasmLimits
from esruntime.handlers.manifest import EmitSpec, HandlerManifest, ReadSpec, parse_manifest
from esruntime.handlers.python import CommandHandler, Decision, Emit, PythonHandler, Rejection
from esruntime.lazy import lazy_exports

if TYPE_CHECKING:
    from esruntime.handlers.wasm import WasmHandler, WasmModule, load_wasm_handler, wasm_engine
else:
    # The WebAssembly host imports wasmtime (~60 ms): only when one of its names is used.
    __getattr__, __dir__ = lazy_exports(
        __name__,
        dict.fromkeys(
            ["WasmHandler", "WasmModule", "load_wasm_handler", "wasm_engine"],
            "esruntime.handlers.wasm",
        ),
    )

__all__ = [
    "CommandHandler",
    "Decision",
    "Emit",
    "EmitSpec",
    "HandlerManifest",
    "PythonHandler",
    "ReadSpec",
    "Rejection",
    "WasmHandler",
    "WasmLimits",
    "WasmModule",
    "load_wasm_handler",
    "parse_manifest",
    "wasm_engine",
]
