"""ESDL text becomes the schema model: every grammar rule, with the positions it records."""

from __future__ import annotations

from typing import Any

import pytest

import esruntime.schema
from esruntime.schema import (
    Default,
    EnumDecl,
    EventDecl,
    Field,
    Schema,
    TypeDecl,
    TypeRef,
    parse_schema,
)

BANK = """\
// Bank accounts
event OpenedAccount {
  @account_id: String
  initial_balance: Float
  opened_at: Timestamp?
}

event SentFunds {
  @account_id: String
  amount: Float
  @recipient_id: String?      // optional domain id: no tag when null
}

/// A deposit or an incoming transfer.
event ReceivedFunds {
  @account_id: String
  amount: Float
  @sender_id: String?
  currency: Currency = EUR    // default: fills older events that lack the field
}

enum Currency { EUR, USD, GBP }

type Address {
  street: String
  city: String
}
"""

SCALARS = ["String", "Int", "Long", "Float", "Double", "Bool", "Bytes", "Timestamp", "Uuid", "Json"]


def fields_of(body: str, *, prelude: str = "enum Currency { EUR, USD }\n") -> tuple[Field, ...]:
    """The fields of ``event E { <body> }``, with an enum Currency declared first."""
    schema = parse_schema(f"{prelude}event E {{\n{body}\n}}\n")
    event = schema.event("E")
    assert event is not None
    return event.fields


def field_of(text: str) -> Field:
    (field,) = fields_of(text)
    return field


def default_of(text: str) -> Default | None:
    return field_of(text).default


def test_the_spec_example_parses_into_its_declarations() -> None:
    schema = parse_schema(BANK)

    assert [e.name for e in schema.events] == ["OpenedAccount", "SentFunds", "ReceivedFunds"]
    assert schema.types == (
        TypeDecl("Address", (Field("street", TypeRef("String")), Field("city", TypeRef("String")))),
    )
    assert schema.enums == (EnumDecl("Currency", ("EUR", "USD", "GBP")),)
    received = schema.event("ReceivedFunds")
    assert received is not None
    assert received.doc == "A deposit or an incoming transfer."
    assert received.domain_ids == ("account_id", "sender_id")
    assert received.field("currency") == Field(
        "currency", TypeRef("Currency"), default=Default("EUR", enum_variant=True)
    )
    sent = schema.event("SentFunds")
    assert sent is not None
    assert sent.field("recipient_id") == Field(
        "recipient_id", TypeRef("String", optional=True), domain_id=True
    )


def test_declarations_and_fields_record_where_they_start() -> None:
    schema = parse_schema(BANK)
    opened, _, received = schema.events

    assert (opened.line, opened.column) == (2, 1)
    assert [(f.line, f.column) for f in opened.fields] == [(3, 3), (4, 3), (5, 3)]
    assert (received.line, received.column) == (15, 1)  # the keyword, after its doc comment
    assert (schema.enums[0].line, schema.enums[0].column) == (22, 1)
    assert (schema.types[0].line, schema.types[0].column) == (24, 1)


def test_positions_take_no_part_in_equality() -> None:
    compact = "event OpenedAccount { @account_id: String, initial_balance: Float }"
    spread = "\n\n  event   OpenedAccount {\n @account_id :String\n\n initial_balance: Float,\n}"

    assert parse_schema(compact) == parse_schema(spread)
    assert parse_schema(compact).events[0].line != parse_schema(spread).events[0].line


@pytest.mark.parametrize("text", ["", "   \n\t\n", "// only a comment\n", "/* a\n block */"])
def test_a_text_without_declarations_is_the_empty_schema(text: str) -> None:
    assert parse_schema(text) == Schema()


def test_each_kind_keeps_its_source_order() -> None:
    schema = parse_schema(
        "event B {}\ntype Y {}\nevent A {}\nenum Z { Q }\ntype X {}\nenum W { Q }"
    )

    assert [d.name for d in schema.events] == ["B", "A"]
    assert [d.name for d in schema.types] == ["Y", "X"]
    assert [d.name for d in schema.enums] == ["Z", "W"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("event E {}", EventDecl("E")),
        ("type T {}", TypeDecl("T")),
        ("event Order2 { id: Uuid }", EventDecl("Order2", (Field("id", TypeRef("Uuid")),))),
        ("type Point { x: Int, y: Int }", TypeDecl("Point", (
            Field("x", TypeRef("Int")), Field("y", TypeRef("Int"))))),
        ("enum E { A }", EnumDecl("E", ("A",))),
        ("enum Status { IN_PROGRESS, Done2, X_ }",
         EnumDecl("Status", ("IN_PROGRESS", "Done2", "X_"))),
        ("enum E { A, B, }", EnumDecl("E", ("A", "B"))),
        ("enum E {\n  A\n  B\n}", EnumDecl("E", ("A", "B"))),
        ("enum E {\n  A,\n  B\n  C,\n}", EnumDecl("E", ("A", "B", "C"))),
        ("event/* inline */E{}", EventDecl("E")),
    ],
)  # fmt: skip
def test_declarations(text: str, expected: Any) -> None:
    schema = parse_schema(text)
    assert [*schema.events, *schema.types, *schema.enums] == [expected]


