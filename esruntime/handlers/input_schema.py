"""The input schema a manifest may carry: the JSON Schema subset esruntime understands.

A handler describes its command's input with ``input_schema`` (``PythonHandler.input_schema``,
``esr_input_schema`` in C, ``Manifest.inputSchema`` in AssemblyScript). The test strategies
generate inputs from it (:mod:`esruntime.testing.json_schema`), so an upload refuses a schema
outside the subset, or one that is not a valid schema, naming the keyword and its JSON path.

Hand-written rather than a meta-schema check because the subset is a dozen keywords and the
messages must name the path of the offending keyword precisely.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["KEYWORDS", "TYPES", "input_schema_problems"]

KEYWORDS = frozenset(
    {
        "type", "enum", "const", "properties", "required", "additionalProperties", "minLength",
        "maxLength", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "items",
        "minItems", "maxItems", "anyOf", "oneOf", "title", "description", "default", "examples",
        "$schema", "$id", "format",
    }
)  # fmt: skip
"""Every keyword of the subset; any other is refused."""

TYPES = frozenset({"object", "string", "integer", "number", "boolean", "null", "array"})
_COUNTS = ("minLength", "maxLength", "minItems", "maxItems")
_BOUNDS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")
_MAX_DEPTH = 32


def input_schema_problems(schema: object) -> list[str]:
    """What is wrong with ``schema`` as an input schema (empty when nothing is); the root must
    describe an object, as a command's input is one."""
    problems: list[str] = []
    _check(schema, "$", problems, 0)
    if not problems and isinstance(schema, Mapping):
        kind = schema.get("type")
        if kind is not None and kind != "object":
            problems.append(f"$.type: a command's input is an object, the schema says {kind!r}")
    return problems


def _check(schema: object, path: str, problems: list[str], depth: int) -> None:
    if depth > _MAX_DEPTH:
        problems.append(f"{path}: nests more than {_MAX_DEPTH} schemas deep")
        return
    if not isinstance(schema, Mapping):
        problems.append(f"{path}: a schema is an object, got {_json_kind(schema)}")
        return
    unknown = sorted(set(schema) - KEYWORDS)
    if unknown:
        problems.append(
            f"{path}: unsupported keyword(s) {', '.join(unknown)} (supported: "
            f"{', '.join(sorted(KEYWORDS))})"
        )
    kind = schema.get("type")
    if kind is not None:
        kinds = kind if isinstance(kind, list) else [kind]
        bad = [k for k in kinds if not isinstance(k, str) or k not in TYPES]
        if bad or not kinds:
            problems.append(
                f"{path}.type: {kind!r} is not a type or a list of types "
                f"({', '.join(sorted(TYPES))})"
            )
    if "enum" in schema and (not isinstance(schema["enum"], list) or not schema["enum"]):
        problems.append(f"{path}.enum: a non-empty array of the allowed values")
    for name in _COUNTS:
        value = schema.get(name)
        if name in schema and not (
            isinstance(value, int) and not isinstance(value, bool) and value >= 0
        ):
            problems.append(f"{path}.{name}: a count (an integer >= 0), got {value!r}")
    for name in _BOUNDS:
        value = schema.get(name)
        if name in schema and (not isinstance(value, int | float) or isinstance(value, bool)):
            problems.append(f"{path}.{name}: a number, got {value!r}")
    for low, high in (("minLength", "maxLength"), ("minItems", "maxItems"), _BOUNDS[:2]):
        a, b = schema.get(low), schema.get(high)
        if isinstance(a, int | float) and isinstance(b, int | float) and a > b:
            problems.append(f"{path}: {low} {a} is above {high} {b}: no value fits")
    _check_object(schema, path, problems, depth)
    if "items" in schema:
        _check(schema["items"], f"{path}.items", problems, depth + 1)
    for combinator in ("anyOf", "oneOf"):
        if combinator in schema:
            branches = schema[combinator]
            if not isinstance(branches, list) or not branches:
                problems.append(f"{path}.{combinator}: a non-empty array of schemas")
                continue
            for index, branch in enumerate(branches):
                _check(branch, f"{path}.{combinator}[{index}]", problems, depth + 1)


def _check_object(schema: Mapping[str, Any], path: str, problems: list[str], depth: int) -> None:
    properties = schema.get("properties", {})
    if not isinstance(properties, Mapping):
        problems.append(f"{path}.properties: an object of schemas by field name")
        properties = {}
    for name, sub in properties.items():
        _check(sub, f"{path}.properties.{name}", problems, depth + 1)
    required = schema.get("required", [])
    if not isinstance(required, list) or not all(isinstance(r, str) for r in required):
        problems.append(f"{path}.required: an array of field names")
    else:
        missing = [r for r in required if r not in properties]
        if missing:
            problems.append(
                f"{path}.required: {', '.join(missing)} has no schema in properties"
                if len(missing) == 1
                else f"{path}.required: {', '.join(missing)} have no schema in properties"
            )
    extra = schema.get("additionalProperties", True)
    if isinstance(extra, Mapping):
        _check(extra, f"{path}.additionalProperties", problems, depth + 1)
    elif not isinstance(extra, bool):
        problems.append(f"{path}.additionalProperties: true, false or a schema")


def _json_kind(value: object) -> str:
    names = {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}
    return names.get(type(value), "number")
