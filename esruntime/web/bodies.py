"""Reading request bodies and query strings, refusing anything malformed with a precise 400.

JSON is read strictly: UTF-8, no duplicate keys, no NaN or infinities, at most ``max_depth``
levels of nesting, and no string that no event store can keep (U+0000, an unpaired surrogate),
refused with its JSON path. Structured bodies go through a private cattrs converter that forbids
unknown fields and types nothing loosely (``"5"`` is not an integer, ``true`` is not ``1``; ``5.0``
is the integer 5, as JSON Schema has it).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any, TypeVar, get_origin

import cattrs
from cattrs.cols import list_structure_factory, mapping_structure_factory
from cattrs.errors import ForbiddenExtraKeysError
from cattrs.gen import make_dict_structure_fn

from esruntime.encoding import json_depth
from esruntime.web.errors import WebError

__all__ = [
    "content_type",
    "parse_json",
    "parse_query",
    "parse_text",
    "require_content_type",
    "structure",
]

T = TypeVar("T")
MAX_DEPTH = 64
# What JSON text must escape to hold a character that cannot be stored: \u0000 or a surrogate
# (either may be part of a longer escape sequence: the decoded strings decide).
_UNSTORABLE_ESCAPE = re.compile(r"\\u(?:0000|[dD][89a-fA-F])")
_UNSTORABLE = re.compile(r"[\x00\ud800-\udfff]")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def content_type(headers: Mapping[str, str]) -> tuple[str, dict[str, str]]:
    """The media type (lower case) and its parameters; ``("", {})`` without the header."""
    value = headers.get("content-type", "")
    media, *rest = value.split(";")
    params = {}
    for part in rest:
        name, _, param = part.partition("=")
        params[name.strip().lower()] = param.strip().strip('"').lower()
    return media.strip().lower(), params


def require_content_type(headers: Mapping[str, str], expected: str) -> None:
    """Refuse a body that is not ``expected`` (UTF-8 when a charset is named)."""
    media, params = content_type(headers)
    if media != expected:
        got = f"got {media!r}" if media else "got none"
        raise WebError(400, "invalid_content_type", f"Content-Type must be {expected}, {got}")
    charset = params.get("charset")
    if charset is not None and charset not in ("utf-8", "utf8"):
        raise WebError(
            400, "invalid_content_type", f"the body must be UTF-8, Content-Type names {charset!r}"
        )


def _utf8(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise WebError(
            400, "invalid_encoding", f"the body is not UTF-8: byte {exc.start} is invalid"
        ) from None


def parse_text(body: bytes) -> str:
    return _utf8(body)


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {key!r}")
        result[key] = value
    return result


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def parse_json(body: bytes, max_depth: int = MAX_DEPTH) -> Any:
    """The JSON document of a request body, or a 400 ``invalid_json`` saying what is wrong."""
    if not body.strip():
        raise WebError(400, "invalid_json", "the body is empty; send a JSON document")
    text = _utf8(body)
    try:
        value = json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        message = f"malformed JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        raise WebError(400, "invalid_json", message) from None
    except RecursionError:
        raise WebError(400, "invalid_json", f"JSON nested deeper than {max_depth} levels") from None
    except ValueError as exc:  # duplicate keys, NaN, integers too long to convert
        raise WebError(400, "invalid_json", f"malformed JSON: {exc}") from None
    if json_depth(value) > max_depth:
        raise WebError(400, "invalid_json", f"JSON nested deeper than {max_depth} levels")
    if _UNSTORABLE_ESCAPE.search(text):
        _refuse_unstorable(value)
    return value


def _refuse_unstorable(value: Any) -> None:
    for path, text in _strings(value, "$"):
        found = _UNSTORABLE.search(text)
        if found is not None:
            char = found.group()
            what = "U+0000" if char == "\x00" else f"an unpaired surrogate (U+{ord(char):04X})"
            raise WebError(400, "invalid_json", f"{path} contains {what}, which cannot be stored")


def _strings(value: Any, path: str) -> Iterator[tuple[str, str]]:
    """Every string of a JSON value (keys as well) with its path; keys name the path of their
    value, as ``$.owner`` or ``$["a b"]``."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            inner = f"{path}.{key}" if _NAME.fullmatch(key) else f"{path}[{_quoted(key)}]"
            yield inner + " (a key)", key
            yield from _strings(item, inner)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, f"{path}[{index}]")


