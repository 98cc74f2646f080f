"""Event data is checked against its event type: every rule both ways, with exact paths."""

from __future__ import annotations

import base64
import gc
import json
import uuid
import weakref
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from esruntime import Event, InMemoryEventStore, SqlEventStore
from esruntime.errors import EventValidationError, SchemaError
from esruntime.schema.cache import SchemaCache
from esruntime.schema.model import EventDecl, Schema
from esruntime.schema.validation import MAX_DEPTH, MAX_REPORTED, upcast, validate_event, violations
from tests.schema.data_schemas import SHOP, field, one_field

UUID = "8d1b7a52-3c1e-4f5e-9a7b-2d3c4e5f6a7b"
WIDE_2024 = "\uff12\uff10\uff12\uff14"  # full-width digits: Unicode digits, not ASCII ones


ACCEPTED: list[tuple[str, Any]] = [
    ("String", ""),
    ("String", "héllo ✓"),
    ("Int", 0),
    ("Int", -(2**31)),
    ("Int", 2**31 - 1),
    ("Long", -(2**63)),
    ("Long", 2**63 - 1),
    ("Float", 1.5),
    ("Float", 3),
    ("Float", -0.0),
    ("Float", 1.7976931348623157e308),
    ("Double", 2**53 + 1),
    ("Bool", True),
    ("Bool", False),
    ("Bytes", ""),
    ("Bytes", "QQ=="),
    ("Bytes", "QUI="),
    ("Bytes", "QUJD"),
    ("Bytes", "+/+/"),
    ("Timestamp", "2024-05-01T12:34:56Z"),
    ("Timestamp", "2024-05-01T12:34:56.789+05:30"),
    ("Timestamp", "2024-05-01T12:34:56.123456789-23:59"),
    ("Timestamp", "2024-02-29T00:00:00-00:00"),
    ("Timestamp", "0001-01-01T00:00:00Z"),
    ("Uuid", UUID),
    ("Json", {"a": [1, None, "x", 1.5, True, {"b": []}]}),
    ("Json", []),
    ("Json", 0),
    ("Json", "text"),
    ("Json", False),
    ("Currency", "EUR"),
    ("Currency", "GBP"),
    ("Line", {"sku": "A-1", "quantity": 2, "notes": []}),
    ("Line", {"sku": "A-1", "quantity": 2, "price": None, "notes": ["gift"]}),
    ("Category", {"name": "shoes", "parent": {"name": "clothes", "parent": None}}),
    ("[Int]", []),
    ("[Int]", [1, 2, 3]),
    ("[Int?]", [1, None]),
    ("[[Int]]", [[], [1], [2, 3]]),
    ("[Line]", [{"sku": "A", "quantity": 1, "notes": []}]),
    ("[Currency]", ["EUR", "USD"]),
    ("Int?", 5),
    ("Int?", None),
    ("[Int]?", None),
]


@pytest.mark.parametrize(("type_text", "value"), ACCEPTED)
def test_a_value_of_the_declared_type_is_accepted(type_text: str, value: Any) -> None:
    assert violations(one_field(type_text), "One", {"value": value}) == []


