"""A schema that parses but makes no sense is refused with every problem, each at its place."""

from __future__ import annotations

import pytest

from esruntime.errors import SchemaProblem, SchemaSemanticError
from esruntime.schema import EnumDecl, EventDecl, Field, Schema, TypeRef, parse_schema
from esruntime.schema.checks import check_schema

NAMESPACE = "events, types and enums share one namespace"
DOMAIN_TYPES = (
    "'@' marks a domain id, which must be String, Int, Long or Uuid (optionally with '?')"
)
CYCLE = "make one of them optional or an array"

CASES = [
    # type references
    ("event A { a: Strin }", 1, 11, "field 'a': unknown type 'Strin' (did you mean 'String'?)"),
    ("event A { a: Currncy }\nenum Currency { EUR }", 1, 11,
     "field 'a': unknown type 'Currncy' (did you mean 'Currency'?)"),
    ("event A { a: [[Adress?]]? }\ntype Address {}", 1, 11,
     "field 'a': unknown type 'Adress' (did you mean 'Address'?)"),
    ("event A { a: STRING }", 1, 11, "field 'a': unknown type 'STRING' (did you mean 'String'?)"),
    ("event A { a: Foo }", 1, 11, "field 'a': unknown type 'Foo'"),
    ("event A { a: B }\nevent B {}", 1, 11,
     "field 'a': 'B' is an event; a field's type is a scalar, a type or an enum"),
    # one namespace
    ("event A {}\nevent A {}", 2, 1,
     f"'A' is already declared at line 1 (as event A); {NAMESPACE}"),
    ("event A {}\ntype A {}", 2, 1,
     f"'A' is already declared at line 1 (as event A); {NAMESPACE}"),
    ("enum A { X }\n\nevent A {}", 3, 1,
     f"'A' is already declared at line 1 (as enum A); {NAMESPACE}"),
    ("type String {}", 1, 1,
     "'String' is a built-in scalar type; choose another name for this type"),
    ("enum Json { A }", 1, 1,
     "'Json' is a built-in scalar type; choose another name for this enum"),
    # duplicates and empty enums
    ("event A {\n  a: Int\n  b: Int\n  a: String\n}", 4, 3,
     "duplicate field 'a' in event A (first declared at line 2)"),
    ("type T { x: Int, x: Int }", 1, 18,
     "duplicate field 'x' in type T (first declared at line 1)"),
    ("enum E { A, B, A }", 1, 16, "duplicate variant 'A' in enum E"),
    ("enum E {\n  A\n  A\n}", 3, 3, "duplicate variant 'A' in enum E"),
    ("enum E {}", 1, 1, "enum E has no variants; declare at least one"),
    # domain ids
    ("event A { @a: Float }", 1, 11, f"field 'a': {DOMAIN_TYPES}, not Float"),
    ("event A { @a: [String] }", 1, 11, f"field 'a': {DOMAIN_TYPES}, not [String]"),
    ("event A { @a: Bool? }", 1, 11, f"field 'a': {DOMAIN_TYPES}, not Bool?"),
    ("event A { @a: E }\nenum E { X }", 1, 11, f"field 'a': {DOMAIN_TYPES}, not E"),
    ("type T { @a: String }", 1, 10,
     "field 'a': '@' marks a domain id, which only an event's fields can be "
     "(its value becomes a tag on the event), not type T's"),
    ("event A { @a: Strng }", 1, 11, "field 'a': unknown type 'Strng' (did you mean 'String'?)"),
    # defaults
    ('event A { a: Float = "x" }', 1, 11,
     "field 'a': default \"x\" is invalid: expected a number (Float), got the string 'x'"),
    ("event A { a: String = 1 }", 1, 11,
     "field 'a': default 1 is invalid: expected a string (String), got the integer 1"),
    ("event A { a: Int = 1.5 }", 1, 11,
     "field 'a': default 1.5 is invalid: expected an integer (Int), got the number 1.5"),
    ("event A { a: Int = 2147483648 }", 1, 11,
     "field 'a': default 2147483648 is invalid: expected an integer between -2147483648 and "
     "2147483647 (Int), got the integer 2147483648"),
    ("event A { a: Long = -9223372036854775809 }", 1, 11,
     "field 'a': default -9223372036854775809 is invalid: expected an integer between "
     "-9223372036854775808 and 9223372036854775807 (Long), got the integer -9223372036854775809"),
    ("event A { a: Bool = 1 }", 1, 11,
     "field 'a': default 1 is invalid: expected a boolean (Bool), got the integer 1"),
    ("event A { a: String = null }", 1, 11,
     "field 'a': default null is invalid: String is not optional (write String? to allow null)"),
    ("event A { a: Json = null }", 1, 11,
     "field 'a': default null is invalid: Json is not optional (write Json? to allow null)"),
    ("event A { a: [Int?] = [1, null], b: [Int] = [null] }", 1, 34,
     "field 'b': default [null] is invalid: Int is not optional (write Int? to allow null)"),
    ('event A { a: String = ["x"] }', 1, 11,
     "field 'a': default [\"x\"] is invalid: expected a String, got the list [\"x\"]"),
    ('event A { a: [String] = "x" }', 1, 11,
     "field 'a': default \"x\" is invalid: expected a list ([String]), got \"x\""),
    ("event A { a: [[Int]] = [[1], 2] }", 1, 11,
     "field 'a': default [[1], 2] is invalid: expected a list ([Int]), got 2"),
    ("event A { a: E = Z }\nenum E { X, Y }", 1, 11,
     "field 'a': default Z is invalid: Z is not a variant of enum E (X, Y)"),
    ('event A { a: E = "X" }\nenum E { X }', 1, 11,
     "field 'a': default \"X\" is invalid: expected a bare variant of enum E, like X, got \"X\""),
    ("event A { a: String = X }", 1, 11,
     "field 'a': default X is invalid: expected a String, got the bare name X "
     "(bare names are enum variants; strings are double-quoted)"),
    ("event A { a: Json = [X] }", 1, 11,
     "field 'a': default [X] is invalid: expected a Json, got bare names in [X] "
     "(bare names are enum variants; strings are double-quoted)"),
    ("event A { a: T = null, b: T? = null }\ntype T {}", 1, 11,
     "field 'a': default null is invalid: T is not optional (write T? to allow null)"),
    ('event A { a: Bytes = "not base64!" }', 1, 11,
     "field 'a': default \"not base64!\" is invalid: expected a padded standard base64 string "
     "(Bytes), got the string 'not base64!'"),
    ('event A { a: Timestamp = "yesterday" }', 1, 11,
     "field 'a': default \"yesterday\" is invalid: expected an RFC 3339 timestamp (Timestamp), "
     "got the string 'yesterday'"),
    ('event A { a: Uuid = "0B5C7A3E-8F3D-4C1A-9D3E-2F6B1A7C9E10" }', 1, 11,
     "field 'a': default \"0B5C7A3E-8F3D-4C1A-9D3E-2F6B1A7C9E10\" is invalid: expected a "
     "lower-case hyphenated UUID (Uuid), got the string '0B5C7A3E-8F3D-4C1A-9D3E-2F6B1A7C9E10'"),
    # required cycles
    ("type T { t: T }", 1, 1,
     f"type T can never be satisfied: its required fields lead back to it (T.t -> T); {CYCLE}"),
    ("type A { b: B }\ntype B { c: C }\ntype C { a: A }", 1, 1,
     "type A can never be satisfied: its required fields lead back to it "
     f"(A.b -> B.c -> C.a -> A); {CYCLE}"),
    ("type A { b: B }\ntype B { b: B }", 2, 1,
     f"type B can never be satisfied: its required fields lead back to it (B.b -> B); {CYCLE}"),
    ("event E { a: A }\ntype B { a: A, x: [A] }\ntype A { b: B }", 2, 1,
     "type B can never be satisfied: its required fields lead back to it "
     f"(B.a -> A.b -> B); {CYCLE}"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "line", "column", "message"), CASES, ids=[case[0][:40] for case in CASES]
)
def test_each_problem_is_reported_where_it_is(
    text: str, line: int, column: int, message: str
) -> None:
    with pytest.raises(SchemaSemanticError) as caught:
        parse_schema(text)

    assert caught.value.problems == (SchemaProblem(line, column, message),)
    assert f"  line {line}, column {column}: {message}" in str(caught.value)