@pytest.mark.parametrize("scalar", SCALARS)
def test_every_scalar_is_a_type(scalar: str) -> None:
    assert field_of(f"value: {scalar}").type == TypeRef(scalar)
    assert field_of(f"value: {scalar}?").type == TypeRef(scalar, optional=True)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a: Currency", TypeRef("Currency")),
        ("a: Currency?", TypeRef("Currency", optional=True)),
        ("a: [Int]", TypeRef(item=TypeRef("Int"))),
        ("a: [Int]?", TypeRef(item=TypeRef("Int"), optional=True)),
        ("a: [Int?]", TypeRef(item=TypeRef("Int", optional=True))),
        ("a: [Int?]?", TypeRef(item=TypeRef("Int", optional=True), optional=True)),
        ("a: [[Currency]]", TypeRef(item=TypeRef(item=TypeRef("Currency")))),
        ("a : [ Int ] ?", TypeRef(item=TypeRef("Int"), optional=True)),
        ("a:\n  [\n    Int\n  ]", TypeRef(item=TypeRef("Int"))),
        ("a: /* why not */ Int", TypeRef("Int")),
        ("a: /// not a doc here\n Int", TypeRef("Int")),
    ],
)
def test_type_expressions(text: str, expected: TypeRef) -> None:
    assert field_of(text).type == expected


def test_nesting_up_to_the_limit_is_fine() -> None:
    ref = field_of("a: " + "[" * 32 + "Int" + "]" * 32).type
    depth = 0
    while ref.item is not None:
        ref, depth = ref.item, depth + 1
    assert (depth, ref) == (32, TypeRef("Int"))


@pytest.mark.parametrize(
    "name", ["a", "amount", "account_id", "_", "_private", "x1", "a_1_b", "type", "event",
             "enum", "true", "false", "null"],
)  # fmt: skip
def test_field_names_include_words_that_are_keywords_elsewhere(name: str) -> None:
    assert field_of(f"{name}: Int").name == name
    assert field_of(f"@{name}: Int").domain_id


@pytest.mark.parametrize(
    ("body", "names"),
    [
        ("a: Int", ["a"]),
        ("a: Int\nb: Int", ["a", "b"]),
        ("a: Int, b: Int", ["a", "b"]),
        ("a: Int, b: Int,", ["a", "b"]),
        ("a: Int,\nb: Int,\n", ["a", "b"]),
        ("a: Int\n,b: Int", ["a", "b"]),
        ("a: Int, b: Int\nc: Int", ["a", "b", "c"]),
        ("a: Int = 1, b: [Int] = [1, 2], c: Int", ["a", "b", "c"]),
        ("a: Int // trailing\nb: Int", ["a", "b"]),
        ("a: Int /* spans\nlines */ b: Int", ["a", "b"]),
        ("@a: Int, @b: Int", ["a", "b"]),
    ],
)
def test_fields_are_separated_by_commas_or_line_breaks(body: str, names: list[str]) -> None:
    assert [f.name for f in fields_of(body)] == names


def test_a_domain_id_field_starts_at_its_at_sign() -> None:
    field = field_of("   @account_id: String")
    assert (field.line, field.column, field.domain_id) == (3, 4, True)


@pytest.mark.parametrize(
    ("text", "doc"),
    [
        ("/// One line.\nevent E {}", "One line."),
        ("///No space.\nevent E {}", "No space."),
        ("///  Two spaces.\nevent E {}", " Two spaces."),
        ("/// Trailing space is trimmed.   \nevent E {}", "Trailing space is trimmed."),
        ("/// First.\n/// Second.\nevent E {}", "First.\nSecond."),
        ("/// Paragraph.\n///\n/// Another.\nevent E {}", "Paragraph.\n\nAnother."),
        ("///\nevent E {}", ""),
        ("/// Joined.\n// a plain comment between\n/// Still joined.\nevent E {}",
         "Joined.\nStill joined."),
        ("/// CRLF line endings.\r\nevent E {}\r\n", "CRLF line endings."),
        ("/// Has // and /* inside.\nevent E {}", "Has // and /* inside."),
        ("//// Four slashes: a plain comment.\nevent E {}", None),
        ("/** A block comment, not a doc. */\nevent E {}", None),
        ("// Two slashes.\nevent E {}", None),
    ],
)  # fmt: skip
def test_doc_comments_document_the_next_declaration(text: str, doc: str | None) -> None:
    assert parse_schema(text).events[0].doc == doc


