"""The ESDL schema model: immutable values produced by the parser and read by everything else.

Positions (``line``, ``column``) are kept for error messages but take no part in equality, so
``parse(format_schema(schema)) == schema`` holds however the text was laid out.
"""

from __future__ import annotations

from typing import Any, Literal

from attrs import field, frozen

__all__ = [
    "DOMAIN_ID_SCALARS",
    "SCALARS",
    "Default",
    "EnumDecl",
    "EventDecl",
    "Field",
    "Schema",
    "TypeDecl",
    "TypeRef",
]

Scalar = Literal[
    "String", "Int", "Long", "Float", "Double", "Bool", "Bytes", "Timestamp", "Uuid", "Json"
]
SCALARS: frozenset[str] = frozenset(
    ["String", "Int", "Long", "Float", "Double", "Bool", "Bytes", "Timestamp", "Uuid", "Json"]
)
DOMAIN_ID_SCALARS: frozenset[str] = frozenset(["String", "Int", "Long", "Uuid"])
"""The scalars a domain-id (``@``) field may have; optional forms are allowed too."""


@frozen
class TypeRef:
    """A type expression: a named type (scalar, ``type`` or ``enum``) or an array, maybe optional.

    ``TypeRef("String")`` is ``String``; ``TypeRef(item=TypeRef("Int", optional=True),
    optional=True)`` is ``[Int?]?``.
    """

    name: str | None = None
    item: TypeRef | None = None
    optional: bool = False

    @property
    def is_array(self) -> bool:
        return self.item is not None

    def required(self) -> TypeRef:
        """The same type without the outer ``?``."""
        return TypeRef(self.name, self.item, optional=False)

    def __str__(self) -> str:
        inner = f"[{self.item}]" if self.item is not None else str(self.name)
        return f"{inner}?" if self.optional else inner


@frozen
class Default:
    """A field's default literal: a string, number, bool, ``None`` (``null``), a list of
    literals, or an enum variant (``enum_variant=True``, the variant's name in ``value``)."""

    value: Any
    enum_variant: bool = False


@frozen
class Field:
    """``[@]name: type [= default]``, with its ``///`` doc comment."""

    name: str
    type: TypeRef
    domain_id: bool = False
    default: Default | None = None
    doc: str | None = None
    line: int = field(default=0, eq=False)
    column: int = field(default=0, eq=False)


@frozen
class EventDecl:
    """``event Name { fields }``."""

    name: str
    fields: tuple[Field, ...] = ()
    doc: str | None = None
    line: int = field(default=0, eq=False)
    column: int = field(default=0, eq=False)

    @property
    def domain_ids(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields if f.domain_id)

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)


@frozen
class TypeDecl:
    """``type Name { fields }``: a record used as a field type."""

    name: str
    fields: tuple[Field, ...] = ()
    doc: str | None = None
    line: int = field(default=0, eq=False)
    column: int = field(default=0, eq=False)

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)


@frozen
class EnumDecl:
    """``enum Name { A, B, C }``."""

    name: str
    variants: tuple[str, ...] = ()
    doc: str | None = None
    line: int = field(default=0, eq=False)
    column: int = field(default=0, eq=False)


@frozen
class Schema:
    """A parsed, checked ESDL schema: its events, record types and enums in source order."""

    events: tuple[EventDecl, ...] = ()
    types: tuple[TypeDecl, ...] = ()
    enums: tuple[EnumDecl, ...] = ()
    _by_name: dict[str, EventDecl | TypeDecl | EnumDecl] = field(
        init=False, eq=False, repr=False, hash=False
    )

    def __attrs_post_init__(self) -> None:
        # Declaration names are unique across events, types and enums in a checked schema.
        index = {d.name: d for group in (self.enums, self.types, self.events) for d in group}
        object.__setattr__(self, "_by_name", index)

    def event(self, name: str) -> EventDecl | None:
        found = self._by_name.get(name)
        return found if isinstance(found, EventDecl) else None

    def type(self, name: str) -> TypeDecl | None:
        found = self._by_name.get(name)
        return found if isinstance(found, TypeDecl) else None

    def enum(self, name: str) -> EnumDecl | None:
        found = self._by_name.get(name)
        return found if isinstance(found, EnumDecl) else None