def _quoted(key: str) -> str:
    """A key for a message: JSON-escaped (a NUL shows as \\u0000), at most 40 characters."""
    shown = json.dumps(key[:40])
    return shown if len(key) <= 40 else shown[:-1] + '..."'


def parse_query(pairs: tuple[tuple[str, str], ...], allowed: tuple[str, ...]) -> dict[str, str]:
    """The query parameters by name; an unknown or repeated one is a 400."""
    found: dict[str, str] = {}
    for name, value in pairs:
        if name not in allowed:
            known = f"; this route takes {', '.join(allowed)}" if allowed else ""
            raise WebError(400, "invalid_request", f"unknown query parameter {name!r}{known}")
        if name in found:
            raise WebError(400, "invalid_request", f"query parameter {name!r} is repeated")
        found[name] = value
    return found


def query_flag(params: Mapping[str, str], name: str) -> bool:
    value = params.get(name, "false").lower()
    if value not in ("true", "false", "1", "0"):
        raise WebError(400, "invalid_request", f"{name} must be true or false, got {value!r}")
    return value in ("true", "1")


def _strict(kind: type) -> Any:
    names = {int: "integer", str: "string", bool: "boolean"}

    def check(value: object, _: object) -> Any:
        if kind is int and type(value) is float and value.is_integer():
            return int(value)  # JSON (and JSON Schema) make no difference between 3 and 3.0
        if type(value) is not kind:
            raise TypeError(f"expected {names[kind]}, got {_kind_of(value)}")
        return value

    return check


def _origin(type_: Any) -> Any:
    return get_origin(type_)


def _checked(kind: type, name: str, factory: Any) -> Any:
    """A hook factory that refuses values not of ``kind`` before cattrs's own hook runs (which
    would take a string for a list of its characters)."""

    def make(type_: Any, converter: cattrs.Converter) -> Any:
        inner = factory(type_, converter)

        def structure(value: object, target: Any) -> Any:
            if not isinstance(value, kind):
                raise TypeError(f"expected {name}, got {_kind_of(value)}")
            return inner(value, target)

        return structure

    return make


_converter = cattrs.Converter(forbid_extra_keys=True)
for _kind in (int, str, bool):
    _converter.register_structure_hook(_kind, _strict(_kind))
_converter.register_structure_hook(Any, lambda value, _: value)
_converter.register_structure_hook_factory(
    lambda t: _origin(t) is list, _checked(list, "array", list_structure_factory)
)
_converter.register_structure_hook_factory(
    lambda t: _origin(t) is dict, _checked(dict, "object", mapping_structure_factory)
)


def register(cls: type) -> None:
    """Give ``cls`` (an attrs class) a strict structuring function on the private converter."""
    _converter.register_structure_hook(
        cls, make_dict_structure_fn(cls, _converter, _cattrs_forbid_extra_keys=True)
    )


def structure(document: Any, cls: type[T]) -> T:
    """``document`` as ``cls``, or a 400 ``invalid_request`` naming every problem and its path."""
    if not isinstance(document, dict):
        raise WebError(
            400, "invalid_request", f"the body must be a JSON object, got {_kind_of(document)}"
        )
    try:
        return _converter.structure(document, cls)
    except Exception as exc:
        problems = cattrs.transform_error(exc, path="$", format_exception=_problem)
        raise WebError(400, "invalid_request", "; ".join(problems)) from None


def _problem(exc: BaseException, _: type | None) -> str:
    if isinstance(exc, ForbiddenExtraKeysError):
        return "unknown field(s) " + ", ".join(repr(k) for k in sorted(exc.extra_fields))
    if isinstance(exc, KeyError):
        return "required field missing"
    if isinstance(exc, TypeError | ValueError):
        return str(exc)
    return f"invalid value ({type(exc).__name__})"


def _kind_of(value: Any) -> str:
    names = {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}
    return names.get(type(value), "number")
