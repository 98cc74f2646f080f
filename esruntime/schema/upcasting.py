"""Upcasting: the data of an event stored under an older schema, in the current schema's shape.

A field added after an event was stored is missing from its data; reading fills it in, with the
field's default when it has one (an enum default is the variant's name, a list default a new
list each time) and with null when the field is optional without one. Nested ``type`` objects
are filled the same way, inside arrays too.

Left alone, on purpose: a missing required field without a default (only a forced push can
leave stored events without one, and inventing a value would hide that), a present null, and
anything that is not the expected shape, which is for the validator to judge, not this.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from attrs import evolve

from esruntime.events import SequencedEvent
from esruntime.schema.cache import SchemaCache
from esruntime.schema.model import Field, Schema, TypeRef
from esruntime.schema.values import MAX_DEPTH

__all__ = ["upcast", "upcast_events", "upcasters"]

Upcaster = Callable[[object, int], object]
"""The value in the current shape (the same object when nothing changes), at a nesting depth."""


def upcast(schema: Schema, event_type: str, data: object) -> object:
    """``data`` of ``event_type`` with its missing fields filled; the input is never mutated.

    Only what changes is copied: when nothing is missing the same object is returned. Data of an
    event type the schema does not declare, or that is not an object, is returned unchanged.
    """
    upcaster = _compiled.get(schema).get(event_type)
    return data if upcaster is None else upcaster(data, 1)


def upcasters(schema: Schema) -> Mapping[str, Upcaster]:
    """The schema's upcaster of each event type whose data may need filling (the others need
    none), for upcasting many events: ``upcasters[type](data, 1)`` is ``upcast(...)``."""
    return _compiled.get(schema)


def upcast_events(schema: Schema, events: Sequence[SequencedEvent]) -> list[SequencedEvent]:
    """The events with their data in the schema's current shape, as a handler replaying them
    sees them; an event that needs no filling is the same object."""
    found = _compiled.get(schema)
    if not found:
        return list(events)
    result = []
    for event in events:
        upcaster = found.get(event.type)
        data = event.data if upcaster is None else upcaster(event.data, 1)
        if data is not event.data:
            event = evolve(event, event=evolve(event.event, data=data))
        result.append(event)
    return result


class _ObjectUpcast:
    """Fills the missing fields of an object, and upcasts its nested objects."""

    __slots__ = ("fills", "nested")

    def __init__(self) -> None:
        self.fills: tuple[tuple[str, object, bool], ...] = ()
        """Each fillable field's name, its value when missing, and whether to copy that."""
        self.nested: tuple[tuple[str, Upcaster], ...] = ()

    def upcast(self, value: object, depth: int) -> object:
        if not isinstance(value, dict) or depth > MAX_DEPTH:
            return value
        result: dict[object, object] | None = None
        for name, default, copy in self.fills:
            if name not in value:
                if result is None:
                    result = dict(value)
                result[name] = _fresh(default) if copy else default
        for name, upcast_item in self.nested:
            item = value.get(name)
            if item is not None:
                new = upcast_item(item, depth + 1)
                if new is not item:
                    if result is None:
                        result = dict(value)
                    result[name] = new
        return value if result is None else result


def _array_upcast(upcast_item: Upcaster) -> Upcaster:
    def upcast(value: object, depth: int) -> object:
        if not isinstance(value, list) or depth > MAX_DEPTH:
            return value
        result: list[object] | None = None
        for index, item in enumerate(value):
            if item is not None:
                new = upcast_item(item, depth + 1)
                if new is not item:
                    if result is None:
                        result = list(value)
                    result[index] = new
        return value if result is None else result

    return upcast


def _fresh(value: object) -> object:
    """A new JSON array for a list default, which the parser may hold as a tuple."""
    if isinstance(value, list | tuple):
        return [_fresh(item) for item in value]
    return value


def _fill(field: Field) -> tuple[str, object, bool] | None:
    if field.default is not None:
        value = field.default.value  # an enum default's value is already the variant's name
        return field.name, value, isinstance(value, list | tuple)
    if field.type.optional:
        return field.name, None, False
    return None


def _base_name(ref: TypeRef) -> str | None:
    while ref.item is not None:
        ref = ref.item
    return ref.name


def _types_to_upcast(schema: Schema) -> set[str]:
    """The ``type`` names whose objects may need filling: those with a fillable field, and those
    that contain such objects, however indirectly."""
    found = {t.name for t in schema.types if any(_fill(f) for f in t.fields)}
    grown = True
    while grown:
        grown = False
        for decl in schema.types:
            if decl.name not in found and any(_base_name(f.type) in found for f in decl.fields):
                found.add(decl.name)
                grown = True
    return found


class _Compiler:
    """One upcaster per event type that may need one; events absent need none."""

    def __init__(self, schema: Schema) -> None:
        self._schema = schema
        self._to_upcast = _types_to_upcast(schema)
        self._types: dict[str, _ObjectUpcast] = {}

    def events(self) -> dict[str, Upcaster]:
        upcasters: dict[str, Upcaster] = {}
        for event in self._schema.events:
            root = _ObjectUpcast()
            self._build(root, event.fields)
            if root.fills or root.nested:
                upcasters[event.name] = root.upcast
        return upcasters

    def _build(self, target: _ObjectUpcast, fields: Sequence[Field]) -> None:
        target.fills = tuple(fill for f in fields if (fill := _fill(f)) is not None)
        target.nested = tuple(
            (f.name, nested) for f in fields if (nested := self._ref(f.type)) is not None
        )

    def _ref(self, ref: TypeRef) -> Upcaster | None:
        if ref.item is not None:
            item = self._ref(ref.item)
            return None if item is None else _array_upcast(item)
        if ref.name not in self._to_upcast:
            return None
        target = self._types.get(ref.name)
        if target is None:
            decl = self._schema.type(ref.name)
            assert decl is not None  # _to_upcast holds only declared types
            # Registered before its fields are built: a type may contain itself.
            target = self._types[ref.name] = _ObjectUpcast()
            self._build(target, decl.fields)
        return target.upcast


_compiled: SchemaCache[dict[str, Upcaster]] = SchemaCache(lambda s: _Compiler(s).events())