REFUSED: list[tuple[str, Any, str]] = [
    ("String", 12, "expected a string (String), got the integer 12"),
    ("String", b"x", "expected a string (String), got a Python bytes"),
    ("Int", True, "expected an integer (Int), got the boolean true"),
    ("Int", 1.0, "expected an integer (Int), got the number 1.0"),
    ("Int", "1", "expected an integer (Int), got the string '1'"),
    (
        "Int",
        2**31,
        "expected an integer between -2147483648 and 2147483647 (Int), got the integer 2147483648",
    ),
    (
        "Int",
        -(2**31) - 1,
        "expected an integer between -2147483648 and 2147483647 (Int), got the integer -2147483649",
    ),
    (
        "Long",
        2**63,
        "expected an integer between -9223372036854775808 and 9223372036854775807 (Long), "
        "got the integer 9223372036854775808",
    ),
    ("Float", "12", "expected a number (Float), got the string '12'"),
    ("Float", False, "expected a number (Float), got the boolean false"),
    ("Float", float("nan"), "expected a finite number (Float), got the number nan"),
    ("Float", float("inf"), "expected a finite number (Float), got the number inf"),
    (
        "Float",
        10**400,
        "expected a number within the range of a double (Float), got a 1,329-bit integer",
    ),
    ("Double", float("-inf"), "expected a finite number (Double), got the number -inf"),
    ("Double", None, "required field is null"),
    ("Bool", 1, "expected a boolean (Bool), got the integer 1"),
    ("Bool", "true", "expected a boolean (Bool), got the string 'true'"),
    ("Bytes", "QQ", "expected a padded standard base64 string (Bytes), got the string 'QQ'"),
    ("Bytes", "QQ=", "expected a padded standard base64 string (Bytes), got the string 'QQ='"),
    ("Bytes", "QUJD=", "expected a padded standard base64 string (Bytes), got the string 'QUJD='"),
    (
        "Bytes",
        "QQ==\n",
        "expected a padded standard base64 string (Bytes), got the string 'QQ==\\n'",
    ),
    ("Bytes", "-_8=", "expected a padded standard base64 string (Bytes), got the string '-_8='"),
    ("Bytes", b"AB", "expected a padded standard base64 string (Bytes), got a Python bytes"),
    (
        "Timestamp",
        "2024-05-01 12:34:56Z",
        "expected an RFC 3339 timestamp (Timestamp), got the string '2024-05-01 12:34:56Z'",
    ),
    (
        "Timestamp",
        "2024-05-01T12:34:56",
        "expected an RFC 3339 timestamp (Timestamp), got the string '2024-05-01T12:34:56'",
    ),
    (
        "Timestamp",
        "2024-05-01t12:34:56Z",
        "expected an RFC 3339 timestamp (Timestamp), got the string '2024-05-01t12:34:56Z'",
    ),
    (
        "Timestamp",
        "2024-05-01T12:34:56z",
        "expected an RFC 3339 timestamp (Timestamp), got the string '2024-05-01T12:34:56z'",
    ),
    (
        "Timestamp",
        "2024-05-01T12:34:56+0530",
        "expected an RFC 3339 timestamp (Timestamp), got the string '2024-05-01T12:34:56+0530'",
    ),
    (
        "Timestamp",
        "2024-05-01T12:34:56+05:60",
        "expected an RFC 3339 timestamp (Timestamp), got the string '2024-05-01T12:34:56+05:60'",
    ),
    (
        "Timestamp",
        "20240501T123456Z",
        "expected an RFC 3339 timestamp (Timestamp), got the string '20240501T123456Z'",
    ),
    (
        "Timestamp",
        f"{WIDE_2024}-05-01T12:34:56Z",
        f"expected an RFC 3339 timestamp (Timestamp), got the string '{WIDE_2024}-05-01T12:34:56Z'",
    ),
    (
        "Timestamp",
        "2024-02-30T00:00:00Z",
        "expected an RFC 3339 timestamp (Timestamp), got the string '2024-02-30T00:00:00Z' "
        "(day is out of range for month)",
    ),
    (
        "Timestamp",
        "2016-12-31T23:59:60Z",
        "expected an RFC 3339 timestamp (Timestamp), got the string '2016-12-31T23:59:60Z' "
        "(second must be in 0..59)",
    ),
    (
        "Timestamp",
        "0000-01-01T00:00:00Z",
        "expected an RFC 3339 timestamp (Timestamp), got the string '0000-01-01T00:00:00Z' "
        "(year 0 is out of range)",
    ),
    (
        "Timestamp",
        datetime(2024, 5, 1, tzinfo=UTC),
        "expected an RFC 3339 timestamp (Timestamp), got a Python datetime",
    ),
    (
        "Uuid",
        UUID.upper(),
        f"expected a lower-case hyphenated UUID (Uuid), got the string '{UUID.upper()}'",
    ),
    (
        "Uuid",
        UUID[:-1] + "B",
        f"expected a lower-case hyphenated UUID (Uuid), got the string '{UUID[:-1]}B'",
    ),
    (
        "Uuid",
        UUID.replace("-", ""),
        f"expected a lower-case hyphenated UUID (Uuid), got the string '{UUID.replace('-', '')}'",
    ),
    (
        "Uuid",
        "{" + UUID + "}",
        "expected a lower-case hyphenated UUID (Uuid), got the string '{" + UUID + "}'",
    ),
    ("Uuid", uuid.UUID(UUID), "expected a lower-case hyphenated UUID (Uuid), got a Python UUID"),
    ("Json", None, "required field is null"),
    ("Json", (1, 2), "expected a JSON value (Json), got a Python tuple"),
    ("Json", float("nan"), "expected a finite number (Json), got the number nan"),
    ("Currency", "JPY", "expected one of 'EUR', 'USD', 'GBP' (Currency), got the string 'JPY'"),
    ("Currency", "eur", "expected one of 'EUR', 'USD', 'GBP' (Currency), got the string 'eur'"),
    ("Currency", 0, "expected one of 'EUR', 'USD', 'GBP' (Currency), got the integer 0"),
    ("Line", [], "expected an object (Line), got an array"),
    ("Line", "A-1", "expected an object (Line), got the string 'A-1'"),
    ("[Int]", (1, 2), "expected an array ([Int]), got a Python tuple"),
    ("[Int]", {"0": 1}, "expected an array ([Int]), got an object"),
    ("[Int]", "12", "expected an array ([Int]), got the string '12'"),
    ("[Int]?", 1, "expected an array ([Int]), got the integer 1"),
    ("Int?", "1", "expected an integer (Int), got the string '1'"),
]


