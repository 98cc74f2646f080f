"""Schemas for the event data tests, built from the model (not parsed): fixed ones, a strategy
for random ones, and a walker that finds the typed fields inside a datum."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from hypothesis import strategies as st

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


def ref(text: str) -> TypeRef:
    """A type expression from its ESDL text: ``ref("[Int?]?")``."""
    optional = text.endswith("?")
    inner = text[:-1] if optional else text
    if inner.startswith("["):
        return TypeRef(item=ref(inner[1:-1]), optional=optional)
    return TypeRef(inner, optional=optional)


def field(name: str, type_text: str, *, domain_id: bool = False, default: Any = None) -> Field:
    """A field; ``default`` is a literal, or ``Default`` itself for an enum variant."""
    literal = default if isinstance(default, Default) or default is None else Default(default)
    return Field(name, ref(type_text), domain_id=domain_id, default=literal)


CURRENCY = EnumDecl("Currency", ("EUR", "USD", "GBP"))
LINE = TypeDecl(
    "Line",
    (
        field("sku", "String"),
        field("quantity", "Int"),
        field("price", "Float?"),
        field("notes", "[String]", default=()),
    ),
)
CATEGORY = TypeDecl("Category", (field("name", "String"), field("parent", "Category?")))
ADDRESS = TypeDecl("Address", (field("street", "String"), field("city", "String")))

EVERYTHING = EventDecl(
    "Everything",
    (
        field("order_id", "Uuid", domain_id=True),
        field("customer", "String", domain_id=True),
        field("count", "Int"),
        field("total", "Long"),
        field("ratio", "Float"),
        field("precise", "Double"),
        field("paid", "Bool"),
        field("receipt", "Bytes"),
        field("placed_at", "Timestamp"),
        field("extra", "Json"),
        field("currency", "Currency"),
        field("note", "String?"),
        field("lines", "[Line]"),
        field("maybe", "[Int?]"),
        field("matrix", "[[Int]]?"),
        field("category", "Category?"),
        field("address", "Address?"),
        field("payload", "Json?"),
    ),
)
OPENED = EventDecl(
    "OpenedAccount",
    (
        field("account_id", "String", domain_id=True),
        field("initial_balance", "Float"),
        field("opened_at", "Timestamp?"),
        field("currency", "Currency", default=Default("EUR", enum_variant=True)),
        field("labels", "[String]", default=("new",)),
        field("limit", "Int?", default=100),
        field("lines", "[Line]?"),
        field("address", "Address?"),
    ),
)

SHOP = Schema(events=(EVERYTHING, OPENED), types=(LINE, CATEGORY, ADDRESS), enums=(CURRENCY,))
"""Every scalar, an enum, arrays (nested, of optional items, of types), a recursive type."""


def one_field(type_text: str) -> Schema:
    """A schema whose event ``One`` has the single field ``value`` of the given type."""
    return Schema(
        events=(EventDecl("One", (field("value", type_text),)),),
        types=(LINE, CATEGORY, ADDRESS),
        enums=(CURRENCY,),
    )


Step = str | int
"""A key or an index on the way from the data to a value."""


def path_of(steps: Sequence[Step]) -> str:
    return "$" + "".join(f".{s}" if isinstance(s, str) else f"[{s}]" for s in steps)


def located(data: Any, steps: Sequence[Step]) -> Any:
    for step in steps:
        data = data[step]
    return data


def present_fields(
    schema: Schema, event_type: str, data: Any
) -> Iterator[tuple[list[Step], Field]]:
    """Where each declared field present in valid ``data`` is (the path to its object), with the
    field: in the event's object, and in the ``type`` objects nested in it (not in Json)."""
    event = schema.event(event_type)
    assert event is not None
    yield from _fields_in(schema, event.fields, data, [])


def _fields_in(
    schema: Schema, fields: Sequence[Field], value: dict[str, Any], steps: list[Step]
) -> Iterator[tuple[list[Step], Field]]:
    for f in fields:
        if f.name in value:
            yield steps, f
            yield from _values_in(schema, f.type, value[f.name], [*steps, f.name])


def _values_in(
    schema: Schema, ref: TypeRef, value: Any, steps: list[Step]
) -> Iterator[tuple[list[Step], Field]]:
    if value is None:
        return
    if ref.item is not None:
        for index, item in enumerate(value):
            yield from _values_in(schema, ref.item, item, [*steps, index])
    elif (decl := schema.type(ref.name or "")) is not None:
        yield from _fields_in(schema, decl.fields, value, steps)


_SCALAR_NAMES = sorted(SCALARS)
_SIMPLE_DEFAULTS: dict[str, object] = {
    "String": "",
    "Int": 0,
    "Long": -1,
    "Bool": False,
    "Float": 0.5,
}


@st.composite
def schemas(draw: st.DrawFn) -> Schema:
    """Random checked schemas: enums; types that use earlier types, and themselves through an
    optional or an array; events that use them all; optional fields, arrays, domain ids and
    defaults (null, empty lists, an enum's first variant, simple scalars)."""
    enums = tuple(
        EnumDecl(f"Enum{i}", tuple(f"V{j}" for j in range(draw(st.integers(1, 4)))))
        for i in range(draw(st.integers(0, 2)))
    )
    types: list[TypeDecl] = []
    for i in range(draw(st.integers(0, 3))):
        known = [*_SCALAR_NAMES, *(e.name for e in enums), *(t.name for t in types)]
        types.append(TypeDecl(f"Type{i}", draw(_fields(known, itself=f"Type{i}"))))
    known = [*_SCALAR_NAMES, *(e.name for e in enums), *(t.name for t in types)]
    events = tuple(
        EventDecl(f"Event{i}", draw(_fields(known, itself=None)))
        for i in range(draw(st.integers(1, 2)))
    )
    return Schema(events=events, types=tuple(types), enums=enums)


@st.composite
def _fields(draw: st.DrawFn, known: list[str], itself: str | None) -> tuple[Field, ...]:
    leaves = st.sampled_from(known).map(TypeRef)
    if itself is not None:
        # A type may contain itself only where a value can stop: optional, or in an array.
        leaves |= st.sampled_from([TypeRef(itself, optional=True), TypeRef(item=TypeRef(itself))])
    refs = st.recursive(
        leaves,
        lambda inner: st.builds(
            lambda item, optional: TypeRef(item=item, optional=optional), inner, st.booleans()
        ),
        max_leaves=3,
    )
    fields = []
    for index in range(draw(st.integers(0, 5))):
        ref = draw(refs)
        if draw(st.booleans()):
            ref = TypeRef(ref.name, ref.item, optional=True)
        domain_id = itself is None and ref.name in DOMAIN_ID_SCALARS and draw(st.booleans())
        default = draw(st.none() | st.just(_default_of(ref, draw(st.booleans()))))
        fields.append(Field(f"f{index}", ref, domain_id=domain_id, default=default))
    return tuple(fields)


def _default_of(ref: TypeRef, null: bool) -> Default | None:
    if ref.optional and null:
        return Default(None)
    if ref.item is not None:
        return Default(())
    if ref.name in _SIMPLE_DEFAULTS:
        return Default(_SIMPLE_DEFAULTS[ref.name])
    if ref.name is not None and ref.name.startswith("Enum"):
        return Default("V0", enum_variant=True)
    return Default(None) if ref.optional else None
