"""Build the schema model from ESDL parse results, inside Lark's LALR parser.

The :class:`SchemaBuilder` runs as Lark's inline transformer: each callback is called as soon as
its rule is reduced, so no parse tree is ever built. It is stateless (one instance serves every
parse, in any thread) and checks only what the grammar cannot say: fields and enum variants are
separated by a comma or a line break, string literals hold valid Unicode, integers are short
enough to mean something, and a list default does not mix enum variants with other values.
Everything else (names, types, defaults) is for :mod:`esruntime.schema.checks`.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Sequence
from typing import Any

from attrs import frozen
from lark import Token, Transformer

from esruntime.schema.model import Default, EnumDecl, EventDecl, Field, Schema, TypeDecl, TypeRef

__all__ = ["MAX_INTEGER_DIGITS", "LayoutError", "ParsedSchema", "SchemaBuilder"]

MAX_INTEGER_DIGITS = 40
"""Longer integer literals are refused: no ESDL number type holds them, and Python's ``int()``
refuses very long digit strings anyway. Likewise floats beyond a double's range, which would
become infinity."""

Position = tuple[int, int]


class LayoutError(Exception):
    """A syntax error found while building, not by Lark; the parser renders it with the source."""

    def __init__(self, token: Token, expected: Sequence[str], hint: str | None = None) -> None:
        super().__init__(token.value)
        self.token = token
        self.expected = tuple(expected)
        self.hint = hint


@frozen
class ParsedSchema:
    """The model and the positions it has no room for (each enum variant's, for messages)."""

    schema: Schema
    variant_positions: tuple[tuple[Position, ...], ...]
    """``variant_positions[i][j]`` is where ``schema.enums[i].variants[j]`` stands."""


class _Typed(tuple[TypeRef, Token]):
    """A type expression and its last token. (Tuples are the cheapest objects to build, and
    a megabyte of schema builds hundreds of thousands of these.)"""

    __slots__ = ()


@frozen
class _Literal:
    value: Any
    last: Token
    variant: Token | None = None
    """The first bare enum variant in the literal, if any."""
    plain: Token | None = None
    """The first string, number or bool in the literal, if any."""


class _Docs(tuple[Token, "_Docs | None"]):
    """Consecutive ``///`` lines, as a chain ``(last, before)`` from the last back to the first.

    Each reduction of a docs rule adds one link instead of copying a list, so a block of doc
    lines is built in linear time however long it is.
    """

    __slots__ = ()

    def tokens(self) -> list[Token]:
        """The doc lines in source order."""
        tokens: list[Token] = []
        link: _Docs | None = self
        while link is not None:
            tokens.append(link[0])
            link = link[1]
        tokens.reverse()
        return tokens


class _Item(tuple[Any, Token, Token]):
    """A field or enum variant ``(value, first, last)`` with the tokens that start and end it."""

    __slots__ = ()


@functools.lru_cache(maxsize=1024)
def _named_ref(name: str, optional: bool) -> TypeRef:
    # Most fields name one of a few types; a shared, immutable TypeRef saves building each.
    return TypeRef(name, optional=optional)


def _at(token: Token) -> Position:
    """Where a token starts; Lark leaves positions optional, but its lexer always sets them."""
    return token.line or 1, token.column or 1


def _doc(docs: _Docs | None) -> str | None:
    if docs is None:
        return None
    lines = []
    for token in docs.tokens():
        text = token.value[3:]
        lines.append((text[1:] if text.startswith(" ") else text).rstrip())
    return "\n".join(lines)


def _separated(children: Sequence[Any], what: str) -> list[_Item]:
    """The items of a body, each separated from the previous by a comma or a line break."""
    items: list[_Item] = []
    comma = True
    last_line = 0
    for child in children:
        if isinstance(child, Token):
            comma = True
            continue
        _, first, last = child
        if items and not comma and (first.line or 1) == last_line:
            raise LayoutError(
                first,
                ["','", "a line break"],
                f"{what} are separated by commas or written one per line",
            )
        items.append(child)
        comma = False
        last_line = last.line or 1
    return items


class SchemaBuilder(Transformer[Token, Any]):
    """Lark callbacks that turn ESDL rules into model objects (see the module docstring)."""

    def start(
        self, children: list[EventDecl | TypeDecl | tuple[EnumDecl, tuple[Position, ...]]]
    ) -> ParsedSchema:
        events = [c for c in children if isinstance(c, EventDecl)]
        types = [c for c in children if isinstance(c, TypeDecl)]
        enums = [c for c in children if isinstance(c, tuple)]
        schema = Schema(tuple(events), tuple(types), tuple(decl for decl, _ in enums))
        return ParsedSchema(schema, tuple(positions for _, positions in enums))

    def event(self, children: list[Any]) -> EventDecl:
        docs, keyword, name, fields = _declaration_parts(children)
        return EventDecl(name.value, fields, _doc(docs), *_at(keyword))

    def record(self, children: list[Any]) -> TypeDecl:
        docs, keyword, name, fields = _declaration_parts(children)
        return TypeDecl(name.value, fields, _doc(docs), *_at(keyword))

    def enum(self, children: list[Any]) -> tuple[EnumDecl, tuple[Position, ...]]:
        docs, keyword, name, variants = _declaration_parts(children)
        decl = EnumDecl(
            name.value,
            tuple(token.value for token in variants),
            _doc(docs),
            *_at(keyword),
        )
        return decl, tuple(_at(token) for token in variants)

    def decl_docs(self, children: list[Any]) -> _Docs:
        if len(children) == 2:
            return _Docs((children[1], children[0]))
        return _Docs((children[0], None))

    field_docs = decl_docs
    variant_docs = decl_docs

    def fields(self, children: list[Any]) -> tuple[Field, ...]:
        return tuple(item[0] for item in _separated(children, "fields"))

    def field(self, children: list[Any]) -> _Item:
        docs: _Docs | None = None
        at: Token | None = None
        index = 0
        first = children[0]
        if first.__class__ is _Docs:
            docs, index = first, 1
            first = children[1]
        if first.type == "AT":
            at, index = first, index + 1
        name: Token = children[index]
        ref, last = children[index + 1]
        default = None
        if len(children) > index + 2:
            literal: _Literal = children[index + 2]
            default = Default(literal.value, enum_variant=literal.variant is not None)
            last = literal.last
        start = at or name
        value = Field(
            name.value,
            ref,
            at is not None,
            default,
            _doc(docs) if docs is not None else None,
            start.line or 1,
            start.column or 1,
        )
        return _Item((value, start, last))

    def variants(self, children: list[Any]) -> tuple[Token, ...]:
        return tuple(item[0] for item in _separated(children, "enum variants"))

    def variant(self, children: list[Any]) -> _Item:
        if len(children) == 2:
            doc = children[0].tokens()[0]
            raise LayoutError(
                doc,
                ["an enum variant"],
                "enum variants cannot have /// doc comments; use // for a plain comment",
            )
        token: Token = children[0]
        return _Item((token, token, token))

    def named_type(self, children: list[Token]) -> _Typed:
        return _Typed((_named_ref(children[0].value, len(children) == 2), children[-1]))

    def array_type(self, children: list[Any]) -> _Typed:
        item: _Typed = children[1]
        return _Typed((TypeRef(item=item[0], optional=len(children) == 4), children[-1]))

    def string(self, children: list[Token]) -> _Literal:
        token = children[0]
        value: str = json.loads(token.value)
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise LayoutError(
                token,
                ["a string of Unicode characters"],
                "an escaped surrogate (\\ud800-\\udfff) must be half of a pair",
            ) from None
        return _Literal(value, token, plain=token)

    def number(self, children: list[Token]) -> _Literal:
        token = children[0]
        text = token.value
        if any(c in text for c in ".eE"):
            value = float(text)
            if math.isinf(value):
                raise LayoutError(token, ["a number within the range of a double (about 1.8e308)"])
            return _Literal(value, token, plain=token)
        if len(text.lstrip("-")) > MAX_INTEGER_DIGITS:
            raise LayoutError(token, [f"an integer of at most {MAX_INTEGER_DIGITS} digits"])
        return _Literal(int(text), token, plain=token)

    def true(self, children: list[Token]) -> _Literal:
        return _Literal(True, children[0], plain=children[0])

    def false(self, children: list[Token]) -> _Literal:
        return _Literal(False, children[0], plain=children[0])

    def null(self, children: list[Token]) -> _Literal:
        return _Literal(None, children[0])

    def variant_value(self, children: list[Token]) -> _Literal:
        return _Literal(children[0].value, children[0], variant=children[0])

    def list_value(self, children: list[Any]) -> _Literal:
        elements = [c for c in children if isinstance(c, _Literal)]
        variant = next((e.variant for e in elements if e.variant is not None), None)
        plain = next((e.plain for e in elements if e.plain is not None), None)
        if variant is not None and plain is not None:
            if _at(variant) < _at(plain):
                culprit, expected = plain, "an enum variant or null like the elements before it"
            else:
                culprit, expected = (
                    variant,
                    "a string, number, bool or null like the elements before it",
                )
            raise LayoutError(
                culprit,
                [expected],
                "a list default holds bare enum variants or other literals, not both",
            )
        return _Literal(
            tuple(e.value for e in elements), children[-1], variant=variant, plain=plain
        )


def _declaration_parts(children: list[Any]) -> tuple[_Docs | None, Token, Token, Any]:
    if children[0].__class__ is _Docs:
        return children[0], children[1], children[2], children[3]
    return None, children[0], children[1], children[2]
