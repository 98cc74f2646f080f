"""A schema that does not follow the grammar is refused with a message that says how to fix it.

Each case gives the text, the error's line and column, what was found, what was expected and
the message's first line, exactly: the message is all a schema author gets.
"""

from __future__ import annotations

import pytest

from esruntime.errors import SchemaError, SchemaSyntaxError
from esruntime.schema import parse_schema

DOC_HINT = (
    "a /// doc comment documents the declaration or field that follows it; "
    "use // for a plain comment"
)
NUMBER_HINT = "numbers are written as in JSON, like 7, -1.5 or 2.5e-3"
TOP = ("'event'", "'type'", "'enum'", "end of input")
MIXED = "a list default holds bare enum variants or other literals, not both"

CASES = [
    # declarations
    ("event {}", 1, 7, "{", ("a declaration name",),
     "expected a declaration name after 'event' but found '{'"),
    ("event a {}", 1, 7, "a", ("a declaration name",),
     "expected a declaration name after 'event' but found 'a' "
     "(names of events, types and enums match [A-Z][A-Za-z0-9]*)"),
    ("type My_Type {}", 1, 6, "My_Type", ("a declaration name",),
     "expected a declaration name after 'type' but found 'My_Type' "
     "(names of events, types and enums match [A-Z][A-Za-z0-9]*)"),
    ("events A {}", 1, 1, "events", TOP,
     "expected 'event', 'type', 'enum' or end of input but found 'events'"),
    ("Event A {}", 1, 1, "Event", TOP,
     "expected 'event', 'type', 'enum' or end of input but found 'Event'"),
    ("event A", 1, 8, "", ("'{'",), "expected '{' after 'A' but found end of input"),
    ("event A }", 1, 9, "}", ("'{'",), "expected '{' after 'A' but found '}'"),
    ("event A {", 1, 10, "", ("'}'", "a field name"),
     "expected '}' or a field name after '{' but found end of input"),
    ("event A { a: Int } %", 1, 20, "%", TOP,
     "expected 'event', 'type', 'enum' or end of input after '}' but found '%'"),
    ("event A { a: [Int] }}", 1, 21, "}", TOP,
     "expected 'event', 'type', 'enum' or end of input after '}' but found '}'"),
    ("\x00", 1, 1, "\x00", TOP,
     "expected 'event', 'type', 'enum' or end of input but found '\\x00'"),
    # fields
    ("event A { a }", 1, 13, "}", ("':'",), "expected ':' after 'a' but found '}'"),
    ("event A {\n  amount String\n}", 2, 10, "String", ("':'",),
     "expected ':' after 'amount' but found 'String'"),
    ("event A { a:: Int }", 1, 13, ":", ("a type",), "expected a type after ':' but found ':'"),
    ("event A {\n  Amount: Int\n}", 2, 3, "Amount", ("'}'", "a field name"),
     "expected '}' or a field name after '{' but found 'Amount' "
     "(field names match [a-z_][a-z0-9_]*)"),
    ("event A { @ }", 1, 13, "}", ("a field name",),
     "expected a field name after '@' but found '}'"),
    ("event A { @@a: Int }", 1, 12, "@", ("a field name",),
     "expected a field name after '@' but found '@'"),
    ("event A { a: Int b: Int }", 1, 18, "b", ("','", "a line break"),
     "expected ',' or a line break but found 'b' "
     "(fields are separated by commas or written one per line)"),
    ("event A {\n  a: Int = 1 b: Int\n}", 2, 14, "b", ("','", "a line break"),
     "expected ',' or a line break but found 'b' "
     "(fields are separated by commas or written one per line)"),
    ("event A { a: Int,, b: Int }", 1, 18, ",", ("'}'", "a field name"),
     "expected '}' or a field name after ',' but found ','"),
    ("event A { , a: Int }", 1, 11, ",", ("'}'", "a field name"),
     "expected '}' or a field name after '{' but found ','"),
    ("event A {\n  a: Int\n", 3, 1, "", ("'?'", "'='", "','", "'}'", "a field name"),
     "expected '?', '=', ',', '}' or a field name after 'Int' but found end of input"),
    # types
    ("event A {\n  amount: }\n}", 2, 11, "}", ("a type",),
     "expected a type after ':' but found '}'"),
    ("event A {\n  a: string\n}", 2, 6, "string", ("a type",),
     "expected a type after ':' but found 'string' (did you mean 'String'?)"),
    ("event A { a: Strng_x }", 1, 14, "Strng_x", ("a type",),
     "expected a type after ':' but found 'Strng_x' (did you mean 'String'?)"),
    ("event A { a: [] }", 1, 15, "]", ("a type",), "expected a type after '[' but found ']'"),
    ("event A { a: [Int = [] }", 1, 19, "=", ("'?'", "']'"),
     "expected '?' or ']' after 'Int' but found '='"),
    ("event A { a: Int?? }", 1, 18, "?", ("'='", "','", "'}'", "a field name"),
     "expected '=', ',', '}' or a field name after '?' but found '?'"),
    # defaults
    ("event A { a: Int = }", 1, 20, "}", ("a default value",),
     "expected a default value after '=' but found '}'"),
    ("event A { a: Int = 1 = 2 }", 1, 22, "=", ("','", "'}'", "a field name"),
     "expected ',', '}' or a field name after '1' but found '='"),
    ("event A { a: Int = abc }", 1, 20, "abc", ("a default value",),
     "expected a default value after '=' but found 'abc' "
     "(strings are double-quoted; enum variants start with an upper-case letter)"),
    ("event A { a: Bool = truth }", 1, 21, "truth", ("a default value",),
     "expected a default value after '=' but found 'truth' "
     "(strings are double-quoted; enum variants start with an upper-case letter)"),
    ("event A { a: Int = 01 }", 1, 20, "01", ("a default value",),
     f"expected a default value after '=' but found '01' ({NUMBER_HINT})"),
    ("event A { a: Float = 1. }", 1, 22, "1.", ("a default value",),
     f"expected a default value after '=' but found '1.' ({NUMBER_HINT})"),
    ("event A { a: Float = .5 }", 1, 22, ".5", ("a default value",),
     f"expected a default value after '=' but found '.5' ({NUMBER_HINT})"),
    ("event A { a: Int = +1 }", 1, 20, "+", ("a default value",),
     f"expected a default value after '=' but found '+' ({NUMBER_HINT})"),
    ("event A { a: Int = 1" + "0" * 45 + " }", 1, 20, "1" + "0" * 45,
     ("an integer of at most 40 digits",),
     "expected an integer of at most 40 digits but found '1" + "0" * 39 + "...'"),
    ("event A { a: String = 'x' }", 1, 23, "'", ("a default value",),
     "expected a default value after '=' but found \"'\" (strings are double-quoted)"),
    ('event A { a: String = "x }', 1, 23, '"x }', ("a string closed on the same line",),
     "expected a string closed on the same line but found '\"x }' "
     "(strings are double-quoted and end on the line they start)"),
    ('event A { a: String = "x\r\n}', 1, 23, '"x', ("a string closed on the same line",),
     "expected a string closed on the same line but found '\"x' "
     "(strings are double-quoted and end on the line they start)"),
    ('event A { a: String = "\\q" }', 1, 24, "\\q", ("a JSON escape",),
     "expected a JSON escape but found '\\\\q' "
     '(escapes are \\" \\\\ \\/ \\b \\f \\n \\r \\t or \\u followed by 4 hex digits)'),
    ('event A { a: String = "\\u12" }', 1, 24, '\\u12" ', ("a JSON escape",),
     "expected a JSON escape but found '\\\\u12\" ' "
     '(escapes are \\" \\\\ \\/ \\b \\f \\n \\r \\t or \\u followed by 4 hex digits)'),
    ('event A { a: String = "a\tb" }', 1, 25, "\t", ("a printable character",),
     "expected a printable character but found '\\t' "
     "(write control characters as JSON escapes like \\t or \\u0000)"),
    ('event A { a: String = "\\ud800" }', 1, 23, '"\\ud800"', ("a string of Unicode characters",),
     "expected a string of Unicode characters but found '\"\\\\ud800\"' "
     "(an escaped surrogate (\\ud800-\\udfff) must be half of a pair)"),
    ("event A { a: [Int] = [1 2] }", 1, 25, "2", ("','", "']'"),
     "expected ',' or ']' after '1' but found '2'"),
    ("event A { a: [Int] = [1,,2] }", 1, 25, ",", ("a value", "']'"),
     "expected a value or ']' after ',' but found ','"),
    ('event A { a: [String] = ["x", EUR] }', 1, 31, "EUR",
     ("a string, number, bool or null like the elements before it",),
     "expected a string, number, bool or null like the elements before it but found 'EUR' "
     f"({MIXED})"),
    ('event A { a: [E] = [EUR, null, "x"] }', 1, 32, '"x"',
     ("an enum variant or null like the elements before it",),
     "expected an enum variant or null like the elements before it but found '\"x\"' "
     f"({MIXED})"),
    # enums
    ("enum E", 1, 7, "", ("'{'",), "expected '{' after 'E' but found end of input"),
    ("enum E { A B }", 1, 12, "B", ("','", "a line break"),
     "expected ',' or a line break but found 'B' "
     "(enum variants are separated by commas or written one per line)"),
    ("enum E { a }", 1, 10, "a", ("an enum variant", "'}'"),
     "expected an enum variant or '}' after '{' but found 'a' "
     "(enum variants match [A-Z][A-Za-z0-9_]*)"),
    ("enum E { A,, B }", 1, 12, ",", ("an enum variant", "'}'"),
     "expected an enum variant or '}' after ',' but found ','"),
    ("enum E { /// doc\n  A }", 1, 10, "/// doc", ("an enum variant",),
     "expected an enum variant but found '/// doc' "
     "(enum variants cannot have /// doc comments; use // for a plain comment)"),
    # comments
    ("event A { /// doc\n}", 2, 1, "}", ("a field name",),
     f"expected a field name after a doc comment but found '}}' ({DOC_HINT})"),
    ("/// dangling", 1, 13, "", ("'event'", "'type'", "'enum'"),
     f"expected 'event', 'type' or 'enum' after a doc comment but found end of input ({DOC_HINT})"),
    ("event A {}\n/// dangling\n", 3, 1, "", ("'event'", "'type'", "'enum'"),
     f"expected 'event', 'type' or 'enum' after a doc comment but found end of input ({DOC_HINT})"),
    ("event A {}\n/* never\nclosed", 2, 1, "/*", ("'*/' to close the comment",),
     "expected '*/' to close the comment but found '/*' (a /* comment must be closed with */)"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "line", "column", "found", "expected", "headline"),
    CASES,
    ids=[case[0][:40] for case in CASES],
)
def test_syntax_errors_say_where_what_was_expected_and_what_was_found(
    text: str, line: int, column: int, found: str, expected: tuple[str, ...], headline: str
) -> None:
    with pytest.raises(SchemaSyntaxError) as caught:
        parse_schema(text)
    error = caught.value

    assert (error.line, error.column, error.found, error.expected) == (
        line,
        column,
        found,
        expected,
    )
    assert str(error).split("\n")[0] == f"line {line}, column {column}: {headline}"


