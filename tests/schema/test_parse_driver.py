"""The fast parse loop builds exactly what Lark's own loop builds, and fails exactly as it does;
schemas of the default size limit parse, in time linear in their size."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lark import Token
from lark.exceptions import LarkError

from esruntime.errors import SchemaError, SchemaTooLargeError
from esruntime.schema import EnumDecl, EventDecl, TypeDecl, format_schema, parse_schema
from esruntime.schema.builder import LayoutError, ParsedSchema
from esruntime.schema.diagnostics import syntax_error, translate
from esruntime.schema.language import DEFAULT_MAX_BYTES, MAX_NESTING, _driver, _parse, _parser
from esruntime.testing import schemas
from tests.schema.test_parser_robustness import ESDL_ALPHABET, mutated


def lark_loop(text: str) -> ParsedSchema:
    """The parse as Lark's interactive parser runs it, token by token: the reference."""
    interactive = _parser().parse_interactive(text)
    previous: Token | None = None
    current: Token | None = None
    depth = 0
    try:
        for token in interactive.iter_parse():
            previous, current = current, token
            if token.type == "LSQB":
                depth += 1
                if depth > MAX_NESTING:
                    raise SchemaTooLargeError(f"too deep at {token.line}:{token.column}")
            elif token.type == "RSQB":
                depth -= 1
        result: ParsedSchema = interactive.feed_eof(current)  # type: ignore[no-untyped-call]
    except LayoutError as error:
        token = error.token
        raise syntax_error(
            text,
            line=token.line or 1,
            column=token.column or 1,
            found=str(token.value),
            expected=error.expected,
            hint=error.hint,
        ) from None
    except LarkError as error:
        offending: Token | None = getattr(error, "token", None)
        fed = offending is not None and offending is current
        after = previous if fed else current
        accepted = accepted_before(text, offending if fed else None)
        raise translate(error, text, after=after, accepted=accepted) from None
    return result


def accepted_before(text: str, token: Token | None) -> set[str]:
    """What Lark's parser accepts just before ``token`` (or where it stops), parsing again."""
    interactive = _parser().parse_interactive(text)
    try:
        for candidate in interactive.iter_parse():
            if token is not None and candidate.start_pos == token.start_pos:
                break
    except LarkError:
        pass
    accepted: set[str] = interactive.accepts()  # type: ignore[no-untyped-call]
    return accepted


def outcome(parse: Callable[[str], ParsedSchema], text: str) -> Any:
    """Everything a parse gives, positions included, or the error's type and message."""
    try:
        parsed = parse(text)
    except SchemaTooLargeError:
        return "too deep"
    except SchemaError as error:
        return type(error).__name__, str(error), getattr(error, "expected", None)
    schema = parsed.schema
    declarations: list[EventDecl | TypeDecl | EnumDecl] = [
        *schema.events,
        *schema.types,
        *schema.enums,
    ]
    records: list[EventDecl | TypeDecl] = [*schema.events, *schema.types]
    positions = [(d.line, d.column) for d in declarations]
    fields = [(f.line, f.column) for d in records for f in d.fields]
    return schema, positions, fields, parsed.variant_positions


def assert_same_as_lark(text: str) -> None:
    assert outcome(_parse, text) == outcome(lark_loop, text)


def test_the_fast_loop_lexes_in_every_state_of_the_esdl_parser() -> None:
    # Otherwise Lark's slower loop would take over, on valid input too.
    assert _driver().covers_every_state()


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(schemas().map(format_schema))
def test_valid_schemas_give_what_lark_gives(text: str) -> None:
    assert_same_as_lark(text)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_schemas_give_what_lark_gives(text: str) -> None:
    assert_same_as_lark(text)