@pytest.mark.parametrize(("type_text", "value", "message"), REFUSED)
def test_a_value_of_another_kind_is_refused_at_its_path(
    type_text: str, value: Any, message: str
) -> None:
    assert violations(one_field(type_text), "One", {"value": value}) == [("$.value", message)]


@pytest.mark.parametrize(
    ("type_text", "value", "path", "message"),
    [
        ("[Int]", [1, None], "$.value[1]", "expected an integer (Int), got null"),
        ("[Int]", [1, "2"], "$.value[1]", "expected an integer (Int), got the string '2'"),
        ("[Line]", [None], "$.value[0]", "expected an object (Line), got null"),
        (
            "[[Int]]",
            [[1], [2, True]],
            "$.value[1][1]",
            "expected an integer (Int), got the boolean true",
        ),
        ("[[Int]]", [[1], 2], "$.value[1]", "expected an array ([Int]), got the integer 2"),
        ("[Json]", [None], "$.value[0]", "expected a JSON value (Json), got null"),
        ("Line", {"quantity": 1, "notes": []}, "$.value.sku", "required field is missing"),
        (
            "Line",
            {"sku": "A", "quantity": None, "notes": []},
            "$.value.quantity",
            "required field is null",
        ),
        (
            "Line",
            {"sku": "A", "quantity": 1, "notes": [], "colour": "red"},
            "$.value",
            "undeclared field 'colour'",
        ),
        (
            "Category",
            {"name": "a", "parent": {"name": "b", "parent": {"name": 3}}},
            "$.value.parent.parent.name",
            "expected a string (String), got the integer 3",
        ),
        (
            "Json",
            {"a": [1, float("inf")]},
            "$.value.a[1]",
            "expected a finite number (Json), got the number inf",
        ),
        (
            "Json",
            {"a b": [{"ok": {1, 2}}]},
            '$.value["a b"][0].ok',
            "expected a JSON value (Json), got a Python set",
        ),
        ("Json", {"é": b"x"}, '$.value["é"]', "expected a JSON value (Json), got a Python bytes"),
        ("Json", {1: "x"}, "$.value", "object key 1 is not a string"),
    ],
)
def test_nested_values_are_refused_at_their_own_path(
    type_text: str, value: Any, path: str, message: str
) -> None:
    assert violations(one_field(type_text), "One", {"value": value}) == [(path, message)]


