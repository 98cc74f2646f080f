"""Hypothesis strategies for event data that a schema accepts, to test handlers with (needs
hypothesis).

Generated values survive every store unchanged: they are plain JSON (no NaN or infinity, no
tuples), strings hold neither U+0000 nor lone surrogates (PostgreSQL's jsonb refuses both),
``Float`` and ``Double`` values stay below 1e16 in magnitude (jsonb writes larger integral floats
without a decimal point, so they would come back as ints) and are never ``-0.0`` (jsonb has no
negative zero). ``Float`` and ``Double`` fields sometimes hold integers, as the validator allows
and as JSON written by other languages does. Domain-id strings are non-empty and free of control
characters, so that they make valid ``field:value`` tags.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from esruntime.errors import SchemaError
from esruntime.schema.model import Field, Schema, TypeRef
from esruntime.schema.values import INT_RANGE, LONG_RANGE

__all__ = ["event_data"]

_MAX_ITEMS = 4
_RECURSION_LEVELS = 4
"""From this many levels down, optional fields are null or missing and arrays are empty, so that
recursive types end."""
_NESTING_LIMIT = 50
"""A type still nesting this deep contains itself through required fields: it has no value."""

# The utf-8 codec has no surrogates. Tags refuse U+0000 to U+001F; C1 controls are left out too.
_CONTROL = "".join(map(chr, [*range(0x20), *range(0x7F, 0xA0)]))
_text = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=20)
_id_text = st.text(
    st.characters(codec="utf-8", exclude_characters=_CONTROL), min_size=1, max_size=40
)
_floats = st.one_of(
    st.floats(min_value=-1e15, max_value=1e15).map(lambda x: x + 0.0),  # -0.0 + 0.0 is 0.0
    st.integers(-(2**53), 2**53),
)
_json_scalars = st.one_of(st.booleans(), st.integers(*LONG_RANGE), _floats, _text)
_json = st.recursive(
    st.none() | _json_scalars,
    lambda inner: (
        st.lists(inner, max_size=_MAX_ITEMS) | st.dictionaries(_text, inner, max_size=_MAX_ITEMS)
    ),
    max_leaves=8,
)
_json_non_null = st.one_of(
    _json_scalars,
    st.lists(_json, max_size=_MAX_ITEMS),
    st.dictionaries(_text, _json, max_size=_MAX_ITEMS),
)


def _rfc3339(moment: datetime, timespec: str, zulu: bool) -> str:
    text = moment.isoformat(timespec=timespec)
    return text[:-6] + "Z" if zulu and text.endswith("+00:00") else text


_timestamps = st.builds(
    _rfc3339,
    st.datetimes(
        timezones=st.one_of(
            st.just(UTC),
            st.integers(-(24 * 60 - 1), 24 * 60 - 1).map(lambda m: timezone(timedelta(minutes=m))),
        )
    ),
    st.sampled_from(["seconds", "milliseconds", "microseconds"]),
    st.booleans(),
)

_SCALARS: dict[str, SearchStrategy[Any]] = {
    "String": _text,
    "Int": st.integers(*INT_RANGE),
    "Long": st.integers(*LONG_RANGE),
    "Float": _floats,
    "Double": _floats,
    "Bool": st.booleans(),
    "Bytes": st.binary(max_size=32).map(lambda b: base64.b64encode(b).decode("ascii")),
    "Timestamp": _timestamps,
    "Uuid": st.uuids().map(str),
    "Json": _json_non_null,
}


def event_data(schema: Schema, event_type: str) -> SearchStrategy[dict[str, Any]]:
    """Data of ``event_type`` that :func:`esruntime.schema.validate_event` accepts.

    Required fields are always present; optional ones are sometimes missing, sometimes null.
    Every scalar, enum, array and nested ``type`` of the schema is covered, recursive types
    included (they nest a few levels, then stop).
    """
    event = schema.event(event_type)
    if event is None:
        declared = ", ".join(e.name for e in schema.events) or "none"
        raise SchemaError(f"the schema declares no event type {event_type!r} (it has: {declared})")
    return _Builder(schema).object(event.fields, 0)


class _Builder:
    def __init__(self, schema: Schema) -> None:
        self._schema = schema

    def object(self, fields: Sequence[Field], depth: int) -> SearchStrategy[dict[str, Any]]:
        required: dict[str, SearchStrategy[Any]] = {}
        optional: dict[str, SearchStrategy[Any]] = {}
        for f in fields:
            if not f.type.optional:
                required[f.name] = self.value(f.type, depth, domain_id=f.domain_id)
            elif depth < _RECURSION_LEVELS:
                value = self.value(f.type.required(), depth, domain_id=f.domain_id)
                optional[f.name] = st.none() | value
            else:
                optional[f.name] = st.none()
        return st.fixed_dictionaries(required, optional=optional)

    def value(self, ref: TypeRef, depth: int, *, domain_id: bool = False) -> SearchStrategy[Any]:
        """Non-null values of ``ref`` (its outer ``?`` is the caller's business)."""
        if ref.item is not None:
            if depth >= _RECURSION_LEVELS:
                return st.just([])
            item = self.value(ref.item, depth + 1)
            if ref.item.optional:
                item = st.none() | item
            return st.lists(item, max_size=_MAX_ITEMS)
        name = ref.name or ""
        if domain_id and name == "String":
            return _id_text
        if name in _SCALARS:
            return _SCALARS[name]
        if (enum := self._schema.enum(name)) is not None:
            return st.sampled_from(enum.variants)
        if (decl := self._schema.type(name)) is not None:
            if depth >= _NESTING_LIMIT:
                raise SchemaError(
                    f"type {name!r} contains itself through required fields: it has no value"
                )
            return self.object(decl.fields, depth + 1)
        raise SchemaError(f"the schema uses the type {name!r} but declares no such type")
