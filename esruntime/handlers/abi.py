"""The byte-level side of the WebAssembly handler ABI v1 (``docs/abi.md``), without wasmtime.

What the host sends (command input JSON, event frames) and how it reads what the guest returns
(packed ``(ptr << 32) | len`` buffers, ``ok`` / ``rejected`` / ``error`` JSON). Kept apart from
the wasmtime host so that the encoding rules can be read, and tested, on their own.
"""

from __future__ import annotations

import functools
import json
import struct
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from json.encoder import c_make_encoder, encode_basestring  # type: ignore[attr-defined]
from typing import Any

import orjson
from attrs import frozen

from esruntime.encoding import json_depth
from esruntime.errors import HandlerFault
from esruntime.events import SequencedEvent
from esruntime.handlers.python import Decision, Emit, Rejection

__all__ = [
    "ABI_VIOLATION",
    "GUEST_ERROR",
    "OUT_OF_FUEL",
    "REQUIRED_FUNCTIONS",
    "TRAP",
    "WasmLimits",
    "decode_decision",
    "decode_result",
    "decode_status",
    "decode_validation",
    "encode_frames",
    "encode_input",
    "unpack_buffer",
]

OUT_OF_FUEL = "out_of_fuel"
"""Fault code: the guest used up its fuel budget (an endless or too costly computation)."""
TRAP = "trap"
"""Fault code: the guest trapped (unreachable, stack overflow, out-of-bounds access, ...)."""
ABI_VIOLATION = "abi_violation"
"""Fault code: the guest broke the ABI (alloc failed, bad pointer, oversize or malformed result)."""
GUEST_ERROR = "guest_error"
"""Fault code: the guest reported ``{"error": ...}`` instead of a result."""

REQUIRED_FUNCTIONS: Mapping[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "esr_abi_version": ((), ("i32",)),
    "esr_alloc": (("i32",), ("i32",)),
    "esr_describe": ((), ("i64",)),
    "esr_init": ((), ("i64",)),
    "esr_apply": (("i32", "i32"), ("i64",)),
    "esr_handle": (("i32", "i32"), ("i64",)),
}
"""Required function exports and their ``(params, results)`` value types."""
OPTIONAL_FUNCTIONS: Mapping[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "esr_validate": (("i32", "i32"), ("i64",)),
    "_initialize": ((), ()),
}

_U64 = (1 << 64) - 1
_U32 = (1 << 32) - 1
_LENGTH = struct.Struct("<I")
_SHOWN = 300  # characters of guest output quoted in a fault message


@frozen
class WasmLimits:
    """What a guest may cost: to load (module, functions, code, checked before compiling),
    and per command (the rest); ``docs/abi.md`` lists the defaults."""

    fuel: int = 1_000_000_000
    """Fuel for one command (init, apply, handle and validate together), refilled per command."""
    memory: int = 64 * 1024 * 1024
    """Bytes of linear memory; ``memory.grow`` past it returns -1."""
    input: int = 256 * 1024
    """Bytes of command input JSON; larger input is rejected as ``invalid_input``."""
    result: int = 1024 * 1024
    """Bytes of one guest result buffer."""
    emits: int = 100
    """Events in one ``ok`` result."""
    batch: int = 1024 * 1024
    """Bytes of event frames per ``esr_apply`` call (a larger single frame goes alone)."""
    depth: int = 128
    """Levels of nesting in one guest result's JSON (the SDKs' ``ESR_MAX_DEPTH`` default)."""
    module: int = 10 * 1024 * 1024
    """Bytes of one module's binary."""
    functions: int = 10_000
    """Functions a module defines; compile time and memory grow with them (the C and
    AssemblyScript handlers of the examples define 26 to 60)."""
    code: int = 4 * 1024 * 1024
    """Bytes of a module's code section (its function bodies)."""


_DEFAULT_LIMITS = WasmLimits()


def _fault(message: str) -> HandlerFault:
    return HandlerFault(ABI_VIOLATION, message)


def unpack_buffer(value: int) -> tuple[int, int]:
    """``(ptr, len)`` of a returned i64 buffer, read unsigned (wasmtime hands back signed)."""
    value &= _U64
    return value >> 32, value & _U32


