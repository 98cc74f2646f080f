"""Whatever the text, parsing gives a schema or a SchemaError: never another exception, never
a hang, never a blown stack."""

from __future__ import annotations

import contextlib
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from esruntime.errors import (
    SchemaError,
    SchemaSemanticError,
    SchemaSyntaxError,
    SchemaTooLargeError,
)
from esruntime.schema import Schema, format_schema, parse_schema
from esruntime.schema.language import DEFAULT_MAX_BYTES, MAX_NESTING
from esruntime.testing import schemas

ESDL_ALPHABET = st.sampled_from(
    [*"{}[]()@:?=,;\"'\\/*\n\t -.0123456789eEaAzZ_", "event", "type", "enum", "///", "//"]
)


def parse_or_schema_error(text: str) -> Schema | SchemaError:
    """The parsed schema or the SchemaError; any other exception fails the test."""
    try:
        return parse_schema(text)
    except SchemaError as error:
        refused = error
    if isinstance(refused, SchemaSyntaxError):
        lines = text.removeprefix("\ufeff").split("\n")
        assert 1 <= refused.line <= len(lines)
        assert 1 <= refused.column <= len(lines[refused.line - 1]) + 1
        assert f"line {refused.line}, column {refused.column}: expected " in str(refused)
    if isinstance(refused, SchemaSemanticError):
        assert refused.problems
    return refused


@settings(max_examples=300)
@given(st.text())
def test_arbitrary_text_never_raises_anything_but_schema_errors(text: str) -> None:
    parse_or_schema_error(text)


@settings(max_examples=300)
@given(st.lists(ESDL_ALPHABET, max_size=60).map("".join))
def test_soups_of_esdl_tokens_never_raise_anything_but_schema_errors(text: str) -> None:
    parse_or_schema_error(text)


@st.composite
def mutated(draw: st.DrawFn) -> str:
    """The canonical text of a valid schema with a few characters deleted, inserted or swapped."""
    text = format_schema(draw(schemas()))
    for _ in range(draw(st.integers(1, 3))):
        if not text:
            break
        at = draw(st.integers(0, len(text) - 1))
        action = draw(st.sampled_from(["delete", "insert", "swap"]))
        if action == "delete":
            text = text[:at] + text[at + 1 :]
        elif action == "insert":
            text = text[:at] + draw(st.characters() | ESDL_ALPHABET) + text[at:]
        elif at + 1 < len(text):
            text = text[:at] + text[at + 1] + text[at] + text[at + 2 :]
    return text


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_schemas_never_raise_anything_but_schema_errors(text: str) -> None:
    parse_or_schema_error(text)


@pytest.mark.parametrize(
    "text",
    [
        "\ud800",  # a lone surrogate: not even encodable as UTF-8
        'event A { a: String = "\ud800" }',
        "event A { a: \udfff }",
        "\x00" * 100,
        "\r" * 100 + "event",
        "/*" * 1000,
        "*/" * 1000,
        '"' * 1000,
        "event A { a: Int = " + "-" * 1000 + " }",
        "event A { a: Float = 1" + "0" * 5000 + ".0 }",
        "event A { a: Float = 1e" + "9" * 5000 + " }",
        "event A { a: Json = [" + "1," * 10_000 + "] }",
        "event A {" + " a: Int," * 1000 + " }",
        "enum E {" + " A," * 1000 + " }",
        "\u2028event A {}",
    ],
    ids=lambda text: repr(text[:30]),
)
def test_hostile_texts_give_schema_errors(text: str) -> None:
    parse_or_schema_error(text)


def test_text_over_the_size_limit_is_refused_before_parsing() -> None:
    text = "event A {}\n" * 1_000_000  # 11 MB

    with pytest.raises(SchemaTooLargeError) as caught:
        parse_schema(text)

    assert str(caught.value) == (
        "the schema is 11,000,000 bytes of UTF-8; the limit is 262,144 bytes"
    )


def test_the_size_limit_counts_utf8_bytes_and_can_be_changed() -> None:
    text = '/// é\nevent A { a: String = "€" }'  # 33 characters, 36 bytes

    with pytest.raises(SchemaTooLargeError, match="36 bytes of UTF-8; the limit is 35 bytes"):
        parse_schema(text, max_bytes=35)
    assert parse_schema(text, max_bytes=36).events[0].name == "A"
    assert DEFAULT_MAX_BYTES == 262_144


