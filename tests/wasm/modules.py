"""Hand-written WAT handler modules: a well-behaved counter, and parts to make it misbehave.

The counter reads ``Counted`` events tagged ``counter_id``; ``esr_apply`` counts the frames it
is sent, and ``esr_handle`` emits ``Counted`` with the command input as its data when it saw no
frame, and rejects with ``already_counted`` otherwise. ``esr_validate`` rejects ``{}``.

``counter_wat(name, **functions)`` replaces (or, with None, drops) one function by its export
name, so every hostile guest below differs from the counter in exactly one place.
"""

from __future__ import annotations

import json
from typing import Any

import wasmtime

HEAP = 65536  # the bump allocator starts at page 1; page 0 holds the static strings


def wat_string(text: str | bytes) -> str:
    """A WAT string literal with every byte escaped."""
    data = text.encode() if isinstance(text, str) else text
    return '"' + "".join(f"\\{byte:02x}" for byte in data) + '"'


def manifest(name: str = "count", abi: int = 1) -> str:
    return json.dumps(
        {
            "abi": abi,
            "name": name,
            "version": "1.0.0",
            "reads": [{"type": "Counted", "domain_ids": ["counter_id"]}],
            "input_domain_ids": {"counter_id": "counter_id"},
            "emits": [{"type": "Counted"}],
        }
    )


# Static strings in page 0: (name, offset, text)
OK_PREFIX = '{"ok":[{"type":"Counted","data":'
OK_SUFFIX = "}]}"
REJECTED = '{"rejected":{"code":"already_counted","message":"this counter was counted"}}'
NO_COUNTER = '{"rejected":{"code":"invalid_input","message":"counter_id is required"}}'
BAD_FRAME = '{"error":{"code":"bad_frame","message":"a frame overruns its batch"}}'
STRINGS = {"prefix": 2048, "suffix": 2112, "rejected": 2176, "no_counter": 2304, "bad": 2432}


def _functions() -> dict[str, str]:
    return {
        "esr_abi_version": '(func (export "esr_abi_version") (result i32) (i32.const 1))',
        "esr_alloc": """
  (func $alloc (export "esr_alloc") (param $size i32) (result i32)
    (local $ptr i32) (local $end i32) (local $missing i32)
    (local.set $ptr (global.get $heap))
    (local.set $end (i32.and (i32.add (i32.add (local.get $ptr) (local.get $size)) (i32.const 7))
                             (i32.const -8)))
    (local.set $missing (i32.sub (local.get $end) (i32.mul (memory.size) (i32.const 65536))))
    (if (i32.gt_s (local.get $missing) (i32.const 0))
      (then
        (if (i32.eq (memory.grow (i32.shr_u (i32.add (local.get $missing) (i32.const 65535))
                                            (i32.const 16)))
                    (i32.const -1))
          (then (return (i32.const 0))))))
    (global.set $heap (local.get $end))
    (local.get $ptr))""",
        "esr_describe": """
  (func (export "esr_describe") (result i64)
    (call $buffer (i32.const 1024) (global.get $manifest_len)))""",
        "esr_init": f"""
  (func (export "esr_init") (result i64)
    (global.set $heap (i32.const {HEAP}))
    (global.set $frames (i32.const 0))
    (i64.const 0))""",
        "esr_apply": f"""
  (func (export "esr_apply") (param $ptr i32) (param $len i32) (result i64)
    (local $end i32)
    (local.set $end (i32.add (local.get $ptr) (local.get $len)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $ptr) (local.get $end)))
        (local.set $ptr (i32.add (i32.add (local.get $ptr) (i32.const 4))
                                 (i32.load (local.get $ptr))))
        (global.set $frames (i32.add (global.get $frames) (i32.const 1)))
        (br $next)))
    (if (result i64) (i32.eq (local.get $ptr) (local.get $end))
      (then (i64.const 0))
      (else (call $buffer (i32.const {STRINGS["bad"]}) (i32.const {len(BAD_FRAME)})))))""",
        "esr_validate": f"""
  (func (export "esr_validate") (param $ptr i32) (param $len i32) (result i64)
    (if (result i64) (i32.le_u (local.get $len) (i32.const 2))
      (then (call $buffer (i32.const {STRINGS["no_counter"]}) (i32.const {len(NO_COUNTER)})))
      (else (i64.const 0))))""",
        "esr_handle": f"""
  (func (export "esr_handle") (param $ptr i32) (param $len i32) (result i64)
    (local $out i32) (local $size i32)
    (if (global.get $frames)
      (then (return (call $buffer (i32.const {STRINGS["rejected"]}) (i32.const {len(REJECTED)})))))
    ;; {{"ok":[{{"type":"Counted","data":<the input>}}]}}
    (local.set $size (i32.add (local.get $len) (i32.const {len(OK_PREFIX) + len(OK_SUFFIX)})))
    (local.set $out (call $alloc (local.get $size)))
    (memory.copy (local.get $out) (i32.const {STRINGS["prefix"]}) (i32.const {len(OK_PREFIX)}))
    (memory.copy (i32.add (local.get $out) (i32.const {len(OK_PREFIX)}))
                 (local.get $ptr) (local.get $len))
    (memory.copy (i32.add (local.get $out) (i32.add (local.get $len) (i32.const {len(OK_PREFIX)})))
                 (i32.const {STRINGS["suffix"]}) (i32.const {len(OK_SUFFIX)}))
    (call $buffer (local.get $out) (local.get $size)))""",
    }