@pytest.mark.parametrize(
    "text",
    [
        "type A { b: B? }\ntype B { a: A }",
        "type A { b: [B] }\ntype B { a: A }",
        "type Tree { children: [Tree], parent: Tree? }",
        "type A { b: B }\ntype B { c: C? }\ntype C { a: A }",
        "event E { @id: Uuid?, @n: Int, @m: Long?, @s: String }",
        "event E { a: E2 = X, b: [E2?] = [X, null], c: [E2] = [] }\nenum E2 { X }",
        'event E { a: Float = 1, b: Double = -2.5e-3, c: Json = [1, "x", [true, null]] }',
        'event E { a: Timestamp = "2024-01-01T00:00:00+05:30", b: Bytes = "" }',
        "event E { t: T? = null, ts: [T] = [] }\ntype T { x: Int }",
        "event E { a: Json? = null }",
    ],
)
def test_sound_schemas_pass(text: str) -> None:
    parse_schema(text)


def test_every_problem_is_reported_at_once_in_source_order() -> None:
    text = (
        "event Deposited {\n"  # 1
        "  @account_id: Strin\n"  # 2
        '  amount: Float = "ten"\n'  # 3
        "  amount: Float\n"  # 4
        "  @when: Timestamp\n"  # 5
        "}\n"  # 6
        "enum Currency { EUR, EUR }\n"  # 7
        "type Node { next: Node }\n"  # 8
        "event Deposited {}\n"  # 9
    )
    with pytest.raises(SchemaSemanticError) as caught:
        parse_schema(text)

    assert [(p.line, p.column) for p in caught.value.problems] == [
        (2, 3),
        (3, 3),
        (4, 3),
        (5, 3),
        (7, 22),
        (8, 1),
        (9, 1),
    ]
    assert str(caught.value).startswith("the schema has 7 problem(s):\n  line 2, column 3: ")


