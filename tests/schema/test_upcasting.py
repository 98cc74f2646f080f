"""Events stored before fields were added are read in the schema's current shape."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from esruntime.schema.model import Default, EnumDecl, EventDecl, Schema, TypeDecl
from esruntime.schema.validation import MAX_DEPTH, upcast, violations
from esruntime.testing import event_data
from esruntime.testing.schemas import schemas as shipped_schemas
from tests.schema.data_schemas import SHOP, field, located, present_fields, schemas

OLD_OPENED = {"account_id": "acc-1", "initial_balance": 10.0}
LINE = {"sku": "A", "quantity": 1, "price": 2.5, "notes": ["gift"]}


@pytest.mark.parametrize(
    ("stored", "expected"),
    [
        pytest.param(
            OLD_OPENED,
            {
                **OLD_OPENED,
                "opened_at": None,
                "currency": "EUR",
                "labels": ["new"],
                "limit": 100,
                "lines": None,
                "address": None,
            },
            id="every added field filled: default, enum variant, list, optional null",
        ),
        pytest.param(
            {**OLD_OPENED, "lines": [{"sku": "A", "quantity": 1}, LINE]},
            {
                **OLD_OPENED,
                "opened_at": None,
                "currency": "EUR",
                "labels": ["new"],
                "limit": 100,
                "lines": [{"sku": "A", "quantity": 1, "price": None, "notes": []}, LINE],
                "address": None,
            },
            id="objects in arrays of a type are filled too",
        ),
        pytest.param(
            {**OLD_OPENED, "opened_at": None, "currency": "USD", "labels": [], "limit": None},
            {
                **OLD_OPENED,
                "opened_at": None,
                "currency": "USD",
                "labels": [],
                "limit": None,
                "lines": None,
                "address": None,
            },
            id="present values, nulls included, are kept",
        ),
        pytest.param(
            {"initial_balance": 1.0},
            {
                "initial_balance": 1.0,
                "opened_at": None,
                "currency": "EUR",
                "labels": ["new"],
                "limit": 100,
                "lines": None,
                "address": None,
            },
            id="a required field without a default stays missing",
        ),
    ],
)
def test_missing_fields_are_filled(stored: dict[str, Any], expected: dict[str, Any]) -> None:
    before = copy.deepcopy(stored)

    assert upcast(SHOP, "OpenedAccount", stored) == expected
    assert stored == before


def test_a_recursive_type_is_filled_at_every_level() -> None:
    schema = Schema(
        events=(EventDecl("Tagged", (field("category", "Category"),)),),
        types=(
            TypeDecl(
                "Category",
                (
                    field("name", "String"),
                    field("parent", "Category?"),
                    field("rank", "Int", default=0),
                ),
            ),
        ),
    )
    stored = {"category": {"name": "a", "parent": {"name": "b"}}}

    assert upcast(schema, "Tagged", stored) == {
        "category": {
            "name": "a",
            "rank": 0,
            "parent": {"name": "b", "rank": 0, "parent": None},
        }
    }


def test_complete_data_is_returned_as_the_same_object() -> None:
    complete = upcast(SHOP, "OpenedAccount", OLD_OPENED)
    assert complete is not OLD_OPENED

    assert upcast(SHOP, "OpenedAccount", complete) is complete


def test_only_what_changes_is_copied() -> None:
    complete_line = dict(LINE)
    stored: dict[str, Any] = {**OLD_OPENED, "lines": [{"sku": "B", "quantity": 2}, complete_line]}

    result = upcast(SHOP, "OpenedAccount", stored)

    assert isinstance(result, dict)
    assert result["lines"] is not stored["lines"]
    assert result["lines"][0] is not stored["lines"][0]
    assert result["lines"][1] is complete_line


def test_each_filled_list_is_a_new_list() -> None:
    first = upcast(SHOP, "OpenedAccount", OLD_OPENED)
    second = upcast(SHOP, "OpenedAccount", OLD_OPENED)
    assert isinstance(first, dict)
    assert isinstance(second, dict)

    first["labels"].append("changed")

    assert second["labels"] == ["new"]
    assert upcast(SHOP, "OpenedAccount", OLD_OPENED) == {**second, "labels": ["new"]}


def test_a_nested_list_default_held_as_tuples_becomes_lists() -> None:
    schema = Schema(events=(EventDecl("E", (field("grid", "[[Int]]", default=((1, 2), ())),)),))

    assert upcast(schema, "E", {}) == {"grid": [[1, 2], []]}


def test_an_enum_default_is_the_variant_name() -> None:
    schema = Schema(
        events=(
            EventDecl(
                "E",
                (
                    field("level", "Level", default=Default("HIGH", enum_variant=True)),
                    field("levels", "[Level]", default=Default(("LOW",), enum_variant=True)),
                ),
            ),
        ),
        enums=(EnumDecl("Level", ("LOW", "HIGH")),),
    )

    assert upcast(schema, "E", {}) == {"level": "HIGH", "levels": ["LOW"]}


ONLY_REQUIRED = Schema(events=(EventDecl("E", (field("a", "Int"),)),))


@pytest.mark.parametrize(
    ("schema", "event_type", "data"),
    [
        pytest.param(SHOP, "Nope", {"a": 1}, id="unknown event type"),
        pytest.param(SHOP, "OpenedAccount", ["not", "an", "object"], id="an array"),
        pytest.param(SHOP, "OpenedAccount", None, id="null"),
        pytest.param(SHOP, "OpenedAccount", "text", id="a string"),
        pytest.param(ONLY_REQUIRED, "E", {"a": 1}, id="no field can be filled"),
        pytest.param(ONLY_REQUIRED, "E", {}, id="a missing required field has no value"),
    ],
)
def test_data_with_nothing_to_fill_is_returned_unchanged(
    schema: Schema, event_type: str, data: Any
) -> None:
    assert upcast(schema, event_type, data) is data


def test_values_of_the_wrong_shape_are_left_for_the_validator() -> None:
    stored = {**OLD_OPENED, "lines": {"not": "a list"}, "address": ["not", "an", "object"]}

    result = upcast(SHOP, "OpenedAccount", stored)

    assert isinstance(result, dict)
    assert result["lines"] is stored["lines"]
    assert result["address"] is stored["address"]


def test_deep_and_cyclic_data_is_upcast_without_recursion_errors() -> None:
    schema = Schema(
        events=(EventDecl("Tagged", (field("category", "Category"),)),),
        types=(TypeDecl("Category", (field("name", "String"), field("parent", "Category?"))),),
    )
    deep: dict[str, Any] = {"name": "leaf"}
    for _ in range(100_000):
        deep = {"name": "node", "parent": deep}
    cyclic: dict[str, Any] = {"name": "loop"}
    cyclic["parent"] = cyclic

    # The leaf lacking "parent" is beyond the depth limit: left alone, like the cycle.
    stored_deep = {"category": deep}
    assert upcast(schema, "Tagged", stored_deep) is stored_deep
    stored_cyclic = {"category": cyclic}
    assert upcast(schema, "Tagged", stored_cyclic) is stored_cyclic

    shallow: dict[str, Any] = {"name": "leaf"}
    for _ in range(MAX_DEPTH - 3):
        shallow = {"name": "node", "parent": shallow}
    filled = upcast(schema, "Tagged", {"category": shallow})
    assert violations(schema, "Tagged", filled) == []
    assert located(filled, ["category", *["parent"] * (MAX_DEPTH - 3)]) == {
        "name": "leaf",
        "parent": None,
    }


@given(st.one_of(schemas(), shipped_schemas()), st.data())
def test_data_stored_before_fields_were_added_is_valid_once_upcast(
    schema: Schema, data: st.DataObject
) -> None:
    event = data.draw(st.sampled_from(schema.events))
    datum = data.draw(event_data(schema, event.name))
    fillable = [
        (steps, f)
        for steps, f in present_fields(schema, event.name, datum)
        if f.default is not None or f.type.optional
    ]
    removed = data.draw(st.lists(st.sampled_from(fillable), unique_by=id)) if fillable else []
    stored = copy.deepcopy(datum)
    for steps, f in sorted(removed, key=lambda r: -len(r[0])):  # the deepest first
        located(stored, steps).pop(f.name)
    before = copy.deepcopy(stored)

    current = upcast(schema, event.name, stored)

    assert violations(schema, event.name, current) == []
    assert stored == before
    assert upcast(schema, event.name, current) is current
    assert isinstance(current, dict)
    for steps, f in removed:
        if not steps:
            value = f.default.value if f.default is not None else None
            assert current[f.name] == as_json(value)


def as_json(value: object) -> object:
    """A default literal as JSON data: tuples (as the parser holds lists) become lists."""
    if isinstance(value, list | tuple):
        return [as_json(item) for item in value]
    return value
