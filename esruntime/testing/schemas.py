"""Hypothesis strategies for valid ESDL schemas (needs hypothesis).

:func:`schemas` draws :class:`~esruntime.schema.model.Schema` models that ``parse_schema``
accepts and ``format_schema`` writes back unchanged: a few events, record types and enums with
random valid names (field names include ``type``, ``event`` and ``null``, which are keywords
elsewhere); fields of every scalar, enums, records, arrays and optionals nested a few levels;
domain ids on the allowed types of event fields; defaults that fit their field's type; and
``///`` docs. Record types only require types declared after them, so no required cycle makes a
type unsatisfiable, while optional and array fields may point anywhere, themselves included.
"""

from __future__ import annotations

import base64
import string
from datetime import datetime, timedelta, timezone
from typing import Any

from hypothesis import strategies as st
from hypothesis.strategies import DrawFn, SearchStrategy

from esruntime.schema.model import (
    DOMAIN_ID_SCALARS,
    SCALARS,
    Default,
    EnumDecl,
    EventDecl,
    Field,
    Schema,
    TypeDecl,
    TypeRef,
)

__all__ = ["schemas"]

_MAX_ITEMS = 3
_MAX_ARRAY_DEPTH = 2

_scalar_names = st.sampled_from(sorted(SCALARS))
_domain_id_scalars = st.sampled_from(sorted(DOMAIN_ID_SCALARS))

_decl_names = st.builds(
    str.__add__,
    st.sampled_from(string.ascii_uppercase),
    st.text(string.ascii_letters + string.digits, max_size=8),
).filter(lambda name: name not in SCALARS)
_variant_names = st.builds(
    str.__add__,
    st.sampled_from(string.ascii_uppercase),
    st.text(string.ascii_uppercase + string.digits + "_", max_size=6),
)
_field_names = st.one_of(
    st.sampled_from(["type", "event", "enum", "true", "null", "_", "id"]),
    st.builds(
        str.__add__,
        st.sampled_from(string.ascii_lowercase + "_"),
        st.text(string.ascii_lowercase + string.digits + "_", max_size=10),
    ),
)
_doc_lines = st.text(st.characters(exclude_categories=["Cs", "Cc", "Zl", "Zp"]), max_size=30).map(
    str.rstrip
)
_docs = st.none() | st.lists(_doc_lines, min_size=1, max_size=3).map("\n".join)
_text = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=20)
_numbers = st.one_of(st.floats(allow_nan=False, allow_infinity=False), st.integers(-(2**53), 2**53))
_timestamps = st.builds(
    lambda moment, offset: moment.replace(tzinfo=timezone(offset)).isoformat(),
    st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)),
    st.sampled_from([timedelta(0), timedelta(hours=5, minutes=30), timedelta(hours=-8)]),
)
_SCALAR_VALUES: dict[str, SearchStrategy[Any]] = {
    "String": _text,
    "Int": st.integers(-(2**31), 2**31 - 1),
    "Long": st.integers(-(2**63), 2**63 - 1),
    "Float": _numbers,
    "Double": _numbers,
    "Bool": st.booleans(),
    "Bytes": st.binary(max_size=12).map(lambda b: base64.b64encode(b).decode("ascii")),
    "Timestamp": _timestamps,
    "Uuid": st.uuids().map(str),
    "Json": st.recursive(
        st.booleans() | st.integers(-(2**63), 2**63 - 1) | _numbers | _text,
        lambda inner: st.lists(st.none() | inner, max_size=_MAX_ITEMS).map(tuple),
        max_leaves=5,
    ),
}


def _type_ref(draw: DrawFn, names: list[str], required: list[str], depth: int = 0) -> TypeRef:
    """A type expression over scalars and ``names``; only ``required`` may stand bare and
    required (inside an array anything may, as an empty array ends any recursion)."""
    kind = draw(st.integers(0, 9))
    if kind >= 8 and depth < _MAX_ARRAY_DEPTH:
        item = _type_ref(draw, names, names, depth + 1)
        return TypeRef(item=item, optional=draw(st.booleans()))
    if kind >= 5 and names:
        name = draw(st.sampled_from(names))
        return TypeRef(name, optional=name not in required or draw(st.booleans()))
    return TypeRef(draw(_scalar_names), optional=draw(st.booleans()))


