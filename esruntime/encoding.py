"""JSON encoding of event data and metadata, shared by the backends.

Every backend stores the same JSON text, so an event that one backend accepts, every backend
accepts, and bad data is refused before any write with a message naming the event.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

import orjson

from esruntime.errors import EventTooLargeError, InvalidEventError, InvalidQueryError
from esruntime.events import AppendCondition, Event

__all__ = [
    "DEFAULT_MAX_EVENT_BYTES",
    "EncodedEvent",
    "check_condition",
    "decode",
    "decode_stored",
    "encode_events",
    "json_depth",
    "stored_data",
]

DEFAULT_MAX_EVENT_BYTES = 1024 * 1024

_encoder = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":"))
decode = json.JSONDecoder().decode
_orjson_loads = orjson.loads
_DIGITS = b"0123456789"
_SAFE_DIGITS = 18
"""orjson decodes an integer beyond 64 bits (``-9223372036854775809``, 20 digits and more) as a
float; every such integer is written with at least 19 digits."""


def decode_stored(text: str) -> Any:
    """Decode stored JSON text (one value, which ``json.loads`` accepted when it was stored)
    exactly as ``json.loads`` does; an empty object is the common metadata.

    orjson decodes (about twice as fast as the standard library's C scanner) a text of at most
    18 digits in all, which holds no integer it would turn into a float; the standard library
    decodes the rest and whatever orjson refuses (lone surrogates, ``NaN``, ``1e400``...).
    ``tests/test_encoding.py`` compares both on generated texts.
    """
    if text == "{}":
        return {}
    raw = text.encode("utf-8", "surrogatepass")  # a lone surrogate: orjson refuses the bytes
    if len(raw) - len(raw.translate(None, _DIGITS)) <= _SAFE_DIGITS:
        try:
            return _orjson_loads(raw)
        except orjson.JSONDecodeError:
            pass
    return decode(text)


# An escaped NUL preceded by an even number of backslashes: a real U+0000 in a string, which
# PostgreSQL's jsonb cannot hold. Refused everywhere so that backends agree.
_ESCAPED_NUL = re.compile(r"(?<!\\)(?:\\\\)*\\u0000")

EncodedEvent = tuple[Event, str, str]
"""An event with its data and metadata as JSON text."""


_ORJSON_OPTIONS = (
    orjson.OPT_PASSTHROUGH_DATACLASS
    | orjson.OPT_PASSTHROUGH_DATETIME
    | orjson.OPT_PASSTHROUGH_SUBCLASS
)
"""What orjson would encode and the standard library refuses goes back to the standard library
(dataclasses, datetimes, subclasses of the JSON types), which accepts or refuses it as before."""


_orjson_dumps = orjson.dumps


def _dumps(value: Any) -> str:
    """Compact JSON text of ``value``: orjson (about 5x faster), checked by the standard
    library's encoder wherever the two could disagree.

    orjson refuses what the standard library accepts (integers beyond 64 bits, non-string
    keys) and writes NaN and infinities as ``null``: on a refusal, and on any text containing
    ``null``, the standard library's encoder decides (it refuses NaN and infinities). orjson
    also writes UUIDs and enum members as their values, which the standard library refuses:
    those are stored as those values.
    """
    try:
        out = orjson.dumps(value, option=_ORJSON_OPTIONS)
    except TypeError:  # orjson.JSONEncodeError included
        return _encoder.encode(value)
    if b"null" in out:
        return _encoder.encode(value)
    return out.decode()


_BYTES = (bytes, bytearray, memoryview)


def _encode(value: Any, event: Event, index: int, what: str) -> str:
    if what == "data" and isinstance(value, _BYTES):
        try:
            text = bytes(value).decode("utf-8")
            decode(text)
        except (UnicodeDecodeError, ValueError) as exc:
            raise InvalidEventError(
                f"event {index} ({event.type!r}): data bytes are not UTF-8 JSON text: {exc}"
            ) from None
    else:
        try:
            text = _dumps(value)
        except (TypeError, ValueError, RecursionError) as exc:
            raise InvalidEventError(
                f"event {index} ({event.type!r}): {what} is not JSON-serializable: {exc}"
            ) from None
    if "\\u0000" in text and _ESCAPED_NUL.search(text):
        raise InvalidEventError(
            f"event {index} ({event.type!r}): {what} contains the character U+0000, "
            "which cannot be stored"
        )
    return text


def _size(text: str, event: Event, index: int, what: str) -> int:
    if text.isascii():
        return len(text)
    try:
        return len(text.encode("utf-8"))
    except UnicodeEncodeError as exc:
        raise InvalidEventError(
            f"event {index} ({event.type!r}): {what} contains an unpaired surrogate ({exc.reason})"
        ) from None


def stored_data(event: Event) -> Any:
    """``event``'s data as a store that keeps the JSON text :func:`encode_events` writes reads
    it back (that text, decoded); the event must be one that :func:`encode_events` accepts."""
    return decode(_encode(event.data, event, 0, "data"))


def encode_events(events: Event | Sequence[Event], max_event_bytes: int) -> list[EncodedEvent]:
    """Encode events for storage, refusing any that is malformed or larger than the limit.

    Raises :class:`InvalidEventError` (or :class:`EventTooLargeError`) naming the event's index
    and type; nothing is written when any event of the batch is refused.
    """
    if isinstance(events, Event):
        events = [events]
    elif not isinstance(events, Sequence) or isinstance(events, str | bytes):
        raise InvalidEventError(f"append takes an Event or a sequence of them, got {events!r}")
    if not events:
        raise InvalidEventError("append needs at least one event; got none")
    encoded: list[EncodedEvent] = []
    for index, event in enumerate(events):
        if event.__class__ is not Event and not isinstance(event, Event):
            raise InvalidEventError(f"event {index} is not an esruntime Event: {event!r}")
        if not event.metadata:
            # The common event, inlined: data that orjson writes without a null or an escaped
            # NUL, within the limit, is exactly what the general path below stores (orjson
            # writes UTF-8, so its length is the data's size; empty metadata is "{}", 2 bytes).
            # Anything else (bytes, a refusal, a null, a NUL, too large) takes that path.
            try:
                out = _orjson_dumps(event.data, option=_ORJSON_OPTIONS)
            except TypeError:
                pass
            else:
                if b"null" not in out and b"\\u0000" not in out and len(out) + 2 <= max_event_bytes:
                    encoded.append((event, out.decode(), "{}"))
                    continue
        data = _encode(event.data, event, index, "data")
        metadata = (
            "{}" if not event.metadata else _encode(dict(event.metadata), event, index, "metadata")
        )
        size = _size(data, event, index, "data") + _size(metadata, event, index, "metadata")
        if size > max_event_bytes:
            raise EventTooLargeError(
                f"event {index} ({event.type!r}) is {size:,} bytes of data and metadata; "
                f"the limit is {max_event_bytes:,} bytes"
            )
        encoded.append((event, data, metadata))
    return encoded


def json_depth(value: Any) -> int:
    """How many levels of objects and arrays ``value`` nests (a scalar is 1, ``[[]]`` is 2).

    Breadth first, without recursion, so that any decoded document can be measured: the
    parsers that stop at a depth bound use it on what ``json.loads`` built.
    """
    deepest, level = 0, [value]
    while level:
        deepest += 1
        nested: list[Any] = []
        for item in level:
            if isinstance(item, dict):
                nested.extend(v for v in item.values() if isinstance(v, dict | list))
            elif isinstance(item, list):
                nested.extend(v for v in item if isinstance(v, dict | list))
        level = nested
    return deepest


def check_condition(condition: object) -> None:
    if condition is not None and not isinstance(condition, AppendCondition):
        raise InvalidQueryError(f"condition must be an AppendCondition, got {condition!r}")