@pytest.mark.parametrize(
    ("text", "column"),
    [
        ("event A { a: " + "[" * 40 + "Int" + "]" * 40 + " }", 14 + MAX_NESTING),
        ("event A { a: Json = " + "[" * 40 + "]" * 40 + " }", 21 + MAX_NESTING),
        ("event A { a: " + "[" * 1_000_000, 14 + MAX_NESTING),
        ("event A { a: [Int] = " + "[" * 1_000_000, 22 + MAX_NESTING),
    ],
    ids=["type", "default", "a megabyte of type brackets", "a megabyte of list brackets"],
)
def test_brackets_nested_too_deep_are_refused_at_the_first_bracket_over_the_limit(
    text: str, column: int
) -> None:
    with pytest.raises(SchemaTooLargeError) as caught:
        parse_schema(text, max_bytes=2_000_000)

    assert str(caught.value).split("\n")[0] == (
        f"line 1, column {column}: brackets nest deeper than {MAX_NESTING} levels"
    )


def test_nesting_is_counted_per_field_not_across_fields() -> None:
    field = "[" * MAX_NESTING + "Int" + "]" * MAX_NESTING
    text = "event A {\n" + "".join(f"  f{i}: {field}\n" for i in range(50)) + "}"

    assert len(parse_schema(text).events[0].fields) == 50


def compact_schema(events: int) -> str:
    body = "  @account_id: String\n  amount: Float\n  currency: Currency = EUR\n"
    return "enum Currency { EUR, USD }\n" + "".join(
        f"event Event{i} {{\n{body}}}\n" for i in range(events)
    )


def test_a_three_thousand_event_schema_within_the_size_limit_parses() -> None:
    text = compact_schema(3_000)
    assert DEFAULT_MAX_BYTES * 0.9 < len(text.encode()) <= DEFAULT_MAX_BYTES

    schema = parse_schema(text)

    assert len(schema.events) == 3_000
    assert schema.events[-1].name == "Event2999"
    assert schema.events[-1].line == text.count("\n") - 4


def test_a_thousand_event_schema_parses() -> None:
    schema = parse_schema(compact_schema(1_000))

    assert [e.name for e in schema.events[:2]] == ["Event0", "Event1"]
    assert len(schema.events) == 1_000


def cpu_seconds_to_parse(text: str) -> float:
    """This thread's CPU time parsing ``text``, the least of three parses: not wall time, which
    other processes stretch, nor the process's, which background threads left by other tests
    add to."""
    times = []
    for _ in range(3):
        started = time.thread_time()
        # docs on enum variants are refused once their block is parsed; never over the size limit
        with contextlib.suppress(SchemaSemanticError, SchemaSyntaxError):
            parse_schema(text)
        times.append(time.thread_time() - started)
    return min(times)


def doc_lines_at_the_size_limit(head: str, tail: str) -> str:
    line = "/// d\n"
    count = (DEFAULT_MAX_BYTES - len(head) - len(tail)) // len(line)
    return head + line * count + tail


@pytest.mark.parametrize(
    ("head", "tail"),
    [
        pytest.param("", "event E {}\n", id="declaration docs"),
        pytest.param("event E {\n", "a: Int\n}\n", id="field docs", marks=pytest.mark.slow),
        pytest.param("enum E {\n", "A\n}\n", id="variant docs", marks=pytest.mark.slow),
    ],
)
def test_doc_lines_up_to_the_size_limit_parse_in_time_linear_in_their_number(
    head: str, tail: str
) -> None:
    # Measured against a schema of the same size whose parse is known to be linear, in the same
    # run: a factor of 5 leaves room for a busy machine, while building a block of doc lines by
    # copying it on every line (quadratic) takes over 50 times as long (minutes) at this size.
    text = doc_lines_at_the_size_limit(head, tail)
    assert DEFAULT_MAX_BYTES - 40 < len(text.encode()) <= DEFAULT_MAX_BYTES
    baseline = compact_schema(3_000)

    assert cpu_seconds_to_parse(text) < 5 * cpu_seconds_to_parse(baseline)


def test_a_long_block_of_doc_lines_is_kept_in_order() -> None:
    lines = [f"line {i}" for i in range(8_000)]
    text = (
        "".join(f"/// {line}\n" for line in lines)
        + "event E {\n"
        + "".join(f"/// {line}\n" for line in lines)
        + "a: Int\n}\n"
    )

    schema = parse_schema(text)

    assert schema.events[0].doc == "\n".join(lines)
    assert schema.events[0].fields[0].doc == "\n".join(lines)


def test_many_problems_are_all_reported() -> None:
    text = "".join(f"event E{i} {{ a: Nope }}\n" for i in range(2_000))

    with pytest.raises(SchemaSemanticError) as caught:
        parse_schema(text)

    assert len(caught.value.problems) == 2_000
    assert caught.value.problems[-1].line == 2_000
