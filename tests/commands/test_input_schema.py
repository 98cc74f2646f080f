"""A manifest's input schema is checked where it enters: the subset, and a valid schema."""

from __future__ import annotations

from typing import Any

import pytest

from esruntime.backends.memory import InMemoryHandlerRegistry
from esruntime.handlers import HandlerManifest, PythonHandler
from esruntime.handlers.checks import check_manifest
from esruntime.handlers.input_schema import input_schema_problems
from esruntime.handlers.registry import UploadRejected
from esruntime.runtime import Runtime
from tests.commands.bank import SCHEMA
from tests.commands.test_handler_registry import describe, module

SEAT = {
    "type": "object",
    "properties": {
        "show_id": {"type": "string", "minLength": 1},
        "seat": {"type": "integer", "minimum": 1, "maximum": 200},
        "guest": {"anyOf": [{"type": "string"}, {"type": "null"}]},
        "tags": {"type": "array", "items": {"enum": ["vip", "aisle"]}, "maxItems": 2},
    },
    "required": ["show_id", "seat"],
    "additionalProperties": False,
}


def test_a_schema_in_the_subset_has_no_problems() -> None:
    assert input_schema_problems(SEAT) == []
    assert input_schema_problems({}) == []


@pytest.mark.parametrize(
    ("schema", "problem"),
    [
        ([], "$: a schema is an object, got array"),
        ({"type": "array"}, "$.type: a command's input is an object, the schema says 'array'"),
        ({"type": "strin"}, "$.type: 'strin' is not a type or a list of types"),
        (
            {"properties": {"seat": {"type": "integer", "multipleOf": 2}}},
            "$.properties.seat: unsupported keyword(s) multipleOf (supported: ",
        ),
        ({"properties": {"a": {"minLength": -1}}}, "$.properties.a.minLength: a count"),
        ({"properties": {"a": {"minimum": "1"}}}, "$.properties.a.minimum: a number, got '1'"),
        ({"properties": {"a": {"minimum": 5, "maximum": 1}}}, "$.properties.a: minimum 5 is above"),
        ({"required": ["seat"]}, "$.required: seat has no schema in properties"),
        ({"required": "seat"}, "$.required: an array of field names"),
        ({"properties": {"a": {"enum": []}}}, "$.properties.a.enum: a non-empty array"),
        ({"properties": {"a": {"anyOf": [{"type": 1}]}}}, "$.properties.a.anyOf[0].type: 1 is"),
        ({"additionalProperties": "no"}, "$.additionalProperties: true, false or a schema"),
    ],
)
def test_a_schema_outside_the_subset_is_named_precisely(schema: Any, problem: str) -> None:
    problems = input_schema_problems(schema)
    assert len(problems) == 1
    assert problems[0].startswith(problem)


def test_the_manifest_checks_refuse_a_bad_input_schema() -> None:
    manifest = HandlerManifest("reserve", "1.0.0", input_schema={"type": "object", "not": {}})
    errors, _ = check_manifest(manifest, None)
    assert [(e.code, e.message.split(" (supported")[0]) for e in errors] == [
        ("invalid_input_schema", "input_schema $: unsupported keyword(s) not")
    ]


def test_an_upload_with_a_bad_input_schema_is_refused() -> None:
    registry = InMemoryHandlerRegistry(describe, lambda: None)
    bad = module(input_schema={"type": "object", "properties": {"amount": {"type": "money"}}})
    result = registry.upload("deposit", bad, "1.0.0")
    assert isinstance(result, UploadRejected)
    assert (
        "invalid_input_schema",
        "input_schema $.properties.amount.type: 'money' is not a type "
        "or a list of types (array, boolean, integer, null, number, object, string)",
    ) in [(e.code, e.message) for e in result.errors]


class Reserve(PythonHandler):
    name = "reserve_seat"
    version = "1.0.0"
    input_schema = SEAT

    def handle(self, command: dict[str, Any]) -> Any:
        return []


def test_a_python_handler_declares_its_input_schema_as_a_class_attribute() -> None:
    assert Reserve.manifest().input_schema == SEAT
    with Runtime.from_url("memory://") as runtime:
        runtime.tenant().push_schema(SCHEMA)
        runtime.register(Reserve)
        assert runtime.execute("reserve_seat", {"show_id": "s", "seat": 3}).outcome == "ok"