def test_a_schema_built_in_code_can_be_checked_and_points_at_its_enum_for_variants() -> None:
    schema = Schema(
        events=(EventDecl("E", (Field("c", TypeRef("Colour")),), line=1, column=1),),
        enums=(EnumDecl("Colour", ("RED", "RED"), line=5, column=1),),
    )

    assert check_schema(schema) == [SchemaProblem(5, 1, "duplicate variant 'RED' in enum Colour")]


def test_only_the_first_unknown_names_get_a_suggestion_so_checks_stay_fast() -> None:
    types = "".join(f"type Type{i:03d} {{}}\n" for i in range(30))
    fields = "".join(f"  f{i}: Tpye{i:03d}\n" for i in range(30))
    with pytest.raises(SchemaSemanticError) as caught:
        parse_schema(types + "event E {\n" + fields + "}")

    hinted = [p for p in caught.value.problems if "did you mean" in p.message]
    assert len(caught.value.problems) == 30
    assert len(hinted) == 20
    assert hinted[0].message == "field 'f0': unknown type 'Tpye000' (did you mean 'Type000'?)"


def test_duplicates_are_found_even_when_they_are_the_same_object() -> None:
    field = Field("a", TypeRef("Int"), line=2, column=3)
    event = EventDecl("E", (field, field), line=1, column=1)

    assert check_schema(Schema(events=(event, event))) == [
        SchemaProblem(1, 1, "'E' is already declared at line 1 (as event E); " + NAMESPACE),
        SchemaProblem(2, 3, "duplicate field 'a' in event E (first declared at line 2)"),
        SchemaProblem(2, 3, "duplicate field 'a' in event E (first declared at line 2)"),
    ]
