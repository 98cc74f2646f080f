"""What a WebAssembly module costs: to compile (read from its sections before compiling), and
to keep compiled in memory.

wasmtime compiles every function of a module with no way to stop it part way, and its time and
memory grow with the number of functions and the bytes of their code. This module reads the
section headers of the binary (a few bytes each) and the function counts, so that an upload
over the limits is refused before any compile. It is written here because wasmtime-py offers
no such count short of compiling, and the format it reads is small and fixed (the WebAssembly
core spec, §5.5 "Modules"). Anything malformed is left for wasmtime's own validation to name.
"""

from __future__ import annotations

import os

from attrs import frozen

__all__ = [
    "COMPILED_BYTES_VARIABLE",
    "DEFAULT_COMPILED_BYTES",
    "ModuleShape",
    "compiled_bytes_limit",
    "module_shape",
]

COMPILED_BYTES_VARIABLE = "ESRUNTIME_WASM_COMPILED_BYTES"
DEFAULT_COMPILED_BYTES = 256 * 1024 * 1024

_FUNCTION_SECTION = 3
_CODE_SECTION = 10
_HEADER = 8  # b"\0asm" and the version


@frozen
class ModuleShape:
    """The counts that bound compile cost: defined functions, code bytes, the largest body."""

    functions: int
    code_bytes: int
    largest_function: int


def _leb128(data: bytes, at: int) -> tuple[int, int]:
    """An unsigned LEB128 number at ``at`` and the offset after it (ValueError if truncated)."""
    value = shift = 0
    while True:
        if at >= len(data) or shift > 35:
            raise ValueError("truncated or overlong number")
        byte = data[at]
        at += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, at


def module_shape(wasm: bytes) -> ModuleShape | None:
    """The shape of a module's code, or None when its sections cannot be read (then wasmtime's
    validation, which runs next, names the problem). Reads each code body's size, not its
    instructions: linear in the number of functions."""
    try:
        return _shape(wasm)
    except ValueError:
        return None


def _shape(wasm: bytes) -> ModuleShape:
    at = _HEADER
    functions = code_bytes = largest = 0
    while at < len(wasm):
        section = wasm[at]
        size, start = _leb128(wasm, at + 1)
        end = start + size
        if end > len(wasm):
            raise ValueError("a section runs past the end")
        if section == _FUNCTION_SECTION:
            functions, _ = _leb128(wasm, start)
        elif section == _CODE_SECTION:
            code_bytes = size
            count, body = _leb128(wasm, start)
            for _ in range(count):
                length, body = _leb128(wasm, body)
                largest = max(largest, length)
                body += length
                if body > end:
                    raise ValueError("a function body runs past its section")
        at = end
    return ModuleShape(functions, code_bytes, largest)


def compiled_bytes_limit() -> int:
    """Bytes of compiled modules a cache keeps in memory: ``ESRUNTIME_WASM_COMPILED_BYTES``,
    else :data:`DEFAULT_COMPILED_BYTES`. Each cache drops its least recently used first."""
    setting = os.environ.get(COMPILED_BYTES_VARIABLE, "").strip()
    if not setting:
        return DEFAULT_COMPILED_BYTES
    limit = int(setting) if setting.isdigit() else -1
    if limit < 0:
        raise ValueError(f"{COMPILED_BYTES_VARIABLE} must be a number of bytes, not {setting!r}")
    return limit