def test_an_optional_field_may_be_missing_or_null_but_a_required_one_may_not() -> None:
    schema = Schema(events=(EventDecl("E", (field("a", "Int"), field("b", "Int?"))),))

    assert violations(schema, "E", {"a": 1}) == []
    assert violations(schema, "E", {"a": 1, "b": None}) == []
    assert violations(schema, "E", {"b": 1}) == [("$.a", "required field is missing")]
    assert violations(schema, "E", {"a": None}) == [("$.a", "required field is null")]


def test_a_field_with_a_default_is_still_required_in_new_data() -> None:
    schema = Schema(events=(EventDecl("E", (field("a", "Int", default=1),)),))

    assert violations(schema, "E", {}) == [("$.a", "required field is missing")]


def test_undeclared_fields_are_each_named_at_the_object_holding_them() -> None:
    schema = Schema(events=(EventDecl("E", (field("a", "Int"),)),))

    assert violations(schema, "E", {"a": 1, "colour": "red", 7: None}) == [
        ("$", "undeclared field 'colour'"),
        ("$", "undeclared field 7"),
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "expected an object (One), got an array"),
        (None, "expected an object (One), got null"),
        ("{}", "expected an object (One), got the string '{}'"),
        (b"{}", "expected an object (One), got a Python bytes"),
    ],
)
def test_data_that_is_not_an_object_is_one_violation_at_the_root(data: Any, message: str) -> None:
    assert violations(one_field("Int"), "One", data) == [("$", message)]


def test_an_unknown_event_type_is_one_violation_and_raises_like_any_other() -> None:
    assert violations(SHOP, "Nope", {}) == [("$", "unknown event type 'Nope'")]
    with pytest.raises(EventValidationError) as raised:
        validate_event(SHOP, "Nope", {})
    assert raised.value.event_type == "Nope"
    assert raised.value.violations == (("$", "unknown event type 'Nope'"),)


def test_every_violation_is_listed_at_once_in_document_order() -> None:
    data = {
        "account_id": 7,
        "initial_balance": "12",
        "currency": "JPY",
        "labels": ["a", None],
        "lines": [
            {"sku": "A", "quantity": 1, "notes": []},
            {"quantity": True, "notes": [], "colour": 1},
        ],
        "address": {"street": "Main"},
        "colour": "red",
    }

    assert violations(SHOP, "OpenedAccount", data) == [
        ("$.account_id", "expected a string (String), got the integer 7"),
        ("$.initial_balance", "expected a number (Float), got the string '12'"),
        ("$.currency", "expected one of 'EUR', 'USD', 'GBP' (Currency), got the string 'JPY'"),
        ("$.labels[1]", "expected a string (String), got null"),
        ("$.lines[1].sku", "required field is missing"),
        ("$.lines[1].quantity", "expected an integer (Int), got the boolean true"),
        ("$.lines[1]", "undeclared field 'colour'"),
        ("$.address.city", "required field is missing"),
        ("$", "undeclared field 'colour'"),
    ]


