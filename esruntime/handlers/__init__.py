"""Command handlers: their manifest, handlers written in Python, and WebAssembly handlers."""

from esruntime.handlers.abi import WasmLimits
from esruntime.handlers.manifest import EmitSpec, HandlerManifest, ReadSpec, parse_manifest
from esruntime.handlers.python import CommandHandler, Decision, Emit, PythonHandler, Rejection
from esruntime.handlers.wasm import WasmHandler, WasmModule, load_wasm_handler, wasm_engine

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
