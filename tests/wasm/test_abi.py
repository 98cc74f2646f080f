"""The ABI's byte rules on their own: packed buffers, event frames, result documents."""

from __future__ import annotations

import json
import struct
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from esruntime import Event
from esruntime.errors import HandlerFault
from esruntime.events import SequencedEvent
from esruntime.handlers import Emit, Rejection, WasmLimits
from esruntime.handlers.abi import (
    decode_decision,
    decode_status,
    decode_validation,
    encode_frames,
    unpack_buffer,
)


def sequenced(position: int, data: object) -> SequencedEvent:
    event = Event("Noted", data, ["note_id:n1"], id=f"evt_{position}")
    return SequencedEvent(position, event, datetime(2024, 5, 1, 12, tzinfo=UTC))


def frames_of(batch: bytes) -> list[dict[str, object]]:
    envelopes, offset = [], 0
    while offset < len(batch):
        (length,) = struct.unpack_from("<I", batch, offset)
        envelopes.append(json.loads(batch[offset + 4 : offset + 4 + length]))
        offset += 4 + length
    assert offset == len(batch)
    return envelopes


def test_a_buffer_is_read_unsigned_even_when_wasmtime_hands_back_a_negative_i64() -> None:
    assert unpack_buffer((0x0001_0000 << 32) | 42) == (0x0001_0000, 42)
    assert unpack_buffer(-1) == (0xFFFF_FFFF, 0xFFFF_FFFF)
    assert unpack_buffer(-(1 << 63)) == (0x8000_0000, 0)


def test_frames_carry_the_full_envelope() -> None:
    (batch,) = encode_frames([sequenced(7, {"text": "héllo"})], batch=1024)
    assert frames_of(batch) == [
        {
            "type": "Noted",
            "data": {"text": "héllo"},
            "position": 7,
            "timestamp": "2024-05-01T12:00:00+00:00",
            "id": "evt_7",
            "tags": ["note_id:n1"],
        }
    ]


@pytest.mark.parametrize(
    "data",
    [
        {"text": 'quotes " and \\ backslashes', "control": "\x00\x1f\n\t", "lines": "\u2028\u2029"},
        {"astral": "😀 \U0001f600", "nested": [{"a": [1, 2.5, -0.0, 1e300]}, None, True, False]},
        {"big": 2**70, "small": -(2**63), "empty": {}, "list": []},
        [1, "two", {"three": 3}],
        "just a string",
        b'{"stored": "as given"}',
    ],
    ids=["escapes", "unicode and nesting", "numbers", "array", "string", "stored JSON text"],
)
def test_every_json_value_survives_the_envelope_exactly(data: object) -> None:
    (batch,) = encode_frames([sequenced(3, data)], batch=1 << 20)
    [envelope] = frames_of(batch)
    expected = json.loads(data) if isinstance(data, bytes) else data
    assert envelope["data"] == expected
    assert json.dumps(envelope["data"]) == json.dumps(expected)  # -0.0 stays -0.0


def test_frames_are_batched_without_splitting_one() -> None:
    events = [sequenced(p, {"n": p}) for p in range(1, 11)]
    batches = list(encode_frames(events, batch=300))
    assert len(batches) > 1
    assert all(len(batch) <= 300 for batch in batches)
    positions = [frame["position"] for batch in batches for frame in frames_of(batch)]
    assert positions == list(range(1, 11))


def test_a_frame_larger_than_a_batch_goes_alone() -> None:
    events = [sequenced(1, {"n": 1}), sequenced(2, {"big": "x" * 500}), sequenced(3, {"n": 3})]
    batches = list(encode_frames(events, batch=200))
    assert [[f["position"] for f in frames_of(b)] for b in batches] == [[1], [2], [3]]


def test_decisions_and_rejections_are_decoded() -> None:
    limits = WasmLimits()
    raw = b'{"ok":[{"type":"A","data":{"x":1},"extra":true}],"note":"ignored"}'
    assert decode_decision(raw, limits) == [Emit("A", {"x": 1})]
    assert decode_decision(b'{"ok":[]}', limits) == []
    assert decode_decision(b'{"rejected":{"code":"no","message":"why"}}', limits) == Rejection(
        "no", "why"
    )
    assert decode_validation(None) is None
    assert decode_validation(b'{"rejected":{"code":"invalid_input"}}') == Rejection(
        "invalid_input", ""
    )
    decode_status(None, "esr_init")  # nothing is success


def test_too_many_events_in_one_result_is_an_abi_violation() -> None:
    raw = json.dumps({"ok": [{"type": "A", "data": {}}] * 3}).encode()
    with pytest.raises(HandlerFault, match="emitted 3 events; the limit is 2") as fault:
        decode_decision(raw, WasmLimits(emits=2))
    assert fault.value.code == "abi_violation"


def test_an_error_document_is_a_guest_error_wherever_it_comes() -> None:
    raw = b'{"error":{"code":"panic","message":"index out of range"}}'
    with pytest.raises(HandlerFault, match="esr_handle reported an error") as handled:
        decode_decision(raw, WasmLimits())
    with pytest.raises(HandlerFault, match="index out of range") as validated:
        decode_validation(raw)
    assert handled.value.code == validated.value.code == "guest_error"


def test_a_status_buffer_must_be_an_error_document() -> None:
    with pytest.raises(HandlerFault) as fault:
        decode_status(b'{"ok":[]}', "esr_apply")
    assert fault.value.code == "abi_violation"


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


@given(
    data=JSON_VALUES,
    tags=st.lists(
        st.text(st.characters(categories=["L", "N", "P", "S", "Zs"]), min_size=1, max_size=12).map(
            lambda value: f"key:{value}"
        ),
        max_size=3,
        unique=True,
    ),
)
def test_any_stored_json_reaches_the_guest_unchanged(data: object, tags: list[str]) -> None:
    timestamp = datetime(2024, 5, 1, 12, 30, 5, 120, tzinfo=UTC)
    event = SequencedEvent(9, Event("Noted", data, tags, id="evt_9"), timestamp)
    (batch,) = encode_frames([event], batch=1 << 20)
    [envelope] = frames_of(batch)
    assert json.dumps(envelope["data"]) == json.dumps(data)
    assert envelope["tags"] == list(event.tags)  # normalized: sorted, unique
    assert envelope["timestamp"] == event.timestamp.isoformat()
