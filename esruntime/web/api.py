"""The JSON API, framework-neutral: a :class:`WebRequest` in, a :class:`WebResponse` out.

For every request: an id (``X-Request-ID``, echoed back and logged), the route's permission
checked against the principal, the body's size, content type and syntax checked, the endpoint
called, and every failure turned into ``{"error": {"code", "message", "request_id"}}``.
Adapters only translate; both therefore answer alike, byte for byte.
"""

from __future__ import annotations

import enum
import logging
import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from attrs import frozen

from esruntime.auth.principal import Principal
from esruntime.auth.resolver import PrincipalResolver
from esruntime.errors import AuthenticationError, StoreUnavailableError
from esruntime.handlers.registry import MAX_MODULE_BYTES
from esruntime.web.bodies import (
    MAX_DEPTH,
    parse_json,
    parse_query,
    parse_text,
    require_content_type,
)
from esruntime.web.call import Call, Route
from esruntime.web.errors import WebError, error_response, failure_response
from esruntime.web.messages import JSON, Headers, WebRequest, WebResponse, new_request_id
from esruntime.web.routes import API_ROUTES
from esruntime.web.system import store_known_reachable, store_unanswered

if TYPE_CHECKING:
    from esruntime.runtime import Runtime

__all__ = ["RESOLVE", "JsonApi", "Limits"]

logger = logging.getLogger("esruntime.web")

_MISSING_KEY = "Missing API key: send 'Authorization: Bearer <api_key>'"
_CHALLENGE = (("WWW-Authenticate", 'Bearer realm="esruntime"'),)
_CONTENT_TYPES = {"json": JSON, "text": "text/plain", "wasm": "application/wasm"}


class _Resolve(enum.Enum):
    RESOLVE = "resolve"


RESOLVE = _Resolve.RESOLVE
"""``JsonApi.handle``'s default: find the principal with the API's resolver."""


@frozen
class Limits:
    """Request limits: bodies (JSON and ESDL), uploaded modules, JSON nesting."""

    max_body_bytes: int = 256 * 1024
    max_module_bytes: int = MAX_MODULE_BYTES
    max_json_depth: int = MAX_DEPTH


class JsonApi:
    """The API of one runtime. ``resolver`` finds principals (the runtime's by default)."""

    def __init__(
        self,
        runtime: Runtime,
        *,
        resolver: PrincipalResolver | None = None,
        limits: Limits | None = None,
        routes: Iterable[Route] = API_ROUTES,
    ) -> None:
        self.runtime = runtime
        self.resolver = resolver or runtime.principal_resolver
        self.limits = limits or Limits()
        self.routes = tuple(routes)
        self._by_name = {route.name: route for route in self.routes}
        self._patterns = [(_pattern(route.path), route) for route in self.routes]

    def route(self, name: str) -> Route:
        return self._by_name[name]

    def body_limit(self, route: str) -> int:
        """The most bytes of body that route ``route`` reads (0: it reads none)."""
        kind = self._by_name[route].body
        if kind == "none":
            return 0
        return self.limits.max_module_bytes if kind == "wasm" else self.limits.max_body_bytes

    def blocks(self, request: WebRequest) -> bool:
        """Whether answering ``request`` may wait on the database or a handler, so that an
        async adapter runs :meth:`handle` in a thread. Only a health check answered from a
        recent probe of the store does not (:func:`esruntime.web.system.store_known_reachable`).
        """
        return request.route != "health" or not store_known_reachable(self.runtime)

    # -- handling ----------------------------------------------------------------------------

    def handle(
        self, request: WebRequest, principal: Principal | _Resolve | None = RESOLVE
    ) -> WebResponse:
        """Answer ``request``; ``principal`` is who it is from when the adapter already knows
        (a host's own authentication), else the resolver reads the headers."""
        request_id = new_request_id(request.headers)
        route = self._by_name.get(request.route)
        tenant: str | None = None
        try:
            if route is None:
                raise WebError(404, "route_not_found", f"No route {request.method} {request.path}")
            found = self._authorize(route, request, principal)
            tenant = None if found is None else found.tenant
            body = self._body(route, request)
            query = parse_query(request.query, route.query)
            response = route.endpoint(Call(request, request_id, self.runtime, found, body, query))
        except Exception as exc:
            if isinstance(exc, StoreUnavailableError):
                store_unanswered(self.runtime)
            response = failure_response(exc, request, request_id)
        return self._finish(request, response, request_id, request.route or "unmatched", tenant)

    def unmatched(
        self, method: str, path: str, headers: Mapping[str, str] | Iterable[tuple[str, str]] = ()
    ) -> WebResponse:
        """The answer for a path under the API that no route takes: 405 when another method
        would be taken there, else 404."""
        headers = Headers(headers)
        request_id = new_request_id(headers)
        matching = [route for pattern, route in self._patterns if pattern.fullmatch(path)]
        # A literal path names its own resource: /events/query is not the event "query".
        literal = [route for route in matching if "{" not in route.path]
        allowed = sorted({route.method for route in literal or matching})
        if allowed:
            response = error_response(
                405,
                "method_not_allowed",
                f"{method} is not allowed on {path}; use {', '.join(allowed)}",
                request_id,
                [("Allow", ", ".join(allowed))],
            )
        else:
            response = error_response(
                404, "route_not_found", f"No route {method} {path}", request_id
            )
        request = WebRequest(method, "", path, headers=headers)
        return self._finish(request, response, request_id, "unmatched", None)

    def _finish(
        self,
        request: WebRequest,
        response: WebResponse,
        request_id: str,
        route: str,
        tenant: str | None,
    ) -> WebResponse:
        response = response.with_headers(("X-Request-ID", request_id))
        self.runtime.metrics.record_request(tenant, route, request.method, response.status)
        logger.info(
            "%s %s -> %d [%s]",
            request.method,
            request.path,
            response.status,
            request_id,
            extra={"request_id": request_id, "tenant": tenant, "route": route},
        )
        return response

    def _authorize(
        self, route: Route, request: WebRequest, principal: Principal | _Resolve | None
    ) -> Principal | None:
        if route.permission is None:
            return None
        if principal is RESOLVE:
            try:
                principal = self.resolver(request.headers)
            except AuthenticationError as exc:
                raise WebError(401, "unauthorized", str(exc), _CHALLENGE) from None
        if principal is None:
            raise WebError(401, "unauthorized", _MISSING_KEY, _CHALLENGE)
        assert isinstance(principal, Principal)
        if not principal.allows(route.permission):
            raise WebError(
                403, "forbidden", f"The credentials lack the '{route.permission}' permission"
            )
        return principal

    def _body(self, route: Route, request: WebRequest) -> Any:
        if route.body == "none":
            return None
        limit = self.body_limit(route.name)
        if request.oversized or len(request.body) > limit:
            raise WebError(413, "body_too_large", f"The body exceeds the limit of {limit:,} bytes")
        require_content_type(request.headers, _CONTENT_TYPES[route.body])
        if route.body == "json":
            return parse_json(request.body, self.limits.max_json_depth)
        if route.body == "text":
            return parse_text(request.body)
        return request.body


def _pattern(path: str) -> re.Pattern[str]:
    """A route path as a regular expression (``{name}`` takes one path segment)."""
    parts = re.split(r"\{(\w+)\}", path)
    regex = "".join(
        re.escape(part) if i % 2 == 0 else f"(?P<{part}>[^/]+)" for i, part in enumerate(parts)
    )
    return re.compile(regex)