def test_doc_comments_document_fields_types_and_enums() -> None:
    schema = parse_schema(
        "/// A type.\ntype T {\n  /// The x.\n  /// In metres.\n  x: Int\n  y: Int\n}\n"
        "/// An enum.\nenum E { A }\n"
        "event V {\n  /// The id.\n  @id: String, /// Same line as a comma.\n  b: Int\n}"
    )

    assert schema.types[0].doc == "A type."
    assert [f.doc for f in schema.types[0].fields] == ["The x.\nIn metres.", None]
    assert schema.enums[0].doc == "An enum."
    assert [f.doc for f in schema.events[0].fields] == ["The id.", "Same line as a comma."]


@pytest.mark.parametrize(
    ("text", "default"),
    [
        ('a: String = "x"', Default("x")),
        ('a: String = ""', Default("")),
        ('a: String = "say \\"hi\\"\\n\\t\\\\ \\/"', Default('say "hi"\n\t\\ /')),
        ('a: String = "\\u00e9\\ud83d\\ude00"', Default("\u00e9\U0001f600")),
        ('a: String = "é 😀 \u2028"', Default("é 😀 \u2028")),
        ('a: String = "// not a comment"', Default("// not a comment")),
        ("a: Int = 0", Default(0)),
        ("a: Int = -42", Default(-42)),
        ("a: Long = 9223372036854775807", Default(9223372036854775807)),
        ("a: Long = -9223372036854775808", Default(-9223372036854775808)),
        ("a: Float = 1.5", Default(1.5)),
        ("a: Float = -0.25", Default(-0.25)),
        ("a: Double = 1e3", Default(1000.0)),
        ("a: Double = 2.5E-3", Default(0.0025)),
        ("a: Double = -1.0e+2", Default(-100.0)),
        ("a: Float = 7", Default(7)),
        ("a: Bool = true", Default(True)),
        ("a: Bool = false", Default(False)),
        ("a: Int? = null", Default(None)),
        ("a: Currency = USD", Default("USD", enum_variant=True)),
        ("a: Currency? = null", Default(None)),
        ("a: [Int] = []", Default(())),
        ("a: [Int] = [1, 2, 3]", Default((1, 2, 3))),
        ("a: [Int] = [1, 2, 3,]", Default((1, 2, 3))),
        ("a: [Int] = [\n  1,\n  2\n]", Default((1, 2))),
        ("a: [Int?] = [1, null]", Default((1, None))),
        ("a: [[Int]] = [[1], [], [2, 3]]", Default(((1,), (), (2, 3)))),
        ("a: [Currency] = [EUR, USD]", Default(("EUR", "USD"), enum_variant=True)),
        ("a: [Currency?] = [null, EUR]", Default((None, "EUR"), enum_variant=True)),
        ("a: [Currency] = []", Default(())),
        ('a: [String] = ["x", "y"]', Default(("x", "y"))),
        ('a: Json = [1, "two", [true, null], 4.5]', Default((1, "two", (True, None), 4.5))),
        ('a: Json = "text"', Default("text")),
        ('a: Bytes = "aGVsbG8="', Default("aGVsbG8=")),
        ('a: Timestamp = "2024-02-29T12:30:00.5Z"', Default("2024-02-29T12:30:00.5Z")),
        ('a: Uuid = "0b5c7a3e-8f3d-4c1a-9d3e-2f6b1a7c9e10"',
         Default("0b5c7a3e-8f3d-4c1a-9d3e-2f6b1a7c9e10")),
        ("a: Int = /* comment */ 1", Default(1)),
    ],
)  # fmt: skip
def test_defaults(text: str, default: Default) -> None:
    parsed = default_of(text)
    assert parsed == default
    assert parsed is not None
    assert type(parsed.value) is type(default.value)


def test_a_list_default_is_a_tuple_so_the_model_stays_hashable() -> None:
    schema = parse_schema("event E { a: [[Int]] = [[1], [2]] }")
    assert isinstance(hash(schema), int)


@pytest.mark.parametrize(
    "text",
    [
        "\ufeffevent E { a: Int }",  # a byte-order mark
        "event E {\r\n  a: Int\r\n}\r\n",
        "event\tE\t{\ta:\tInt\t}",
        "event E {\f a: Int }",
    ],
)
def test_whitespace_and_line_endings(text: str) -> None:
    assert parse_schema(text) == Schema(events=(EventDecl("E", (Field("a", TypeRef("Int")),)),))


def test_a_byte_order_mark_does_not_shift_columns() -> None:
    assert parse_schema("\ufeffevent E {}").events[0].column == 1


def test_the_schema_package_exports_a_sorted_public_surface() -> None:
    assert esruntime.schema.__all__ == sorted(esruntime.schema.__all__)
    for name in esruntime.schema.__all__:
        assert hasattr(esruntime.schema, name), name
    assert {"format_schema", "parse_schema", "Schema", "Field"} <= set(esruntime.schema.__all__)
