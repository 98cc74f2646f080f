"""Command inputs from JSON Schema: every generated value is one the schema accepts."""

from __future__ import annotations

import re
from typing import Any

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from esruntime.testing.json_schema import from_json_schema

SCHEMAS: list[dict[str, Any]] = [
    {
        "type": "object",
        "properties": {
            "account_id": {"type": "string", "minLength": 1, "maxLength": 8},
            "amount": {"type": "number", "exclusiveMinimum": 0, "maximum": 1000},
            "count": {"type": "integer", "minimum": -3, "exclusiveMaximum": 7},
            "status": {"enum": ["todo", "doing", "done"]},
            "note": {"type": ["string", "null"]},
            "tags": {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 3},
            "nested": {
                "type": "object",
                "properties": {"flag": {"type": "boolean"}, "kind": {"const": "x"}},
                "required": ["flag"],
            },
        },
        "required": ["account_id", "amount", "count", "status"],
        "additionalProperties": False,
    },
    {"anyOf": [{"type": "integer", "minimum": 0}, {"type": "string", "maxLength": 2}]},
    {"type": "array", "items": {"oneOf": [{"type": "null"}, {"type": "boolean"}]}},
    {},
]


@pytest.mark.parametrize("schema", SCHEMAS, ids=["object", "anyOf", "array", "anything"])
def test_generated_values_are_valid_against_their_schema(schema: dict[str, Any]) -> None:
    seen = []

    @settings(max_examples=60, database=None)
    @given(from_json_schema(schema))
    def check(value: Any) -> None:
        jsonschema.validate(value, schema)
        seen.append(value)

    check()
    assert len(seen) >= 30


@given(st.data())
@settings(max_examples=20, database=None)
def test_required_properties_are_always_there(data: st.DataObject) -> None:
    schema = SCHEMAS[0]
    values = [data.draw(from_json_schema(schema)) for _ in range(10)]
    assert all({"account_id", "amount", "count", "status"} <= set(v) for v in values)


@pytest.mark.parametrize(
    ("schema", "message"),
    [
        ({"type": "string", "pattern": "^a+$"}, "unsupported JSON Schema keyword(s): pattern"),
        ({"type": "object", "required": ["x"]}, "required properties without a schema: x"),
        ({"type": "decimal"}, "unsupported JSON Schema type 'decimal'"),
        ({"$ref": "#/defs/a"}, "unsupported JSON Schema keyword(s): $ref"),
        ([], "a JSON Schema must be an object"),
    ],
)
def test_what_the_subset_cannot_honour_is_refused_by_name(schema: Any, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        from_json_schema(schema)