def test_validate_event_returns_quietly_or_raises_with_every_violation() -> None:
    good = {"account_id": "a", "initial_balance": 1, "currency": "EUR", "labels": []}
    validate_event(SHOP, "OpenedAccount", good)  # no exception

    with pytest.raises(EventValidationError) as raised:
        validate_event(SHOP, "OpenedAccount", {**good, "initial_balance": "1", "x": 1})
    assert raised.value.event_type == "OpenedAccount"
    assert raised.value.violations == (
        ("$.initial_balance", "expected a number (Float), got the string '1'"),
        ("$", "undeclared field 'x'"),
    )
    assert str(raised.value) == (
        "OpenedAccount data is invalid: $.initial_balance: expected a number (Float), "
        "got the string '1'; $: undeclared field 'x'"
    )
    assert isinstance(raised.value, SchemaError)


def test_the_error_carries_a_bounded_number_of_violations_and_counts_the_rest() -> None:
    data = {"value": ["x"] * 100_000}

    assert len(violations(one_field("[Int]"), "One", data)) == 100_000
    with pytest.raises(EventValidationError) as raised:
        validate_event(one_field("[Int]"), "One", data)
    shown = raised.value.violations
    assert len(shown) == MAX_REPORTED + 1
    assert shown[0] == ("$.value[0]", "expected an integer (Int), got the string 'x'")
    assert shown[MAX_REPORTED - 1][0] == f"$.value[{MAX_REPORTED - 1}]"
    assert shown[-1] == ("$", f"... and {100_000 - MAX_REPORTED:,} more violations")


def test_long_strings_and_huge_integers_are_shortened_in_messages() -> None:
    (found,) = violations(one_field("Int"), "One", {"value": "z" * 1_000_000})
    assert found == (
        "$.value",
        f"expected an integer (Int), got the string {'z' * 40!r}... (1,000,000 characters)",
    )
    (found,) = violations(one_field("String"), "One", {"value": 7**100_000})
    assert found == ("$.value", "expected a string (String), got a 280,736-bit integer")


class TestHostileData:
    def test_lists_nested_100_000_deep_in_a_json_field_are_refused_at_the_depth_limit(
        self,
    ) -> None:
        deep: list[Any] = []
        for _ in range(100_000):
            deep = [deep]

        # The data is level 1 and the field's value level 2: level MAX_DEPTH + 1 is refused.
        path = "$.value" + "[0]" * (MAX_DEPTH - 1)
        assert violations(one_field("Json"), "One", {"value": deep}) == [
            (path, f"nested deeper than {MAX_DEPTH} levels")
        ]

    def test_json_nested_exactly_to_the_limit_is_accepted_and_stored(self, tmp_path: Any) -> None:
        deepest: list[Any] = []
        for _ in range(MAX_DEPTH - 2):
            deepest = [deepest]
        data = {"value": deepest}
        assert violations(one_field("Json"), "One", data) == []
        assert violations(one_field("Json"), "One", {"value": [deepest]}) != []

        # The limit is what the stores' JSON codecs can write and read back.
        for store in (InMemoryEventStore(), SqlEventStore(f"sqlite:///{tmp_path}/e.db")):
            store.append(Event("One", data))
            assert next(iter(store.read())).data == data
            store.close()

    def test_objects_nested_100_000_deep_in_a_recursive_type_are_refused_at_the_limit(
        self,
    ) -> None:
        deep: dict[str, Any] = {"name": "leaf", "parent": None}
        for _ in range(100_000):
            deep = {"name": "node", "parent": deep}

        path = "$.value" + ".parent" * (MAX_DEPTH - 1)
        assert violations(one_field("Category"), "One", {"value": deep}) == [
            (path, f"nested deeper than {MAX_DEPTH} levels")
        ]

    def test_deep_nesting_where_the_schema_has_none_stops_at_the_first_mismatch(self) -> None:
        deep_lists: list[Any] = []
        deep_dicts: dict[str, Any] = {}
        for _ in range(100_000):
            deep_lists = [deep_lists]
            deep_dicts = {"sku": deep_dicts}

        assert violations(one_field("[[Int]]"), "One", {"value": deep_lists}) == [
            ("$.value[0][0]", "expected an integer (Int), got an array")
        ]
        assert violations(one_field("Line"), "One", {"value": deep_dicts}) == [
            ("$.value.sku", "expected a string (String), got an object"),
            ("$.value.quantity", "required field is missing"),
            ("$.value.notes", "required field is missing"),
        ]

    def test_cyclic_structures_get_an_answer(self) -> None:
        cyclic_dict: dict[str, Any] = {}
        cyclic_dict["self"] = cyclic_dict
        cyclic_list: list[Any] = []
        cyclic_list.append(cyclic_list)
        category: dict[str, Any] = {"name": "loop"}
        category["parent"] = category

        too_deep = f"nested deeper than {MAX_DEPTH} levels"
        assert violations(one_field("Json"), "One", {"value": cyclic_dict}) == [
            ("$.value" + ".self" * (MAX_DEPTH - 1), too_deep)
        ]
        assert violations(one_field("Json"), "One", {"value": cyclic_list}) == [
            ("$.value" + "[0]" * (MAX_DEPTH - 1), too_deep)
        ]
        assert violations(one_field("Category"), "One", {"value": category}) == [
            ("$.value" + ".parent" * (MAX_DEPTH - 1), too_deep)
        ]
        data: dict[str, Any] = {"value": 1}
        data["self"] = data
        assert violations(one_field("Int"), "One", data) == [("$", "undeclared field 'self'")]

    def test_huge_arrays_are_checked_item_by_item(self) -> None:
        numbers: list[object] = list(range(1_000_000))
        assert violations(one_field("[Long]"), "One", {"value": numbers}) == []

        numbers[765_432] = "oops"
        assert violations(one_field("[Long]"), "One", {"value": numbers}) == [
            ("$.value[765432]", "expected an integer (Long), got the string 'oops'")
        ]

    def test_a_huge_json_document_is_walked_without_recursion(self) -> None:
        wide = {f"k{i}": [i, {"v": float(i)}] for i in range(100_000)}
        assert violations(one_field("Json"), "One", {"value": wide}) == []


