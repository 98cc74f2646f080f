"""The API's routes answered straight from ASGI, around FastAPI's request handling.

:func:`esruntime.contrib.fastapi.create_app` (what ``esruntime serve`` runs) answers a request
for one of the API's routes here when nothing of the host's own would see it in FastAPI: no
middleware, no dependency overrides, no ``root_path`` of the app's, FastAPI's OpenTelemetry
off, and the API's own authentication (no ``principal`` dependency). Everything else, the
OpenAPI document, the hooks, the pages, a ``HEAD``, goes through FastAPI as before.

Why: everything a request of the API needs happens in :class:`esruntime.web.JsonApi`, and
FastAPI's layers around the endpoint (middleware, routing through the included router,
dependencies, the ``Request`` and ``Response`` objects) cost more CPU than the API's own work
under ``wrk`` (``benchmarks/README.md``, "HTTP: bench_http.py"). The answer is the same, byte
for byte: the route is the first of the API's in order whose path and method match (as
Starlette matches), and the status, headers and body are those the FastAPI endpoint writes.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import parse_qsl

from starlette.concurrency import run_in_threadpool
from starlette.routing import compile_path
from starlette.types import Receive, Scope, Send

from esruntime.contrib.fastapi.threads import ApiThreads
from esruntime.web import RESOLVE, JsonApi, Route, WebRequest, WebResponse
from esruntime.web.messages import BodyReader

__all__ = ["DirectApi", "raw_headers", "request_path"]

Match = tuple[Route, dict[str, str]]
"""The matched route and its path parameters."""


class DirectApi:
    """``api``'s routes under ``prefix``, served from ASGI with the calls in ``threads``."""

    def __init__(self, api: JsonApi, threads: ApiThreads, prefix: str) -> None:
        self.api = api
        self.threads = threads
        self.prefix = prefix.rstrip("/")
        # Per method, the routes in the router's order (Starlette takes the first full match).
        self._by_method: dict[str, list[tuple[re.Pattern[str], Route]]] = {}
        for route in api.routes:
            regex = compile_path(self.prefix + route.path)[0]
            self._by_method.setdefault(route.method, []).append((regex, route))
        self._limits = {route.name: api.body_limit(route.name) for route in api.routes}

    def match(self, scope: Scope) -> Match | None:
        """The API's route for this request, or None (then FastAPI answers it)."""
        candidates = self._by_method.get(scope["method"])
        if candidates is None:
            return None
        path = route_path(scope)
        if not path.startswith(self.prefix):
            return None
        for regex, route in candidates:
            found = regex.match(path)
            if found is not None:
                return route, found.groupdict()
        return None

    async def serve(self, found: Match, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer the request ``found`` matched, as the FastAPI endpoint would."""
        route, params = found
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]]
        body, oversized = b"", False
        limit = self._limits[route.name]
        if limit:
            reader = BodyReader(limit, _content_length(scope["headers"]))
            more = reader.wanted
            while more:
                message = await receive()
                if message["type"] != "http.request":  # the client left: nobody to answer
                    return
                chunk = message.get("body", b"")
                more = message.get("more_body", False)
                if chunk and not reader.take(chunk):
                    break
            body, oversized = reader.body()
        request = WebRequest(
            scope["method"],
            route.name,
            request_path(scope),
            params,
            _query(scope["query_string"]),
            headers,
            body,
            oversized,
        )
        api = self.api
        if not api.blocks(request):
            result = api.handle(request, RESOLVE)
        else:
            run: Callable[..., Awaitable[WebResponse]] = (
                run_in_threadpool if route.slow else self.threads.run
            )
            result = await run(api.handle, request, RESOLVE)
        await send({"type": "http.response.start", "status": result.status,
                    "headers": raw_headers(result)})  # fmt: skip
        await send({"type": "http.response.body", "body": result.body})


def route_path(scope: Scope) -> str:
    """The path routes are matched on: the request's path below its ``root_path`` (as
    Starlette's ``get_route_path``)."""
    path: str = scope["path"]
    root = scope.get("root_path", "")
    if not root or not path.startswith(root):
        return path
    if path == root:
        return ""
    return path[len(root) :] if path[len(root)] == "/" else path


def request_path(scope: Scope) -> str:
    """The path of the request's URL, as Starlette's ``request.url.path`` gives it."""
    path: str = scope["path"]
    if "?" in path or "#" in path or "\\" in path:
        path = path.replace("?", "%3F").replace("#", "%23").replace("\\", "%5C")
    return path


def raw_headers(response: WebResponse) -> list[tuple[bytes, bytes]]:
    """The response's headers as the FastAPI endpoint's Starlette ``Response`` sends them: the
    API's (a repeated name once, its last value), then ``content-length`` and
    ``content-type`` unless given."""
    given: Mapping[str, str] = dict(response.headers)
    raw = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in given.items()]
    names = {name for name, _ in raw}
    status = response.status
    if b"content-length" not in names and not (status < 200 or status in (204, 304)):
        raw.append((b"content-length", str(len(response.body)).encode("latin-1")))
    kind = response.content_type
    if kind is not None and b"content-type" not in names:
        if kind.startswith("text/") and "charset=" not in kind.lower():
            kind += "; charset=utf-8"
        raw.append((b"content-type", kind.encode("latin-1")))
    return raw


def _query(query_string: bytes) -> tuple[tuple[str, str], ...]:
    """The query string's pairs, as Starlette's ``request.query_params.multi_items()``."""
    if not query_string:
        return ()
    return tuple(parse_qsl(query_string.decode("latin-1"), keep_blank_values=True))


def _content_length(headers: Any) -> str | None:
    for name, value in headers:
        if name == b"content-length":
            return str(value.decode("latin-1"))
    return None
