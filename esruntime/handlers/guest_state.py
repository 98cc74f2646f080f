"""A WebAssembly guest's state between commands: its linear memory and mutable globals.

A guest's whole mutable state after ``esr_apply`` is its memory and its mutable globals
(handler modules import nothing, and ABI 1 guests do not change their tables). wasmtime reads
and writes only *exported* globals, and compilers keep theirs private: clang's
``__stack_pointer``, AssemblyScript's heap and runtime pointers. :func:`export_globals`
therefore adds an export for each mutable global that is not exported yet, under a name of
:data:`GLOBAL_PREFIX`, before the module is compiled; nothing else changes (exports have no
effect on code generation). The binary format it edits is small and fixed (the WebAssembly
core spec, §5.5 "Modules": the global and export sections); a module it cannot read, or
whose mutable globals are not numbers, gets no snapshots and replays every command in full.

A :class:`GuestState` keeps the memory up to its last non-zero byte (the rest of it is zero)
and its size, so that restoring into a fresh instance reproduces it exactly.
"""

from __future__ import annotations

from attrs import frozen

from esruntime.handlers.costs import _leb128

__all__ = ["GLOBAL_PREFIX", "MAX_GLOBALS", "GuestState", "export_globals", "used_length"]

GLOBAL_PREFIX = "esr:global:"
"""The export names added for a module's private mutable globals (with their index)."""

MAX_GLOBALS = 1024
"""Modules with more mutable globals get no snapshots (each is read and written per command)."""

_HEADER = 8
_IMPORT, _GLOBAL, _EXPORT = 2, 6, 7
_NUMBERS = {0x7F: "i32", 0x7E: "i64", 0x7D: "f32", 0x7C: "f64"}
_GLOBAL_KIND = 0x03
_END = 0x0B
_FIXED = {0x43: 4, 0x44: 8}  # f32.const, f64.const
_LEB = {0x41, 0x42, 0x23, 0xD2}  # i32.const, i64.const, global.get, ref.func
_EXTENDED = {0x6A, 0x6B, 0x6C, 0x7C, 0x7D, 0x7E}  # i32/i64 add, sub, mul


@frozen
class GuestState:
    """A guest's memory (``memory`` up to its last non-zero byte, of ``size`` bytes in all)
    and the values of its mutable globals, in the order of their export names."""

    size: int
    memory: bytes
    globals: tuple[object, ...]


_PAGE = 65536
_CHUNK = 1024
_ZERO_PAGE = bytes(_PAGE)
_ZERO_CHUNK = bytes(_CHUNK)


def used_length(memory: bytes) -> int:
    """The length of ``memory`` without its trailing zeros, to the KiB (``bytes.rstrip``
    examines one byte at a time: 15 ns a byte measured, against well under 1 ns for these
    ``endswith`` comparisons, which are ``memcmp``)."""
    end = len(memory)
    while end >= _PAGE and memory.endswith(_ZERO_PAGE, 0, end):
        end -= _PAGE
    while end >= _CHUNK and memory.endswith(_ZERO_CHUNK, 0, end):
        end -= _CHUNK
    return end


def export_globals(wasm: bytes) -> tuple[bytes, tuple[str, ...]] | None:
    """``wasm`` with every mutable global exported, and the export names of all of them (in
    index order); None when the module cannot be read so, imports anything, or has a mutable
    global that is not a number, or more than :data:`MAX_GLOBALS` of them."""
    try:
        return _export_globals(wasm)
    except (ValueError, IndexError):
        return None


def _sections(wasm: bytes) -> list[tuple[int, int, int, int]]:
    """``(id, header start, content start, end)`` of each section."""
    found = []
    at = _HEADER
    while at < len(wasm):
        size, start = _leb128(wasm, at + 1)
        end = start + size
        if end > len(wasm):
            raise ValueError("a section runs past the end")
        found.append((wasm[at], at, start, end))
        at = end
    return found


def _skip_expression(wasm: bytes, at: int) -> int:
    """The offset after a constant expression's ``end``."""
    while True:
        opcode = wasm[at]
        at += 1
        if opcode == _END:
            return at
        if opcode in _LEB:
            while wasm[at] & 0x80:
                at += 1
            at += 1
        elif opcode in _FIXED:
            at += _FIXED[opcode]
        elif opcode == 0xD0:  # ref.null: a heap type
            at += 1
        elif opcode == 0xFD and wasm[at] == 0x0C:  # v128.const
            at += 17
        elif opcode not in _EXTENDED:
            raise ValueError(f"opcode {opcode:#x} in a constant expression")


def _string(wasm: bytes, at: int) -> tuple[bytes, int]:
    length, start = _leb128(wasm, at)
    return wasm[start : start + length], start + length


def _export_globals(wasm: bytes) -> tuple[bytes, tuple[str, ...]] | None:
    sections = _sections(wasm)
    if any(section == _IMPORT for section, *_ in sections):
        return None
    mutable: list[int] = []
    for section, _, start, _end in sections:
        if section == _GLOBAL:
            count, at = _leb128(wasm, start)
            for index in range(count):
                kind, is_mutable = wasm[at], wasm[at + 1]
                if is_mutable and kind not in _NUMBERS:
                    return None
                if is_mutable:
                    mutable.append(index)
                at = _skip_expression(wasm, at + 2)
    export = next((s for s in sections if s[0] == _EXPORT), None)
    if export is None or len(mutable) > MAX_GLOBALS:
        return None
    _, header, start, end = export
    count, entries = _leb128(wasm, start)
    at = entries
    names: dict[int, str] = {}
    taken: set[bytes] = set()
    for _ in range(count):
        exported, at = _string(wasm, at)
        kind = wasm[at]
        index, at = _leb128(wasm, at + 1)
        taken.add(exported)
        if kind == _GLOBAL_KIND and index in mutable and index not in names:
            names[index] = exported.decode()
    added = b""
    for index in mutable:
        if index in names:
            continue
        name = f"{GLOBAL_PREFIX}{index}"
        encoded = name.encode()
        if encoded in taken:
            return None
        names[index] = name
        added += _uleb(len(encoded)) + encoded + bytes([_GLOBAL_KIND]) + _uleb(index)
        count += 1
    if not added:
        return wasm, tuple(names[i] for i in mutable)
    body = _uleb(count) + wasm[entries:end] + added
    replaced = bytes([_EXPORT]) + _uleb(len(body)) + body
    return wasm[:header] + replaced + wasm[end:], tuple(names[i] for i in mutable)


def _uleb(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)