class TestScalarFormats:
    """The format checks agree with the standard library's reading of the same values."""

    @given(st.uuids())
    def test_every_canonical_uuid_is_accepted_and_its_upper_case_is_not(
        self, value: uuid.UUID
    ) -> None:
        schema = one_field("Uuid")
        assert violations(schema, "One", {"value": str(value)}) == []
        if str(value) != str(value).upper():
            assert violations(schema, "One", {"value": str(value).upper()}) != []

    @given(st.uuids(), st.data())
    def test_a_uuid_string_is_accepted_exactly_when_it_is_the_canonical_form(
        self, value: uuid.UUID, data: st.DataObject
    ) -> None:
        flips = data.draw(st.lists(st.booleans(), min_size=36, max_size=36))
        text = "".join(c.upper() if flip else c for c, flip in zip(str(value), flips, strict=True))
        text = data.draw(st.sampled_from([text, text.replace("-", ""), f"{{{text}}}", text[1:]]))
        try:
            canonical = str(uuid.UUID(text)) == text
        except ValueError:
            canonical = False
        assert (violations(one_field("Uuid"), "One", {"value": text}) == []) == canonical

    @given(st.binary())
    def test_the_base64_of_any_bytes_is_accepted(self, value: bytes) -> None:
        encoded = base64.b64encode(value).decode("ascii")
        assert violations(one_field("Bytes"), "One", {"value": encoded}) == []

    @given(st.text(alphabet="ABCab+/=\n-_", max_size=12))
    def test_accepted_base64_decodes_strictly_to_whole_bytes(self, text: str) -> None:
        if violations(one_field("Bytes"), "One", {"value": text}) == []:
            decoded = base64.b64decode(text, validate=True)
            assert len(text) == 4 * ((len(decoded) + 2) // 3)

    @given(
        st.datetimes(
            timezones=st.one_of(
                st.integers(-1439, 1439).map(lambda m: timezone(timedelta(minutes=m))),
                st.integers(-86399, 86399).map(lambda s: timezone(timedelta(seconds=s))),
            )
        ),
        st.sampled_from(["seconds", "milliseconds", "microseconds"]),
    )
    def test_datetimes_written_by_isoformat_are_accepted_when_the_offset_is_whole_minutes(
        self, moment: datetime, timespec: str
    ) -> None:
        text = moment.isoformat(timespec=timespec)
        offset = moment.utcoffset()
        assert offset is not None
        accepted = violations(one_field("Timestamp"), "One", {"value": text}) == []
        assert accepted == (offset.seconds % 60 == 0)
        if accepted:
            parsed = datetime.fromisoformat(text)
            assert parsed.utcoffset() == offset
            assert parsed.replace(tzinfo=None, microsecond=0) == moment.replace(
                tzinfo=None, microsecond=0
            )

    @given(st.floats(allow_nan=True, allow_infinity=True) | st.integers())
    def test_numbers_are_accepted_exactly_when_json_can_carry_them_as_a_double(
        self, value: float
    ) -> None:
        accepted = violations(one_field("Double"), "One", {"value": value}) == []
        try:
            as_double = float(json.loads(json.dumps(value, allow_nan=False)))
        except (ValueError, OverflowError):
            as_double = None
        assert accepted == (as_double is not None and abs(as_double) != float("inf"))


class TestCompiledSchemas:
    def test_a_schema_is_compiled_once_and_forgotten_when_it_is_gone(self) -> None:
        compiled: list[Schema] = []

        def compile(schema: Schema) -> int:
            compiled.append(schema)
            return len(compiled)

        cache = SchemaCache(compile)
        schema = one_field("Int")

        assert cache.get(schema) == 1
        assert cache.get(schema) == 1
        assert cache.get(one_field("Int")) == 2  # equal, but another object
        assert len(cache) <= 2

        compiled.clear()
        del schema
        gc.collect()
        assert len(cache) == 0

    def test_validating_does_not_keep_a_schema_alive(self) -> None:
        schema = one_field("Category")
        assert violations(schema, "One", {"value": {"name": "x"}}) == []
        alive = weakref.ref(schema)

        del schema
        gc.collect()
        assert alive() is None

    def test_each_schema_object_is_validated_by_its_own_rules_when_ids_are_reused(
        self,
    ) -> None:
        for type_text, value in [("Int", 1), ("String", "s")] * 50:
            schema = one_field(type_text)
            assert violations(schema, "One", {"value": value}) == []
            del schema

    def test_a_type_the_schema_does_not_declare_is_a_schema_error(self) -> None:
        broken = Schema(events=(EventDecl("E", (field("a", "Missing"),)),))
        with pytest.raises(SchemaError, match="'Missing'"):
            violations(broken, "E", {"a": 1})


class TestPublicSurface:
    def test_the_schema_package_exports_validation_and_upcasting(self) -> None:
        import esruntime.schema

        assert esruntime.schema.violations is violations
        assert esruntime.schema.validate_event is validate_event
        assert esruntime.schema.upcast is upcast

    def test_the_specs_example_schema_validates_and_upcasts_its_events(self) -> None:
        from esruntime.schema import parse_schema

        schema = parse_schema(
            """
            event ReceivedFunds {
              @account_id: String
              amount: Float
              @sender_id: String?
              currency: Currency = EUR
            }
            enum Currency { EUR, USD, GBP }
            """
        )
        older = {"account_id": "acc-1", "amount": 12}

        assert violations(schema, "ReceivedFunds", older) == [
            ("$.currency", "required field is missing")
        ]
        current = upcast(schema, "ReceivedFunds", older)
        assert current == {
            "account_id": "acc-1",
            "amount": 12,
            "sender_id": None,
            "currency": "EUR",
        }
        assert violations(schema, "ReceivedFunds", current) == []
