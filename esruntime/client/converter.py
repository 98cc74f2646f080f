"""Reading the server's JSON answers into the client's values, through a private cattrs
converter, with a precise error for each surprise.

The client is a tolerant reader: fields it does not know are ignored (``forbid_extra_keys`` is
off, so a client keeps working against a newer server that adds fields to an answer), and a
nullable field may be left out. It is strict about the fields it uses: each must have its JSON
type (``"5"`` is no integer, ``true`` no ``1``, a time is RFC 3339 with an offset). Anything else
raises :class:`~esruntime.errors.MalformedResponseError` naming the answer and the JSON path:
``POST /v1/commands/deposit: $.events[2].id should be a string, got number``.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, TypeVar, get_args, get_origin

import attrs
import cattrs
from cattrs.cols import homogenous_tuple_structure_factory
from cattrs.gen import make_dict_structure_fn

from esruntime.errors import MalformedResponseError

__all__ = ["json_kind", "read", "read_object"]

T = TypeVar("T")

_KINDS = {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}


def json_kind(value: Any) -> str:
    """The JSON name of a value's type."""
    return _KINDS.get(type(value), "number")


class _Unexpected(TypeError):
    """A value of the wrong JSON type (``shown`` overrides how the value is described)."""

    def __init__(self, expected: str, value: Any, shown: str | None = None) -> None:
        self.expected = expected
        super().__init__(f"should be {expected}, got {shown or json_kind(value)}")


def _exactly(kind: type, expected: str) -> Callable[[Any, Any], Any]:
    def structure(value: Any, _: Any) -> Any:
        if type(value) is not kind:
            raise _Unexpected(expected, value)
        return value

    return structure


def _time(value: Any, _: Any) -> datetime:
    if not isinstance(value, str):
        raise _Unexpected("an RFC 3339 time", value)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise _Unexpected("an RFC 3339 time", value, repr(value[:40]))
    return moment


def _mapping(value: Any, _: Any) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise _Unexpected("an object", value)
    return value


def _optional(type_: Any) -> bool:
    return get_origin(type_) in (typing.Union, types.UnionType) and type(None) in get_args(type_)


def _expected(type_: Any) -> str:
    """How an error names what a field of ``type_`` should be."""
    if _optional(type_):
        inner = [t for t in get_args(type_) if t is not type(None)]
        return f"{_expected(inner[0]) if len(inner) == 1 else 'a value'} or null"
    origin = get_origin(type_) or type_
    names = {int: "an integer", str: "a string", bool: "a boolean", datetime: "an RFC 3339 time"}
    if origin in names:
        return names[origin]
    if origin in (tuple, list):
        return "an array"
    if origin in (dict, Mapping) or attrs.has(origin):
        return "an object"
    return "present"


def _object(cls: Any, converter: cattrs.BaseConverter) -> Callable[[Any, Any], Any]:
    """The hook of an attrs class: the value must be a JSON object, and nullable fields
    without a default may be left out."""
    hints = typing.get_type_hints(cls)
    nullable = [
        f.name
        for f in attrs.fields(cls)
        if f.init and f.default is attrs.NOTHING and _optional(hints[f.name])
    ]
    inner: Callable[[Any, Any], Any] = make_dict_structure_fn(cls, converter)

    def structure(value: Any, _: Any) -> Any:
        if not isinstance(value, dict):
            raise _Unexpected("an object", value)
        missing = [name for name in nullable if name not in value]
        if missing:
            value = {**dict.fromkeys(missing), **value}
        return inner(value, cls)

    return structure


def _arrays(type_: Any, converter: cattrs.BaseConverter) -> Callable[[Any, Any], Any]:
    """Tuples are JSON arrays (cattrs would take a string for a tuple of its characters)."""
    inner = homogenous_tuple_structure_factory(type_, converter)

    def structure(value: Any, target: Any) -> tuple[Any, ...]:
        if not isinstance(value, list):
            raise _Unexpected("an array", value)
        return tuple(inner(value, target))

    return structure


def _is_mapping(type_: Any) -> bool:
    return (get_origin(type_) or type_) in (Mapping, dict)


def _is_tuple(type_: Any) -> bool:
    return get_origin(type_) is tuple


def _is_scalar_union(type_: Any) -> bool:
    members = [t for t in get_args(type_) if t is not type(None)]
    return (
        get_origin(type_) in (typing.Union, types.UnionType)
        and len(members) > 1
        and all(t in (str, int, bool) for t in members)
    )


def _scalars(type_: Any) -> Callable[[Any, Any], Any]:
    """A union of JSON scalars (``str | int | None``): a value of exactly one of them."""
    kinds = tuple(get_args(type_))
    expected = " or ".join(_expected(t) if t is not type(None) else "null" for t in kinds)

    def structure(value: Any, _: Any) -> Any:
        if type(value) not in kinds:
            raise _Unexpected(expected, value)
        return value

    return structure


def _converter() -> cattrs.Converter:
    converter = cattrs.Converter(forbid_extra_keys=False, detailed_validation=True)
    converter.register_structure_hook(int, _exactly(int, "an integer"))
    converter.register_structure_hook(str, _exactly(str, "a string"))
    converter.register_structure_hook(bool, _exactly(bool, "a boolean"))
    converter.register_structure_hook(datetime, _time)
    converter.register_structure_hook(Any, lambda value, _: value)
    converter.register_structure_hook_func(_is_mapping, _mapping)
    converter.register_structure_hook_factory(_is_tuple, _arrays)
    converter.register_structure_hook_factory(_is_scalar_union, _scalars)
    converter.register_structure_hook_factory(attrs.has, _object)
    return converter


_private = _converter()


def _problem(exc: BaseException, type_: type | None) -> str:
    if isinstance(exc, _Unexpected):
        return str(exc)
    if isinstance(exc, KeyError):
        return f"should be {_expected(type_)}, got nothing"
    return f"is invalid ({exc})"


def read(value: Any, cls: type[T], what: str) -> T:
    """``value`` (a JSON document of the answer ``what``) as ``cls``, or the
    MalformedResponseError naming the first problem and its path."""
    try:
        return _private.structure(value, cls)
    except Exception as exc:
        problems = cattrs.transform_error(exc, path="$", format_exception=_problem)
        message, _, path = problems[0].rpartition(" @ ")
        raise MalformedResponseError(f"{what}: {path} {message}") from None


def read_object(value: Any, what: str) -> dict[str, Any]:
    """``value`` if it is a JSON object."""
    if not isinstance(value, dict):
        raise MalformedResponseError(f"{what}: $ should be an object, got {json_kind(value)}")
    return value
