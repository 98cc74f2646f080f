"""A schema formats as canonical ESDL text, which parses back to the same schema."""

from __future__ import annotations

import pytest
from hypothesis import given, settings

from esruntime.schema import Default, EventDecl, Field, Schema, TypeRef, format_schema, parse_schema
from esruntime.testing import schemas
from tests.schema.test_language import BANK

CANONICAL_BANK = """\
event OpenedAccount {
  @account_id: String
  initial_balance: Float
  opened_at: Timestamp?
}

event SentFunds {
  @account_id: String
  amount: Float
  @recipient_id: String?
}

/// A deposit or an incoming transfer.
event ReceivedFunds {
  @account_id: String
  amount: Float
  @sender_id: String?
  currency: Currency = EUR
}

type Address {
  street: String
  city: String
}

enum Currency { EUR, USD, GBP }
"""


def test_the_spec_example_formats_canonically() -> None:
    assert format_schema(parse_schema(BANK)) == CANONICAL_BANK


def test_layout_comments_and_commas_do_not_survive_formatting() -> None:
    messy = """
    /* header */ enum Currency {EUR,USD,GBP,}
    type Address{street:String,city:String}
    event OpenedAccount{@account_id:String,initial_balance:Float   // why
      opened_at : Timestamp ?}
    event SentFunds { @account_id: String, amount: Float, @recipient_id: String? }
    /// A deposit or an incoming transfer.
    event ReceivedFunds {
        @account_id: String
        amount: Float
        @sender_id: String?
        currency: Currency =
          EUR
    }
    """
    assert format_schema(parse_schema(messy)) == CANONICAL_BANK


def test_the_empty_schema_is_the_empty_text() -> None:
    assert format_schema(Schema()) == ""


def test_empty_bodies_stay_on_one_line() -> None:
    schema = parse_schema("event Reset {\n}\ntype Nothing {\n\n}")
    assert format_schema(schema) == "event Reset {}\n\ntype Nothing {}\n"


def test_docs_are_written_above_what_they_document() -> None:
    text = (
        "/// Line one.\n///\n///  Indented.\nevent E {\n  /// The id.\n  @id: Uuid\n}\n\n"
        "/// Points.\ntype P {}\n\n/// Colours.\nenum C { RED }\n"
    )
    assert format_schema(parse_schema(text)) == text


@pytest.mark.parametrize(
    ("written", "canonical"),
    [
        ('a: String = "x"', 'a: String = "x"'),
        ('a: String = "\\u00e9\\/\\t"', 'a: String = "é/\\t"'),
        ('a: String = "\\u0001\\"\\\\"', 'a: String = "\\u0001\\"\\\\"'),
        ("a: Int = -0", "a: Int = 0"),
        ("a: Float = 1.50", "a: Float = 1.5"),
        ("a: Float = 7", "a: Float = 7"),
        ("a: Double = 1E3", "a: Double = 1000.0"),
        ("a: Double = 1e16", "a: Double = 1e+16"),
        ("a: Double = 0.000001", "a: Double = 1e-06"),
        ("a: Bool = true", "a: Bool = true"),
        ("a: Int? = null", "a: Int? = null"),
        ("a : [ Int ] ? = [ 1 ,2, ]", "a: [Int]? = [1, 2]"),
        ("a: [[Int?]] = [[], [null, 1]]", "a: [[Int?]] = [[], [null, 1]]"),
        ("a: [C] = [RED,RED]", "a: [C] = [RED, RED]"),
        ('a: Json = [1,"x",[true]]', 'a: Json = [1, "x", [true]]'),
        ("@ a: String", "@a: String"),
    ],
)
def test_defaults_and_types_have_one_canonical_spelling(written: str, canonical: str) -> None:
    schema = parse_schema(f"event E {{ {written} }}\nenum C {{ RED }}")
    assert format_schema(schema) == f"event E {{\n  {canonical}\n}}\n\nenum C {{ RED }}\n"


def test_a_schema_built_in_code_formats_without_positions() -> None:
    schema = Schema(
        events=(
            EventDecl(
                "E",
                (
                    Field("id", TypeRef("Uuid"), domain_id=True, doc="Who."),
                    Field("n", TypeRef(item=TypeRef("Int")), default=Default((1, 2))),
                    Field("tags", TypeRef(item=TypeRef("String")), default=Default(["a"])),
                ),
            ),
        )
    )
    assert format_schema(schema) == (
        'event E {\n  /// Who.\n  @id: Uuid\n  n: [Int] = [1, 2]\n  tags: [String] = ["a"]\n}\n'
    )


@settings(max_examples=200)
@given(schemas())
def test_formatted_schemas_parse_back_to_the_same_schema(schema: Schema) -> None:
    text = format_schema(schema)
    assert parse_schema(text) == schema


@settings(max_examples=100)
@given(schemas(max_events=5, max_types=3, max_enums=3, max_fields=8))
def test_formatting_is_idempotent(schema: Schema) -> None:
    text = format_schema(schema)
    assert format_schema(parse_schema(text)) == text
    assert text.endswith("\n")
    assert "\n\n\n" not in text
