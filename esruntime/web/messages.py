"""Requests and responses as plain data, so the web layer never sees a framework's objects.

An adapter turns its framework's request into a :class:`WebRequest` (the body read by a
:class:`BodyReader`, up to the route's limit) and writes the :class:`WebResponse` back;
everything in between is here. :data:`METHODS` are the methods an adapter's catch-all route
answers (with the API's own 404 or 405).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from attrs import field, frozen

from esruntime.events import new_id

__all__ = [
    "JSON",
    "METHODS",
    "BodyReader",
    "Headers",
    "WebRequest",
    "WebResponse",
    "json_response",
    "new_request_id",
]

JSON = "application/json"
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
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


class BodyReader:
    """Collects a request body as the adapter receives it, up to ``limit`` bytes: nothing is
    read when the route takes no body (``limit`` 0) or ``Content-Length`` already says it is
    longer, and reading stops at the first byte past the limit.

    ::

        reader = BodyReader(limit, headers.get("content-length"))
        for chunk in chunks:  # ``async for`` in an async framework
            if not reader.take(chunk):
                break
        body, oversized = reader.body()
    """

    def __init__(self, limit: int, content_length: str | None) -> None:
        declared = (content_length or "").strip()
        self.limit = limit
        # A route that takes no body ignores whatever is sent; the API refuses it if it must.
        self.oversized = limit > 0 and declared.isdigit() and int(declared) > limit
        self._chunks: list[bytes] = []
        self._size = 0

    @property
    def wanted(self) -> bool:
        """Whether more of the body is to be read."""
        return self.limit > 0 and not self.oversized

    @property
    def room(self) -> int:
        """How many bytes to read at most to know whether the body is over the limit."""
        return self.limit + 1 - self._size

    def take(self, chunk: bytes) -> bool:
        """Add the next chunk; False once nothing more is wanted (an empty chunk: the end)."""
        if not self.wanted or not chunk:
            return False
        self._size += len(chunk)
        if self._size > self.limit:
            self.oversized = True
            self._chunks.clear()
            return False
        self._chunks.append(chunk)
        return True

    def body(self) -> tuple[bytes, bool]:
        """The body and whether it exceeded the limit (then the body is empty)."""
        return (b"", True) if self.oversized else (b"".join(self._chunks), False)


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


_encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def json_response(status: int, body: Any, headers: Iterable[tuple[str, str]] = ()) -> WebResponse:
    """A JSON response; NaN and infinities are refused rather than sent as invalid JSON."""
    return WebResponse(status, _encoder.encode(body).encode(), JSON, tuple(headers))


def new_request_id(headers: Mapping[str, str] | None = None) -> str:
    """The request's id: the client's ``X-Request-ID`` when it is a plain token of at most 128
    characters, else ``req_`` and a fresh ULID."""
    given = None if headers is None else headers.get("x-request-id")
    if given is not None and _CLIENT_REQUEST_ID.fullmatch(given):
        return given
    return new_id("req")