def test_the_message_quotes_the_line_with_a_caret_under_the_column() -> None:
    with pytest.raises(SchemaSyntaxError) as caught:
        parse_schema("event A {\n  amount: Float\n  currency: }\n}\n")

    assert str(caught.value) == (
        "line 3, column 13: expected a type after ':' but found '}'\n"
        "  3 |   currency: }\n"
        "    |             ^"
    )


def test_the_caret_follows_tabs() -> None:
    with pytest.raises(SchemaSyntaxError) as caught:
        parse_schema("event A {\n\t\ta: }\n}")

    assert str(caught.value).split("\n")[1:] == ["  2 | \t\ta: }", "    | \t\t   ^"]


def test_the_excerpt_of_a_long_line_is_cut_around_the_column() -> None:
    fields = [f"f{i}: Int" for i in range(100)]
    text = "event A { " + ", ".join([*fields, "bad: ?", *fields]) + " }"
    with pytest.raises(SchemaSyntaxError) as caught:
        parse_schema(text)
    source, caret = str(caught.value).split("\n")[1:]

    assert len(source) < 120
    assert source.startswith("  1 | ...")
    assert source.endswith("...")
    assert source[caret.index("^")] == "?"


def test_the_excerpt_of_a_long_line_ending_near_the_column_shows_the_line_end() -> None:
    text = "event A { " + ", ".join(f"f{i}: Int" for i in range(100)) + ", bad: ? }"
    with pytest.raises(SchemaSyntaxError) as caught:
        parse_schema(text)
    source, caret = str(caught.value).split("\n")[1:]

    assert source.startswith("  1 | ...")
    assert source.endswith("bad: ? }")
    assert len(source) == len("  1 | ...") + 100
    assert source[caret.index("^")] == "?"


def test_control_characters_in_the_excerpt_are_made_visible() -> None:
    with pytest.raises(SchemaSyntaxError) as caught:
        parse_schema("event A {}\x01")

    assert str(caught.value).split("\n")[1] == "  1 | event A {}\ufffd"


def test_an_error_at_the_end_of_input_points_just_past_the_last_character() -> None:
    with pytest.raises(SchemaSyntaxError) as caught:
        parse_schema("event A {\n  a: Int")

    assert (caught.value.line, caught.value.column, caught.value.found) == (2, 9, "")


def test_syntax_errors_are_schema_errors_and_value_errors() -> None:
    with pytest.raises(SchemaSyntaxError) as caught:
        parse_schema("event")
    assert isinstance(caught.value, SchemaError)
    assert isinstance(caught.value, ValueError)


def test_text_that_is_not_a_string_is_refused_with_a_schema_error() -> None:
    with pytest.raises(SchemaError, match="a schema is text \\(str\\), not bytes"):
        parse_schema(b"event A {}")  # type: ignore[arg-type]
