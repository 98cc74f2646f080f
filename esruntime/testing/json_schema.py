"""Hypothesis strategies from the JSON Schema subset that handler manifests use.

Handles ``type`` (one or a list), ``enum``, ``const``, ``properties``/``required``/
``additionalProperties``, string ``minLength``/``maxLength``, number and integer ``minimum``/
``maximum``/``exclusiveMinimum``/``exclusiveMaximum``, array ``items``/``minItems``/``maxItems``,
``anyOf``/``oneOf`` (as alternatives) and ``nullable`` values. Anything else raises
``ValueError`` naming the keyword, rather than generating values the schema would refuse.

Written here because hypothesis-jsonschema's last release no longer runs on current hypothesis,
and schemathesis keeps its generator internal.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from esruntime.handlers.input_schema import KEYWORDS

__all__ = ["from_json_schema"]

_KNOWN = KEYWORDS
_MAX_ITEMS = 5
_text = st.text(st.characters(codec="utf-8", exclude_categories=["Cc", "Cs"]), max_size=20)
_json_leaf = st.none() | st.booleans() | st.integers(-(2**53), 2**53) | _text


def from_json_schema(schema: Mapping[str, Any]) -> SearchStrategy[Any]:
    """Values that ``schema`` accepts (ValueError for keywords outside the subset)."""
    if not isinstance(schema, Mapping):
        raise ValueError(f"a JSON Schema must be an object, got {schema!r}")
    unknown = sorted(set(schema) - _KNOWN)
    if unknown:
        raise ValueError(f"unsupported JSON Schema keyword(s): {', '.join(unknown)}")
    if "const" in schema:
        return st.just(schema["const"])
    if "enum" in schema:
        return st.sampled_from(list(schema["enum"]))
    for combinator in ("anyOf", "oneOf"):
        if combinator in schema:
            return st.one_of([from_json_schema(branch) for branch in schema[combinator]])
    kind = schema.get("type")
    if kind is None:
        return st.recursive(_json_leaf, lambda inner: st.lists(inner, max_size=3), max_leaves=5)
    if isinstance(kind, list):
        return st.one_of([from_json_schema({**schema, "type": one}) for one in kind])
    return _typed(kind, schema)


def _typed(kind: str, schema: Mapping[str, Any]) -> SearchStrategy[Any]:
    if kind == "object":
        return _object(schema)
    if kind == "string":
        return st.text(
            st.characters(codec="utf-8", exclude_categories=["Cc", "Cs"]),
            min_size=schema.get("minLength", 0),
            max_size=schema.get("maxLength", max(20, schema.get("minLength", 0))),
        )
    if kind == "integer":
        low, high = _bounds(schema)
        return st.integers(
            None if low is None else math.ceil(low), None if high is None else math.floor(high)
        )
    if kind == "number":
        low, high = _bounds(schema)
        return st.floats(
            low,
            high,
            allow_nan=False,
            allow_infinity=False,
            exclude_min="exclusiveMinimum" in schema,
            exclude_max="exclusiveMaximum" in schema,
        )
    if kind == "boolean":
        return st.booleans()
    if kind == "null":
        return st.none()
    if kind == "array":
        items = schema.get("items", {})
        low = schema.get("minItems", 0)
        return st.lists(
            from_json_schema(items), min_size=low, max_size=schema.get("maxItems", low + _MAX_ITEMS)
        )
    raise ValueError(f"unsupported JSON Schema type {kind!r}")


def _bounds(schema: Mapping[str, Any]) -> tuple[float | None, float | None]:
    low = schema.get("exclusiveMinimum", schema.get("minimum"))
    high = schema.get("exclusiveMaximum", schema.get("maximum"))
    if "exclusiveMinimum" in schema and schema.get("type") == "integer":
        low = math.floor(low) + 1
    if "exclusiveMaximum" in schema and schema.get("type") == "integer":
        high = math.ceil(high) - 1
    return low, high


def _object(schema: Mapping[str, Any]) -> SearchStrategy[dict[str, Any]]:
    properties: Mapping[str, Any] = schema.get("properties", {})
    required = set(schema.get("required", ()))
    missing = required - set(properties)
    if missing:
        raise ValueError(f"required properties without a schema: {', '.join(sorted(missing))}")
    fixed = {name: from_json_schema(properties[name]) for name in properties if name in required}
    optional = {
        name: from_json_schema(sub) for name, sub in properties.items() if name not in required
    }
    return st.fixed_dictionaries(fixed, optional=optional)
