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
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from esruntime.backends.sql import SqlEventStore
from esruntime.encoding import DEFAULT_MAX_EVENT_BYTES, decode_stored, encode_events
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


# -- decoding stored text ------------------------------------------------------------------------


def same(a: Any, b: Any) -> bool:
    """Equal with the same types all the way down (``1 == 1.0`` and ``0.0 == -0.0`` are not)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return math.copysign(1, a) == math.copysign(1, b) and (a == b or (a != a and b != b))
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    return bool(a == b)


json_numbers = st.one_of(
    st.integers(min_value=-(2**200), max_value=2**200).map(str),
    st.sampled_from(
        [
            "123456789012345678901234567890",
            "-9223372036854775809",
            "-9223372036854775808",
            "9223372036854775807",
            "18446744073709551615",
            "18446744073709551616",
            "-0",
            "-0.0",
            "0.0",
            "1e400",
            "-1e400",
            "1e-400",
            "NaN",
            "Infinity",
            "-Infinity",
            "5e-324",
            "1.7976931348623157e308",
            "2.2250738585072011e-308",
        ]
    ),
    st.floats(allow_nan=False).map(repr).filter(lambda r: "inf" not in r),
    # decimal texts of up to 18 digits, which orjson decodes: rounded as float() rounds them
    st.builds(
        lambda sign, digits, point, exponent: (
            f"{sign}{digits[:point].lstrip('0') or '0'}.{digits[point:] or '0'}{exponent}"
        ),
        st.sampled_from(["", "-"]),
        st.text("0123456789", min_size=1, max_size=16),
        st.integers(min_value=0, max_value=16),
        st.sampled_from(["", "e5", "E-5", "e+300", "e-320", "e308", "e-330", "e400"]),
    ),
)
json_strings = st.one_of(
    st.text().map(lambda s: json.dumps(s, ensure_ascii=False)),
    st.text().map(json.dumps),  # \u escapes, surrogate pairs for what is beyond the BMP
    st.sampled_from(['"\\ud800"', '"\\udfff x"', '"\\ud83d\\ude00"', '"a\\/b\\u00e9\\t"']),
)
json_texts = st.recursive(
    st.sampled_from(["null", "true", "false"]) | json_numbers | json_strings,
    lambda children: (
        st.lists(children, max_size=4).map(lambda items: f"[{','.join(items)}]")
        | st.lists(st.tuples(json_strings, children), max_size=4).map(
            lambda pairs: "{" + ", ".join(f"{k}: {v}" for k, v in pairs) + "}"
        )
    ),
    max_leaves=12,
).map(lambda text: text if len(text) % 3 else f" {text}\n")  # some with spaces around


@settings(deadline=None, max_examples=1000)
@given(json_texts)
def test_stored_text_decodes_as_the_standard_library_decodes_it(text: str) -> None:
    assert same(decode_stored(text), json.loads(text))


@pytest.mark.parametrize(
    "text",
    [
        '{"big":123456789012345678901234567890,"low":-9223372036854775809}',
        '{"n":[-9223372036854775808,18446744073709551615,18446744073709551616]}',
        '{"n":[1e400,-1e400,NaN,-0.0,-0,1.0,1]}',
        '{"s":"\\ud800","t":"\\udc00\\ud83d\\ude00","u":"é😀"}',
        '{"a":1,"b":2,"a":3}',
        '{"deep":' + "[" * 200 + "-0.0" + "]" * 200 + "}",
        ' {"spaced": [1, 2]} ',
        "{}",
        "null",
    ],
)
def test_values_orjson_would_alter_or_refuse_are_decoded_as_the_standard_library_does(
    text: str,
) -> None:
    assert same(decode_stored(text), json.loads(text))


def test_data_stored_as_bytes_with_spaces_around_is_read_back(tmp_path: Path) -> None:
    store = SqlEventStore(f"sqlite:///{tmp_path}/spaces.db")
    store.append(Event("E", b' {"a": [1, 2]}\n'))
    (event,) = store.read().events
    assert event.data == {"a": [1, 2]}
    store.close()


# Metadata that can be stored (no NUL in its keys): only the data decides whether it is refused.
@given(
    json_values,
    st.dictionaries(
        st.text(st.characters(blacklist_characters="\x00"), max_size=4), st.integers(), max_size=2
    ),
)
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