def _literal(draw: DrawFn, ref: TypeRef, enums: dict[str, EnumDecl]) -> Any:
    if ref.optional and draw(st.integers(0, 3)) == 0:
        return None
    if ref.item is not None:
        count = draw(st.integers(0, _MAX_ITEMS))
        return tuple(_literal(draw, ref.item, enums) for _ in range(count))
    name = str(ref.name)
    if name in enums:
        return draw(st.sampled_from(enums[name].variants))
    if name in _SCALAR_VALUES:
        return draw(_SCALAR_VALUES[name])
    raise AssertionError(f"no literal for {name}")  # records: _default handles them


def _leaf(ref: TypeRef) -> str:
    while ref.item is not None:
        ref = ref.item
    return str(ref.name)


def _can_default(ref: TypeRef, records: set[str]) -> bool:
    """Records have no literal: only null, or an empty list, can be their default."""
    return ref.optional or _leaf(ref) not in records or ref.item is not None


def _has_string(value: Any) -> bool:
    if isinstance(value, tuple):
        return any(_has_string(v) for v in value)
    return isinstance(value, str)


def _default(draw: DrawFn, ref: TypeRef, enums: dict[str, EnumDecl], records: set[str]) -> Default:
    leaf = _leaf(ref)
    if leaf in records:
        return Default(None if ref.item is None else ())
    value = _literal(draw, ref, enums)
    return Default(value, enum_variant=leaf in enums and _has_string(value))


def _fields(
    draw: DrawFn,
    names: list[str],
    required: list[str],
    enums: dict[str, EnumDecl],
    records: set[str],
    max_fields: int,
    *,
    event: bool,
) -> tuple[Field, ...]:
    """Fields whose types name scalars or ``names``; only ``required`` may be required."""
    field_names = draw(st.lists(_field_names, unique=True, max_size=max_fields))
    fields = []
    for name in field_names:
        domain_id = event and draw(st.integers(0, 3)) == 0
        if domain_id:
            ref = TypeRef(draw(_domain_id_scalars), optional=draw(st.booleans()))
        else:
            ref = _type_ref(draw, names, required)
        default = None
        if _can_default(ref, records) and draw(st.integers(0, 2)) == 0:
            default = _default(draw, ref, enums, records)
        fields.append(Field(name, ref, domain_id, default, draw(_docs)))
    return tuple(fields)


@st.composite
def _schemas(
    draw: DrawFn,
    min_events: int,
    max_events: int,
    max_types: int,
    max_enums: int,
    max_fields: int,
) -> Schema:
    counts = (
        draw(st.integers(min_events, max_events)),
        draw(st.integers(0, max_types)),
        draw(st.integers(0, max_enums)),
    )
    names = draw(st.lists(_decl_names, unique=True, min_size=sum(counts), max_size=sum(counts)))
    event_names = names[: counts[0]]
    type_names = names[counts[0] : counts[0] + counts[1]]
    enum_names = names[counts[0] + counts[1] :]
    enums = {
        name: EnumDecl(
            name,
            tuple(draw(st.lists(_variant_names, unique=True, min_size=1, max_size=5))),
            draw(_docs),
        )
        for name in enum_names
    }
    records = set(type_names)
    named = type_names + enum_names
    types = [
        TypeDecl(
            name,
            # Only types declared later may be required: no required cycle, every type has values.
            _fields(draw, named, named[index + 1 :], enums, records, max_fields, event=False),
            draw(_docs),
        )
        for index, name in enumerate(type_names)
    ]
    events = [
        EventDecl(
            name, _fields(draw, named, named, enums, records, max_fields, event=True), draw(_docs)
        )
        for name in event_names
    ]
    return Schema(tuple(events), tuple(types), tuple(enums.values()))


def schemas(
    *,
    min_events: int = 1,
    max_events: int = 3,
    max_types: int = 2,
    max_enums: int = 2,
    max_fields: int = 5,
) -> SearchStrategy[Schema]:
    """Valid schemas of a few events, record types and enums (see the module docstring)."""
    return _schemas(min_events, max_events, max_types, max_enums, max_fields)