def counter_wat(
    name: str = "count",
    *,
    describe: str | None = None,
    memory_pages: int = 2,
    imports: str = "",
    extra: str = "",
    **functions: str | None,
) -> str:
    """The counter module's text, with ``functions`` replaced or dropped by export name."""
    described = describe if describe is not None else manifest(name)
    chosen = _functions()
    for export, text in functions.items():
        if text is None:
            del chosen[export]
        else:
            chosen[export] = text
    strings = {
        "prefix": OK_PREFIX,
        "suffix": OK_SUFFIX,
        "rejected": REJECTED,
        "no_counter": NO_COUNTER,
        "bad": BAD_FRAME,
    }
    data = "\n".join(
        f"  (data (i32.const {STRINGS[key]}) {wat_string(text)})" for key, text in strings.items()
    )
    return f"""
(module
  {imports}
  (memory (export "memory") {memory_pages})
  (global $heap (mut i32) (i32.const {HEAP}))
  (global $frames (mut i32) (i32.const 0))
  (global $manifest_len i32 (i32.const {len(described.encode())}))
  (data (i32.const 1024) {wat_string(described)})
{data}
  (func $buffer (param $ptr i32) (param $len i32) (result i64)
    (i64.or (i64.shl (i64.extend_i32_u (local.get $ptr)) (i64.const 32))
            (i64.extend_i32_u (local.get $len))))
  {extra}
  {"".join(chosen.values())}
)
"""


def counter_wasm(name: str = "count", **options: Any) -> bytes:
    return bytes(wasmtime.wat2wasm(counter_wat(name, **options)))


def returning(text: str | bytes, offset: int = 3072) -> dict[str, Any]:
    """Options making ``esr_handle`` return ``text`` as it is (a static buffer)."""
    data = text.encode() if isinstance(text, str) else text
    return {
        "extra": f"(data (i32.const {offset}) {wat_string(data)})",
        "esr_handle": f"""
  (func (export "esr_handle") (param i32 i32) (result i64)
    (call $buffer (i32.const {offset}) (i32.const {len(data)})))""",
    }


def handle_body(body: str, extra: str = "") -> dict[str, Any]:
    """Options giving ``esr_handle`` this body (its params are $ptr and $len)."""
    return {
        "extra": extra,
        "esr_handle": f"""
  (func (export "esr_handle") (param $ptr i32) (param $len i32) (result i64)
    {body})""",
    }


def without_names(wasm: bytes) -> bytes:
    """The module with its ``name`` custom section removed (as a stripping linker leaves it)."""
    out, at = bytearray(wasm[:8]), 8
    while at < len(wasm):
        start = at
        at += 1
        size = shift = 0
        while True:  # the section's size, unsigned LEB128
            byte = wasm[at]
            at += 1
            size |= (byte & 0x7F) << shift
            shift += 7
            if byte < 0x80:
                break
        end = at + size
        if wasm[start] == 0 and wasm[at + 1 : at + 1 + wasm[at]] == b"name":
            at = end
            continue
        out += wasm[start:end]
        at = end
    return bytes(out)


FAR = 4 * HEAP  # past the bump allocator's first pages, so a long static result overlaps nothing


def _far(text: str | bytes) -> tuple[bytes, dict[str, Any]]:
    data = text.encode() if isinstance(text, str) else text
    pages = (FAR + len(data)) // HEAP + 2
    return data, {"memory_pages": pages, "extra": f"(data (i32.const {FAR}) {wat_string(data)})"}


def returning_long(text: str | bytes) -> dict[str, Any]:
    """Like :func:`returning`, for a result of any length (the memory grows to hold it)."""
    data, options = _far(text)
    options["esr_handle"] = f"""
  (func (export "esr_handle") (param i32 i32) (result i64)
    (call $buffer (i32.const {FAR}) (i32.const {len(data)})))"""
    return options


def describing_long(text: str | bytes) -> dict[str, Any]:
    """Options making ``esr_describe`` return ``text``, of any length, as its manifest."""
    data, options = _far(text)
    options["esr_describe"] = f"""
  (func (export "esr_describe") (result i64)
    (call $buffer (i32.const {FAR}) (i32.const {len(data)})))"""
    return options


def nested(depth: int) -> str:
    """A JSON array nested ``depth`` levels deep."""
    return "[" * depth + "]" * depth


def with_functions(count: int, name: str = "count") -> bytes:
    """The counter with ``count`` more (tiny, unexported) functions: costly to compile in bulk."""
    extra = "\n".join(f"  (func $f{i} (result i32) (i32.const {i}))" for i in range(count))
    return counter_wasm(name, extra=extra)
