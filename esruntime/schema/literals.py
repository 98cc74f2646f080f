"""Default literals: whether one fits a field's type, and its canonical ESDL text.

A default is a JSON-like value: ``str``, ``int``, ``float``, ``bool``, ``None`` or a tuple (a
list literal) of those; :attr:`Default.enum_variant` says its strings are bare enum variants.
A default fills stored events that lack its field, so it must be a value the validator accepts:
scalars are checked by the validator's own checks (:data:`esruntime.schema.values.SCALAR_CHECKS`);
an enum default is a bare variant of that enum, a Json default any literal but a variant, and
``null`` is only for optional types. A record type has no literal, so only ``null``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

from esruntime.schema.model import EnumDecl, TypeRef
from esruntime.schema.values import SCALAR_CHECKS

__all__ = ["format_literal", "literal_problem"]

Resolve = Callable[[str], "EnumDecl | str | None"]
"""Resolves a type name: the scalar's name, an :class:`EnumDecl`, or None for a record type."""


def format_literal(value: Any, *, enum_variant: bool = False) -> str:
    """The canonical ESDL text of a default value (strings bare when ``enum_variant``)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str):
        return value if enum_variant else json.dumps(value, ensure_ascii=False)
    if isinstance(value, tuple | list):
        items = ", ".join(format_literal(v, enum_variant=enum_variant) for v in value)
        return f"[{items}]"
    return repr(value)


def _a(name: str) -> str:
    return f"an {name}" if name[:1] in ("A", "E", "I", "O") else f"a {name}"


def literal_problem(
    value: Any, ref: TypeRef, *, enum_variant: bool, resolve: Resolve
) -> str | None:
    """What is wrong with ``value`` as a value of ``ref``, or None when it fits.

    The answer is about the offending value, which may be an element deep inside a list.
    """
    if value is None:
        if ref.optional:
            return None
        return f"{ref} is not optional (write {ref}? to allow null)"
    text = format_literal(value, enum_variant=enum_variant)
    if ref.item is not None:
        if not isinstance(value, tuple | list):
            return f"expected a list ({ref}), got {text}"
        problems = (
            literal_problem(element, ref.item, enum_variant=enum_variant, resolve=resolve)
            for element in value
        )
        return next((problem for problem in problems if problem), None)
    kind = resolve(str(ref.name))
    if isinstance(kind, EnumDecl):
        if not enum_variant or not isinstance(value, str):
            like = f", like {kind.variants[0]}" if kind.variants else ""
            return f"expected a bare variant of enum {kind.name}{like}, got {text}"
        if value not in kind.variants:
            return f"{text} is not a variant of enum {kind.name} ({', '.join(kind.variants)})"
        return None
    if kind is None:
        return f"a {ref.name} cannot be written as a literal; only null can be its default"
    if enum_variant and _has_string(value):
        got = (
            f"bare names in {text}" if isinstance(value, tuple | list) else f"the bare name {text}"
        )
        return (
            f"expected {_a(kind)}, got {got} "
            "(bare names are enum variants; strings are double-quoted)"
        )
    return _scalar_problem(value, kind, text)


def _has_string(value: Any) -> bool:
    if isinstance(value, tuple | list):
        return any(_has_string(v) for v in value)
    return isinstance(value, str)


def _scalar_problem(value: Any, scalar: str, text: str) -> str | None:
    if scalar == "Json":
        if isinstance(value, tuple | list):
            problems = (_scalar_problem(v, "Json", format_literal(v)) for v in value)
            return next((p for p in problems if p), None)
        if isinstance(value, float) and not math.isfinite(value):
            return f"expected a finite number (Json), got {text}"
        return None
    if isinstance(value, tuple | list):
        return f"expected {_a(scalar)}, got the list {text}"
    if value is None:
        return None
    return SCALAR_CHECKS[scalar](value)
