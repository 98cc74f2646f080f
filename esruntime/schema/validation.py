"""Validation of event data against a schema's event types (``docs/esdl.md``, "Event data").

A violation is a pair ``(path, message)``. Paths are JSONPath-like: ``$`` is the event's data,
``.name`` a field, ``[2]`` an array item, and a key inside a ``Json`` value that is not a plain
name is written ``["a key"]``; so ``$.lines[2].sku``. Messages are one of:

- ``required field is missing`` and ``required field is null``, at the field's path;
- ``undeclared field 'colour'``, at the path of the object holding it;
- ``expected <what> (<Type>), got <value>``, at the value's path, for a value of the wrong kind
  or out of range, e.g. ``expected a number (Float), got the string '12'``;
- ``nested deeper than 100 levels``, where the data nests deeper than any store can hold;
- ``unknown event type 'X'``, at ``$``, as the only violation.

Rules the language leaves open, decided here: a required ``Json`` field is non-null like any other
(``Json?`` admits null); a field with a default but no ``?`` is required in new data (the default
only fills *older* events, see :func:`upcast`); arrays are lists and objects dicts, not tuples or
other mappings; ``Float`` and ``Double`` are both checked as 64-bit floats. Strings are not checked
for U+0000 or lone surrogates: the store refuses those itself, for every field.

Each schema object is compiled once (see :mod:`esruntime.schema.cache`) into closures per event
type, so checking a typical event costs a few microseconds.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Sequence
from math import isfinite
from typing import NamedTuple

from esruntime.errors import EventValidationError, SchemaError
from esruntime.schema.cache import SchemaCache
from esruntime.schema.model import Field, Schema, TypeRef
from esruntime.schema.upcasting import upcast
from esruntime.schema.values import MAX_DEPTH, SCALAR_CHECKS, ScalarCheck, enum_check, expected

__all__ = ["MAX_DEPTH", "MAX_REPORTED", "upcast", "validate_event", "violations"]

MAX_REPORTED = 100
"""At most this many violations are carried by an :class:`EventValidationError`."""

Violation = tuple[str, str]
ContainerCheck = Callable[[object, str, int, list[Violation]], None]
"""Appends the violations of a value at ``path``, nested ``depth`` levels deep, to a list."""

_TOO_DEEP = f"nested deeper than {MAX_DEPTH} levels"
_MISSING = object()
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class _Check(NamedTuple):
    """A compiled type: exactly one of ``scalar`` and ``container`` is set."""

    scalar: ScalarCheck | None
    container: ContainerCheck | None
    on_null: str
    """The message for a null where this type is required (an array item)."""


def violations(schema: Schema, event_type: str, data: object) -> list[Violation]:
    """Every way ``data`` fails to be valid data of ``event_type``, in document order.

    An event type that the schema does not declare is one violation at ``$``, not an exception,
    so that callers report it like any other problem with an event.
    """
    check = _compiled.get(schema).get(event_type)
    if check is None:
        return [("$", f"unknown event type {event_type!r}")]
    found: list[Violation] = []
    check(data, "$", 1, found)
    return found


def validate_event(schema: Schema, event_type: str, data: object) -> None:
    """Raise :class:`EventValidationError` listing the violations, if there are any.

    The error carries the first :data:`MAX_REPORTED` of them and, after those, ``("$", "... and
    N more violations")``: an error travels into logs and HTTP responses, where a million lines
    about a million bad array items help nobody.
    """
    found = violations(schema, event_type, data)
    if found:
        if len(found) > MAX_REPORTED:
            more = len(found) - MAX_REPORTED
            found = [*found[:MAX_REPORTED], ("$", f"... and {more:,} more violations")]
        raise EventValidationError(event_type, found)


class _ObjectCheck:
    """Checks a JSON object against the fields of an event or a ``type``."""

    __slots__ = ("declared", "fields", "type_name")

    def __init__(self, type_name: str) -> None:
        self.type_name = type_name
        self.fields: tuple[tuple[str, bool, _Check], ...] = ()
        self.declared: frozenset[str] = frozenset()

    def check(self, value: object, path: str, depth: int, out: list[Violation]) -> None:
        if not isinstance(value, dict):
            out.append((path, expected("an object", self.type_name, value)))
            return
        if depth > MAX_DEPTH:
            out.append((path, _TOO_DEEP))
            return
        present = 0
        missing = _MISSING
        for name, required, (scalar, container, _) in self.fields:
            item = value.get(name, missing)
            if item is missing:
                if required:
                    out.append((f"{path}.{name}", "required field is missing"))
                continue
            present += 1
            if item is None:
                if required:
                    out.append((f"{path}.{name}", "required field is null"))
            elif scalar is not None:
                problem = scalar(item)
                if problem is not None:
                    out.append((f"{path}.{name}", problem))
            elif container is not None:
                container(item, f"{path}.{name}", depth + 1, out)
        if present != len(value):
            declared = self.declared
            out.extend((path, f"undeclared field {key!r}") for key in value if key not in declared)


def _array_check(type_name: str, item: _Check, item_optional: bool) -> ContainerCheck:
    scalar, container, on_null = item

    def check(value: object, path: str, depth: int, out: list[Violation]) -> None:
        if not isinstance(value, list):
            out.append((path, expected("an array", type_name, value)))
            return
        if depth > MAX_DEPTH:
            out.append((path, _TOO_DEEP))
            return
        for index, element in enumerate(value):
            if element is None:
                if not item_optional:
                    out.append((f"{path}[{index}]", on_null))
            elif scalar is not None:
                problem = scalar(element)
                if problem is not None:
                    out.append((f"{path}[{index}]", problem))
            elif container is not None:
                container(element, f"{path}[{index}]", depth + 1, out)

    return check


def _child_path(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    if _NAME.fullmatch(key):
        return f"{path}.{key}"
    return f"{path}[{json.dumps(key, ensure_ascii=False)}]"


def _check_json(value: object, path: str, depth: int, out: list[Violation]) -> None:
    """Check that a value is plain JSON: dicts with string keys, lists, strings, ints, finite
    floats, booleans and nulls, nested at most :data:`MAX_DEPTH` levels.

    Walks with an explicit stack of iterators, not recursion: a ``Json`` value may nest
    arbitrarily deep, or even contain itself, and must still get an answer.
    """
    stack: list[tuple[str, int, Iterator[tuple[str | int | None, object]]]] = [
        (path, depth, iter([(None, value)]))
    ]
    while stack:
        parent, level, items = stack[-1]
        for key, item in items:
            if item is None or isinstance(item, str | int):  # bool is an int
                continue
            item_path = parent if key is None else _child_path(parent, key)
            if isinstance(item, float):
                if not isfinite(item):
                    out.append((item_path, expected("a finite number", "Json", item)))
                continue
            if not isinstance(item, dict | list):
                out.append((item_path, expected("a JSON value", "Json", item)))
                continue
            if level > MAX_DEPTH:
                out.append((item_path, _TOO_DEEP))
                continue
            stack.append((item_path, level + 1, _json_items(item, item_path, out)))
            break  # descend; this level's iterator resumes when the child is done
        else:
            stack.pop()


def _json_items(
    value: dict[object, object] | list[object], path: str, out: list[Violation]
) -> Iterator[tuple[str | int | None, object]]:
    if isinstance(value, list):
        return iter(enumerate(value))
    bad_keys = [key for key in value if not isinstance(key, str)]
    out.extend((path, f"object key {key!r} is not a string") for key in bad_keys)
    return iter([(key, item) for key, item in value.items() if isinstance(key, str)])


class _Compiler:
    """Turns a schema into one root check per event type, sharing one check per ``type``."""

    def __init__(self, schema: Schema) -> None:
        self._schema = schema
        self._types: dict[str, _ObjectCheck] = {}

    def events(self) -> dict[str, ContainerCheck]:
        checks: dict[str, ContainerCheck] = {}
        for event in self._schema.events:
            root = _ObjectCheck(event.name)
            self._fill(root, event.fields)
            checks[event.name] = root.check
        return checks

    def _fill(self, check: _ObjectCheck, fields: Sequence[Field]) -> None:
        check.fields = tuple((f.name, not f.type.optional, self._ref(f.type)) for f in fields)
        check.declared = frozenset(f.name for f in fields)

    def _ref(self, ref: TypeRef) -> _Check:
        type_name = str(ref.required())
        if ref.item is not None:
            array = _array_check(type_name, self._ref(ref.item), ref.item.optional)
            return _Check(None, array, expected("an array", type_name, None))
        name = ref.name or ""
        if name == "Json":
            return _Check(None, _check_json, expected("a JSON value", "Json", None))
        if name in SCALAR_CHECKS:
            scalar = SCALAR_CHECKS[name]
            return _Check(scalar, None, _null_message(scalar))
        if (enum := self._schema.enum(name)) is not None:
            scalar = enum_check(name, enum.variants)
            return _Check(scalar, None, _null_message(scalar))
        if (decl := self._schema.type(name)) is not None:
            obj = self._types.get(name)
            if obj is None:
                # Registered before its fields are compiled: a type may contain itself.
                obj = self._types[name] = _ObjectCheck(name)
                self._fill(obj, decl.fields)
            return _Check(None, obj.check, expected("an object", name, None))
        raise SchemaError(f"the schema uses the type {name!r} but declares no such type")


def _null_message(scalar: ScalarCheck) -> str:
    # A scalar check's message for null says what was expected, in its own words.
    return scalar(None) or "null is not allowed here"


_compiled: SchemaCache[dict[str, ContainerCheck]] = SchemaCache(
    lambda schema: _Compiler(schema).events()
)
