"""Requests and responses as plain data, so the web layer never sees a framework's objects.

An adapter turns its framework's request into a :class:`WebRequest` (the body already read, up
to the route's limit) and writes the :class:`WebResponse` back; everything in between is here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from attrs import field, frozen

from esruntime.events import new_id

__all__ = ["JSON", "Headers", "WebRequest", "WebResponse", "json_response", "new_request_id"]

JSON = "application/json"
_CLIENT_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


class Headers(Mapping[str, str]):
    """Request headers, looked up by name in any case (a repeated header's values are joined
    with ``, `` as HTTP allows)."""

    def __init__(self, items: Iterable[tuple[str, str]] | Mapping[str, str] = ()) -> None:
        pairs = items.items() if isinstance(items, Mapping) else items
        merged: dict[str, str] = {}
        for name, value in pairs:
            key = name.lower()
            merged[key] = f"{merged[key]}, {value}" if key in merged else value
        self._items = merged

    def __getitem__(self, name: str) -> str:
        return self._items[name.lower()]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        shown = {k: ("***" if k == "authorization" else v) for k, v in self._items.items()}
        return f"Headers({shown!r})"


def _headers(value: Headers | Mapping[str, str] | Iterable[tuple[str, str]]) -> Headers:
    return value if isinstance(value, Headers) else Headers(value)


@frozen
class WebRequest:
    """One HTTP request to a route of the API.

    ``route`` is the name of the matched route; ``params`` its path parameters; ``query`` the
    query string's pairs in order. ``oversized`` says the body exceeded the route's limit and
    was not read (``body`` is then empty).
    """

    method: str
    route: str
    path: str = "/"
    params: Mapping[str, str] = field(factory=dict)
    query: tuple[tuple[str, str], ...] = ()
    headers: Headers = field(factory=Headers, converter=_headers)
    body: bytes = b""
    oversized: bool = False


@frozen
class WebResponse:
    """A status, headers and a body; ``content_type`` None for an empty body."""

    status: int
    body: bytes = b""
    content_type: str | None = JSON
    headers: tuple[tuple[str, str], ...] = ()

    def header(self, name: str) -> str | None:
        """The value of a header (any case), or None."""
        lowered = name.lower()
        return next((v for k, v in self.headers if k.lower() == lowered), None)

    def with_headers(self, *headers: tuple[str, str]) -> WebResponse:
        return WebResponse(self.status, self.body, self.content_type, (*self.headers, *headers))

    def json(self) -> Any:
        """The body parsed as JSON (for tests and callers embedding the API)."""
        return json.loads(self.body)


def json_response(status: int, body: Any, headers: Iterable[tuple[str, str]] = ()) -> WebResponse:
    """A JSON response; NaN and infinities are refused rather than sent as invalid JSON."""
    data = json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return WebResponse(status, data.encode(), JSON, tuple(headers))


def new_request_id(headers: Mapping[str, str] | None = None) -> str:
    """The request's id: the client's ``X-Request-ID`` when it is a plain token of at most 128
    characters, else ``req_`` and a fresh ULID."""
    given = None if headers is None else headers.get("x-request-id")
    if given is not None and _CLIENT_REQUEST_ID.fullmatch(given):
        return given
    return new_id("req")
