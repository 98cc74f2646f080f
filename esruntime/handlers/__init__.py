"""Command handlers: their manifest, handlers written in Python, and WebAssembly handlers."""

from typing import TYPE_CHECKING, Any

from esruntime.handlers.abi import WasmLimits
from esruntime.handlers.manifest import EmitSpec, HandlerManifest, ReadSpec, parse_manifest
from esruntime.handlers.python import CommandHandler, Decision, Emit, PythonHandler, Rejection

if TYPE_CHECKING:
    from esruntime.handlers.wasm import WasmHandler, WasmModule, load_wasm_handler, wasm_engine

_WASM_NAMES = frozenset(["WasmHandler", "WasmModule", "load_wasm_handler", "wasm_engine"])


def __getattr__(name: str) -> Any:
    # The WebAssembly host imports wasmtime (~60 ms): only when one of its names is used.
    if name in _WASM_NAMES:
        from esruntime.handlers import wasm

        return getattr(wasm, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
