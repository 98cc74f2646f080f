"""JSON numbers in the SDKs: read correctly rounded, written as Python writes them.

A guest and a Python handler folding the same amounts must reach the same balance, so both
SDKs read every JSON number to the nearest double (ties to even, as ``float()`` does) and write
doubles in the shortest form that reads back (as ``repr()`` does). ``numbers.c`` and
``numbers.ts`` echo what their SDK makes of a list of number texts.
"""

from __future__ import annotations

import json
import re
import struct
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from esruntime.handlers import WasmModule

Echo = Callable[[list[str]], tuple[list[int], list[str], list[int | None]]]


@pytest.fixture(scope="module", params=["c", "assemblyscript"])
def echo(request: pytest.FixtureRequest, probe_wasm: Callable[[str], bytes]) -> Echo:
    module = WasmModule.load(probe_wasm(str(request.param)))

    def run(texts: list[str]) -> tuple[list[int], list[str], list[int | None]]:
        instance = module.instance()
        instance.call_buffer("esr_init")
        data = ('{"numbers": [' + ", ".join(texts) + "]}").encode()
        raw = instance.call_buffer("esr_handle", *instance.send(data, "esr_handle"))
        assert raw is not None
        [event] = json.loads(raw)["ok"]
        written = re.search(rb'"texts":\[([^\]]*)\]', raw)
        assert written is not None
        return event["data"]["bits"], written.group(1).decode().split(","), event["data"]["ints"]

    return run


def bits(value: float) -> int:
    return int(struct.unpack("<q", struct.pack("<d", value))[0])


def expected_text(value: float) -> str:
    return "null" if value in (float("inf"), float("-inf")) else repr(value)


@settings(max_examples=60)
@given(st.lists(st.floats(allow_nan=False, allow_infinity=False), min_size=1, max_size=40))
def test_doubles_come_back_bit_for_bit_and_written_like_repr(
    echo: Echo, values: list[float]
) -> None:
    texts = [repr(v) for v in values]
    read, written, _ = echo(texts)
    assert read == [bits(v) for v in values]
    assert written == texts


decimal = st.builds(
    lambda digits, point, exponent: f"{digits[:point]}.{digits[point:]}0e{exponent}",
    st.text("0123456789", min_size=1, max_size=40).map(lambda d: "1" + d),
    st.integers(1, 41),
    st.integers(-360, 330),
)


@settings(max_examples=60)
@given(st.lists(decimal, min_size=1, max_size=40))
def test_any_decimal_is_read_to_the_nearest_double(echo: Echo, texts: list[str]) -> None:
    read, written, _ = echo(texts)
    assert read == [bits(float(t)) for t in texts]
    assert written == [expected_text(float(t)) for t in texts]


def test_edges_of_the_double_range(echo: Echo) -> None:
    texts = [
        "2.4703282292062327e-324",  # half the smallest subnormal: a tie, to even (zero)
        "2.4703282292062328e-324",  # just above: the smallest subnormal
        "1.7976931348623158e308",  # rounds down to the largest double
        "1.7976931348623159e308",  # rounds up to infinity
        "9007199254740993",  # 2^53 + 1: a tie between two doubles
        "5.9604644775390625e-08",  # 2^-24: the shortest form is the farther 16-digit one
        "1" + "0" * 400,
        "0." + "0" * 400 + "1",
        "1." + "9" * 900,  # more digits than kept: the rest still rounds
        "-0",
        "1E+2",
    ]
    read, written, _ = echo(texts)
    assert read == [bits(float(t)) for t in texts]
    assert written == [expected_text(float(t)) for t in texts]


def test_integers_are_exact_within_64_bits(echo: Echo) -> None:
    texts = [
        "0",
        "-0",
        "9223372036854775807",
        "-9223372036854775808",
        "9223372036854775808",
        "1.0",
        "1e3",
    ]
    _, _, ints = echo(texts)
    assert ints == [0, 0, 2**63 - 1, -(2**63), None, None, None]