def encode_input(command: Mapping[str, Any]) -> bytes:
    """Command input as compact UTF-8 JSON (ValueError/TypeError if it is not JSON)."""
    return json.dumps(command, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()


def _unserializable(value: object) -> object:
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


_encode_data: Callable[[Any], str]
if c_make_encoder is not None:
    # The C encoder alone: ``json.dumps`` and ``JSONEncoder.encode`` add ~1 µs a call around
    # it, and an envelope is encoded for every replayed event of every command.
    _c_encoder = c_make_encoder(
        None, _unserializable, encode_basestring, None, ":", ",", False, False, True
    )

    def _encode_data(data: Any) -> str:
        return "".join(_c_encoder(data, 0))

else:  # pragma: no cover - Pythons without the C accelerator
    _encode_data = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


_timestamp = functools.lru_cache(maxsize=8192)(datetime.isoformat)
"""The same events are replayed command after command: their timestamps' text is kept."""


def _envelope(event: SequencedEvent) -> bytes:
    stored = event.event  # its fields directly: SequencedEvent's properties cost a call each
    data = stored.data
    if isinstance(data, bytes | bytearray):  # stored-as-given JSON text
        data = json.loads(data)
    try:
        return orjson.dumps(
            {
                "type": stored.type,
                "data": data,
                "position": event.position,
                "timestamp": _timestamp(event.timestamp),
                "id": stored.id,
                "tags": stored.tags,
            }
        )
    except orjson.JSONEncodeError:  # e.g. an integer beyond 64 bits, which JSON allows
        return _stdlib_envelope(event, data)


def _stdlib_envelope(event: SequencedEvent, data: Any) -> bytes:
    tags = ",".join(map(encode_basestring, event.tags))
    return (
        f'{{"type":{encode_basestring(event.type)},"data":{_encode_data(data)},'
        f'"position":{event.position},"timestamp":"{_timestamp(event.timestamp)}",'
        f'"id":{encode_basestring(event.id)},"tags":[{tags}]}}'
    ).encode()


def encode_frames(events: Sequence[SequencedEvent], batch: int) -> Iterator[bytes]:
    """Event frames (u32 LE length + envelope JSON), concatenated into batches of ≤ ``batch``
    bytes; a frame larger than ``batch`` makes a batch of its own."""
    buffer = bytearray()
    for event in events:
        envelope = _envelope(event)
        frame_size = _LENGTH.size + len(envelope)
        if buffer and len(buffer) + frame_size > batch:
            yield bytes(buffer)
            buffer.clear()
        buffer += _LENGTH.pack(len(envelope))
        buffer += envelope
    if buffer:
        yield bytes(buffer)


def decode_result(raw: bytes, call: str, max_depth: int) -> Any:
    """The JSON document a guest returned, or an ABI violation saying why it is unreadable.

    Nesting beyond ``max_depth`` is refused whether the decoder reaches Python's recursion
    limit or not, so a document that decodes is also one the host can walk and store.
    """
    try:
        text = raw.decode()
    except UnicodeDecodeError as exc:
        raise _fault(f"{call} returned invalid UTF-8 ({exc.reason} at byte {exc.start})") from None
    too_deep = _fault(f"{call} returned JSON nested deeper than {max_depth:,} levels")
    try:
        document = json.loads(text)
    except RecursionError:
        raise too_deep from None
    except ValueError as exc:
        raise _fault(f"{call} returned invalid JSON ({exc}): {text[:_SHOWN]!r}") from None
    if json_depth(document) > max_depth:
        raise too_deep
    return document


def _guest_error(document: Mapping[str, Any], call: str) -> HandlerFault:
    shown = json.dumps(document["error"], ensure_ascii=False)[:_SHOWN]
    return HandlerFault(GUEST_ERROR, f"{call} reported an error: {shown}")


def _rejection(body: object, call: str) -> Rejection:
    if not isinstance(body, Mapping) or not isinstance(body.get("code"), str):
        raise _fault(f"{call}: 'rejected' must be an object with a string 'code'")
    message = body.get("message", "")
    if not isinstance(message, str):
        raise _fault(f"{call}: 'rejected.message' must be a string")
    return Rejection(body["code"], message)


def _one_key(document: object, call: str, allowed: tuple[str, ...]) -> tuple[str, Any]:
    keys = [key for key in allowed if isinstance(document, Mapping) and key in document]
    if len(keys) != 1:
        expected = " or ".join(f"{{{key!r}: ...}}" for key in allowed)
        raise _fault(f"{call} returned {str(document)[:_SHOWN]}, not {expected}")
    assert isinstance(document, Mapping)
    return keys[0], document[keys[0]]


def decode_status(raw: bytes | None, call: str, limits: WasmLimits = _DEFAULT_LIMITS) -> None:
    """The result of ``esr_init`` / ``esr_apply``: nothing (0) is success, else ``{"error"}``."""
    if raw is None:
        return
    document = decode_result(raw, call, limits.depth)
    _one_key(document, call, ("error",))
    raise _guest_error(document, call)


def decode_validation(raw: bytes | None, limits: WasmLimits = _DEFAULT_LIMITS) -> Rejection | None:
    """The result of ``esr_validate``: nothing (0) passes, ``{"rejected": ...}`` refuses."""
    if raw is None:
        return None
    document = decode_result(raw, "esr_validate", limits.depth)
    key, body = _one_key(document, "esr_validate", ("rejected", "error"))
    if key == "error":
        raise _guest_error(document, "esr_validate")
    return _rejection(body, "esr_validate")


def decode_decision(raw: bytes, limits: WasmLimits) -> Decision:
    """The result of ``esr_handle``: ``{"ok": [{"type", "data"}, ...]}`` or ``{"rejected"}``.

    Whether each type is declared and its data valid is the executor's check, as for any handler.
    """
    document = decode_result(raw, "esr_handle", limits.depth)
    key, body = _one_key(document, "esr_handle", ("ok", "rejected", "error"))
    if key == "error":
        raise _guest_error(document, "esr_handle")
    if key == "rejected":
        return _rejection(body, "esr_handle")
    if not isinstance(body, list):
        raise _fault("esr_handle: 'ok' must be a list of events")
    if len(body) > limits.emits:
        raise _fault(f"esr_handle emitted {len(body)} events; the limit is {limits.emits}")
    emits = []
    for index, item in enumerate(body):
        if not isinstance(item, Mapping) or not isinstance(item.get("type"), str):
            raise _fault(f"esr_handle: ok[{index}] must be an object with a string 'type'")
        if "data" not in item:
            raise _fault(f"esr_handle: ok[{index}] ({item['type']}) has no 'data'")
        emits.append(Emit(item["type"], item["data"]))
    return emits
