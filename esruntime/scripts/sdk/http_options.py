"""The ``options`` argument of ``sdk.http`` calls: headers, query and timeout, checked.

Header names must be tokens and values free of line breaks; the headers that frame the message
(``Host``, ``Content-Length``, ``Transfer-Encoding``, ``Connection``...) are the client's alone.
Values are printed the way JavaScript would (``true``, ``2`` for ``2.0``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from esruntime.errors import SdkError

if TYPE_CHECKING:
    from esruntime.scripts.sdk.http import HttpPolicy

__all__ = ["QueryItem", "parse_options"]

QueryItem = tuple[str, str | int | float | bool | None]

_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_FORBIDDEN_HEADERS = frozenset(
    {"host", "content-length", "transfer-encoding", "connection", "keep-alive", "upgrade", "te"}
    | {"trailer", "proxy-connection", "proxy-authorization"}
)
_MAX_HEADERS = 100
_MAX_HEADER_VALUE = 8192


def parse_options(
    options: Mapping[str, Any] | None, policy: HttpPolicy
) -> tuple[list[tuple[str, str]], list[QueryItem], int]:
    """The request headers, the query items to add, and the timeout in milliseconds."""
    options = {} if options is None else options
    if not isinstance(options, Mapping):
        raise SdkError("Invalid HTTP options: options must be an object")
    unknown = sorted(set(options) - {"headers", "query", "timeout"})
    if unknown:
        raise SdkError(f"Invalid HTTP options: unknown option {unknown[0]!r}")
    given = _pairs(options.get("headers"), "headers")
    if len(given) > _MAX_HEADERS:
        raise SdkError(f"Invalid HTTP options: more than {_MAX_HEADERS} headers")
    headers = [_header(name, value) for name, value in given]
    query: list[QueryItem] = []
    for key, value in _pairs(options.get("query"), "query"):
        values = value if isinstance(value, list) else [value]
        query.extend((key, _text(item, f"query parameter {key!r}")) for item in values)
    timeout = options.get("timeout")
    timeout = policy.default_timeout_ms if timeout is None else timeout
    limit = policy.max_timeout_ms
    if (
        isinstance(timeout, bool)
        or not isinstance(timeout, int | float)
        or not 1 <= timeout <= limit
    ):
        raise SdkError(f"Invalid HTTP options: timeout must be 1 to {limit} milliseconds")
    return headers, query, int(timeout)


def _pairs(value: Any, name: str) -> list[tuple[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
        raise SdkError(f"Invalid HTTP options: {name} must be an object")
    return list(value.items())


def _header(name: str, value: Any) -> tuple[str, str]:
    if not _TOKEN.fullmatch(name):
        raise SdkError(f"Invalid HTTP options: bad header name {name!r}")
    if name.lower() in _FORBIDDEN_HEADERS:
        raise SdkError(f"Invalid HTTP options: header {name!r} cannot be set by a script")
    text = _text(value, f"header {name!r}")
    if len(text) > _MAX_HEADER_VALUE or any(c in text for c in "\r\n\0"):
        raise SdkError(f"Invalid HTTP options: bad value for header {name!r}")
    return name, text


def _text(value: Any, what: str) -> str:
    """A scalar as JavaScript would print it in a URL or header."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, str | int | float):
        return str(value)
    if value is None:
        return ""
    raise SdkError(f"Invalid HTTP options: {what} must be a string, number or boolean")