@settings(max_examples=300)
@given(st.lists(ESDL_ALPHABET, max_size=60).map("".join))
def test_soups_of_esdl_tokens_give_what_lark_gives(text: str) -> None:
    assert_same_as_lark(text)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n\t ",
        "event",
        "event E {",
        "event E { a: Int }   \n  ",
        "event E { a: Int } // the end",
        "event E { a: Int } /* open",
        "event E { a: Int }\n///",
        "event E {\n  /// doc\n  a: Int /// not a doc\n}",
        'event E {\n  a: String = "tab\there"\n}',
        'event E { a: String = "no end }',
        "event E { a: [[Int]] = [[1], [2,],] b: Int }",
        "event E { a: Int b: Int }",
        "event E { a: Int,, b: Int }",
        "enum E {\n  /// doc\n  A\n}",
        "enum E { A B }",
        "type T { t: Int = tru }",
        "event E { a: Int }\nevent F { @b: String c: Float = 1e999 }",
        "event E { a: $ }",
        "event E {\r\n  a: Int\r\n  b:\r\n}",
        "event E { a: " + "[" * (MAX_NESTING + 1) + "Int" + "]" * (MAX_NESTING + 1) + " }",
    ],
    ids=repr,
)
def test_edge_cases_give_what_lark_gives(text: str) -> None:
    assert_same_as_lark(text)


def repeated(head: str, unit: Callable[[int], str], tail: str, limit: int) -> str:
    parts, size = [head], len(head) + len(tail)
    for number in range(limit):
        part = unit(number)
        size += len(part)
        if size > limit:
            break
        parts.append(part)
    return "".join([*parts, tail])


SHAPES: dict[str, Callable[[int], str]] = {
    "small events": lambda limit: repeated(
        "", lambda i: f"event E{i} {{\n  @a{i}: String\n  b: Int\n  c: [String]?\n}}\n", "", limit
    ),
    "doc lines": lambda limit: repeated("", lambda _: "/// d\n", "event E {}\n", limit),
    "many fields": lambda limit: repeated("event E {\n", lambda i: f"  f{i}: Int\n", "}\n", limit),
}


def cpu_seconds_to_parse(text: str) -> float:
    """This thread's CPU time parsing ``text``, the least of three parses: not wall time, which
    other processes stretch, nor the process's, which background threads left by other tests
    add to."""
    times = []
    for _ in range(3):
        started = time.thread_time()
        parse_schema(text)
        times.append(time.thread_time() - started)
    return min(times)


@pytest.mark.slow
@pytest.mark.parametrize("shape", SHAPES)
def test_a_schema_of_the_size_limit_parses_in_time_linear_in_its_size(shape: str) -> None:
    # An eighth of the text, parsed in the same run, is the yardstick: linear time makes the
    # whole cost about 8 times as much, quadratic time 64 times. A factor of 25 leaves room for
    # a busy machine.
    text = SHAPES[shape](DEFAULT_MAX_BYTES)
    assert DEFAULT_MAX_BYTES - 100 < len(text.encode()) <= DEFAULT_MAX_BYTES
    eighth = SHAPES[shape](DEFAULT_MAX_BYTES // 8)

    assert cpu_seconds_to_parse(text) < 25 * cpu_seconds_to_parse(eighth)


@pytest.mark.parametrize("shape", SHAPES)
def test_a_schema_of_the_size_limit_parses(shape: str) -> None:
    text = SHAPES[shape](DEFAULT_MAX_BYTES)
    assert DEFAULT_MAX_BYTES - 100 < len(text.encode()) <= DEFAULT_MAX_BYTES

    schema = parse_schema(text)

    if shape == "small events":
        assert schema.events[-1].name == f"E{len(schema.events) - 1}"
        assert schema.events[-1].line == text.count("\n") - 4
        assert [f.name for f in schema.events[-1].fields][1:] == ["b", "c"]
    elif shape == "doc lines":
        assert schema.events[0].doc == "\n".join(["d"] * text.count("/// d"))
    else:
        fields = schema.events[0].fields
        assert len(fields) == text.count(": Int")
        assert (fields[-1].name, fields[-1].line, fields[-1].column) == (
            f"f{len(fields) - 1}",
            len(fields) + 1,
            3,
        )
