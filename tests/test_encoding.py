"""Event data is encoded by orjson, checked by the standard library's encoder wherever the two
could disagree: what one backend stores, and what it refuses, is what the standard library
would have stored or refused."""

from __future__ import annotations

import enum
import json
import math
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from esruntime.encoding import DEFAULT_MAX_EVENT_BYTES, encode_events
from esruntime.errors import InvalidEventError
from esruntime.events import Event

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**100), max_value=2**100)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(max_size=8) | st.integers(), children, max_size=4)
    ),
    max_leaves=20,
)


def stored(data: Any) -> str:
    ((_, text, _),) = encode_events([Event("E", data)], DEFAULT_MAX_EVENT_BYTES)
    return text


def standard(data: Any) -> Any:
    return json.loads(json.dumps(data, allow_nan=False))


@given(json_values.filter(lambda v: "\\u0000" not in json.dumps(v)))
def test_what_the_standard_library_encodes_is_stored_with_the_same_value(data: Any) -> None:
    try:
        expected = standard(data)
    except UnicodeEncodeError:  # unpaired surrogates: refused, as tested in the contract suite
        return
    text = stored(data)
    assert json.loads(text) == expected


@pytest.mark.parametrize(
    "data",
    [
        {"big": 2**64, "small": -(2**70)},
        {2: "int key", True: "bool key", None: "none key"},
        {"text": "null", "nothing": None},
        {"n": [1.5, 1e-7, 1e16, -0.0]},
        {"line": "\u2028 and \u2029"},
    ],
)
def test_values_orjson_would_refuse_or_alter_are_stored_as_the_standard_library_stores_them(
    data: Any,
) -> None:
    assert json.loads(stored(data)) == standard(data)


class Colour(enum.Enum):
    RED = "red"


@dataclass
class Point:
    x: int


class Text(str):
    pass


def test_uuids_and_enum_members_are_stored_as_their_values() -> None:
    value = uuid.uuid4()
    assert json.loads(stored({"id": value, "colour": Colour.RED})) == {
        "id": str(value),
        "colour": "red",
    }


def test_subclasses_of_json_types_are_stored_as_those_types() -> None:
    assert json.loads(stored({"t": Text("x")})) == {"t": "x"}


@pytest.mark.parametrize(
    "data",
    [
        {"nan": math.nan},
        [math.inf],
        {"deep": [{"x": -math.inf}]},
        {"when": datetime.now(UTC)},
        {"point": Point(1)},
        {"set": {1}},
    ],
)
def test_what_the_standard_library_refuses_is_refused(data: Any) -> None:
    with pytest.raises(InvalidEventError, match="not JSON-serializable"):
        stored(data)


@given(json_values, st.dictionaries(st.text(max_size=4), st.integers(), max_size=2))
def test_an_event_with_metadata_is_stored_as_one_without(data: Any, metadata: Any) -> None:
    """Events without metadata take a shorter path: their data is stored the same."""
    try:
        plain = stored(data)
    except InvalidEventError:
        with pytest.raises(InvalidEventError):
            encode_events([Event("E", data, metadata=metadata or {"k": 1})], 10**9)
        return
    ((_, text, _),) = encode_events([Event("E", data, metadata=metadata or {"k": 1})], 10**9)
    assert text == plain


@pytest.mark.parametrize("text", ["x", "é", "€" * 3])
def test_the_size_limit_counts_utf8_bytes_of_data_and_metadata(text: str) -> None:
    data = {"v": text}
    size = len(json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()) + 2
    encode_events([Event("E", data)], size)  # exactly at the limit: accepted
    with pytest.raises(InvalidEventError, match="the limit is"):
        encode_events([Event("E", data)], size - 1)


def test_a_nul_character_is_refused_and_an_escaped_backslash_u_is_not() -> None:
    with pytest.raises(InvalidEventError, match="U\\+0000"):
        encode_events([Event("E", {"v": "a\x00b"})], DEFAULT_MAX_EVENT_BYTES)
    assert stored({"v": "\\u0000"}) == '{"v":"\\\\u0000"}'
