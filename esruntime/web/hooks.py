"""HTTP triggers, framework-neutral: ``{method} {prefix}{http_path}`` runs an ``http`` script.

The script is the ``active`` ``http`` script with that path of the caller's tenant (the API
key's; an anonymous request looks in ``anonymous_tenant``, by default the runtime's default
tenant). It runs with ``context.trigger.httpRequest = {method, path, headers, query, body}``
and the request waits for it; :mod:`esruntime.web.hook_responses` turns the execution into
the response. Before any work: the caller needs ``scripts.execute`` unless the script is
``public``; a method the script does not declare is a 405 with ``Allow``; a body over
``max_body_bytes`` a 413 (adapters stop reading there); more requests than the script's
``max_http_requests_per_minute`` a 429 with ``Retry-After`` (counted per process). Other
refusals use the API's error body.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from esruntime.auth.principal import Principal
from esruntime.auth.resolver import PrincipalResolver
from esruntime.errors import (
    AuthenticationError,
    ScriptNotFoundError,
    ScriptStateError,
    ScriptValidationError,
)
from esruntime.scripts.models import Script, Trigger
from esruntime.scripts.sdk.ratelimit import SlidingWindowLimiter
from esruntime.web.api import RESOLVE, _Resolve
from esruntime.web.bodies import MAX_DEPTH, content_type, parse_json
from esruntime.web.errors import WebError, failure_response
from esruntime.web.hook_responses import hook_response
from esruntime.web.messages import WebRequest, WebResponse, new_request_id

if TYPE_CHECKING:
    from esruntime.runtime import Runtime

__all__ = ["DEFAULT_HOOKS_PREFIX", "Hooks"]

DEFAULT_HOOKS_PREFIX = "/hooks"
logger = logging.getLogger("esruntime.web")

_CHALLENGE = (("WWW-Authenticate", 'Bearer realm="esruntime"'),)
# The caller's credentials are not the script's to see.
_HIDDEN_HEADERS = frozenset(("authorization",))


class Hooks:
    """The HTTP triggers of one runtime's scripts; :meth:`handle` answers one request.

    ``request.params["path"]`` is the path below the hooks prefix (the script's
    ``http_path``); ``request.path`` the whole path, as the script sees it.
    """

    def __init__(
        self,
        runtime: Runtime,
        *,
        resolver: PrincipalResolver | None = None,
        max_body_bytes: int = 256 * 1024,
        max_json_depth: int = MAX_DEPTH,
        anonymous_tenant: Callable[[WebRequest], str] | None = None,
        limiter: SlidingWindowLimiter | None = None,
    ) -> None:
        self.runtime = runtime
        self.resolver = resolver or runtime.principal_resolver
        self.max_body_bytes = max_body_bytes
        self.max_json_depth = max_json_depth
        self._anonymous_tenant = anonymous_tenant
        self._limiter = limiter or SlidingWindowLimiter()

    def handle(
        self, request: WebRequest, principal: Principal | _Resolve | None = RESOLVE
    ) -> WebResponse:
        """Run the script ``request`` names and answer as it says (see the module docstring)."""
        request_id = new_request_id(request.headers)
        tenant: str | None = None
        try:
            found = self._principal(request, principal)
            tenant = found.tenant if isinstance(found, Principal) else self._anonymous(request)
            script = self._script(request, tenant, found)
            response = self._run(request, script, found)
        except Exception as exc:
            response = failure_response(exc, request, request_id)
        response = response.with_headers(("X-Request-ID", request_id))
        self.runtime.metrics.record_request(tenant, "hook", request.method, response.status)
        logger.info(
            "%s %s -> %d [%s]",
            request.method,
            request.path,
            response.status,
            request_id,
            extra={"request_id": request_id, "tenant": tenant, "route": "hook"},
        )
        return response

    def _principal(
        self, request: WebRequest, given: Principal | _Resolve | None
    ) -> Principal | AuthenticationError | None:
        """The caller, None when anonymous, or why its credentials were refused (a public
        script still runs for it: the header may be meant for the script)."""
        if not isinstance(given, _Resolve):
            return given
        try:
            return self.resolver(request.headers)
        except AuthenticationError as exc:
            return exc

    def _anonymous(self, request: WebRequest) -> str:
        if self._anonymous_tenant is None:
            return self.runtime.default_tenant
        return self._anonymous_tenant(request)

    def _script(
        self, request: WebRequest, tenant: str, caller: Principal | AuthenticationError | None
    ) -> Script:
        path = request.params.get("path", "")
        script = self.runtime.scripts.find_by_path(path, tenant=tenant)
        if script is not None and (script.type != "http" or script.status != "active"):
            script = None
        if script is not None and script.public:
            return script
        if not isinstance(caller, Principal):
            # Nothing is said about the paths of a tenant to a caller without credentials.
            message = (
                str(caller)
                if caller is not None
                else "Missing API key: send 'Authorization: Bearer <api_key>'"
            )
            raise WebError(401, "unauthorized", message, _CHALLENGE)
        if script is None:
            raise WebError(404, "hook_not_found", f"No active http script serves {path[:200]!r}")
        if not caller.allows("scripts.execute"):
            raise WebError(
                403, "forbidden", "The credentials lack the 'scripts.execute' permission"
            )
        return script

    def _run(
        self, request: WebRequest, script: Script, caller: Principal | AuthenticationError | None
    ) -> WebResponse:
        if request.method not in script.http_methods:
            allowed = ", ".join(script.http_methods)
            raise WebError(
                405,
                "method_not_allowed",
                f"{request.method[:20]} is not allowed on {request.path[:200]}; use {allowed}",
                [("Allow", allowed)],
            )
        if request.oversized or len(request.body) > self.max_body_bytes:
            raise WebError(
                413,
                "body_too_large",
                f"The body exceeds the limit of {self.max_body_bytes:,} bytes",
            )
        key = (script.tenant, script.id)
        if not self._limiter.acquire(key, script.limits.max_http_requests_per_minute):
            wait = max(1, math.ceil(self._limiter.retry_after(key)))
            raise WebError(
                429,
                "rate_limited",
                f"{script.name!r} takes {script.limits.max_http_requests_per_minute} requests a "
                f"minute; retry in {wait} s",
                [("Retry-After", str(wait))],
            )
        trigger = Trigger.http(self._http_request(request, hide_auth=isinstance(caller, Principal)))
        try:
            execution = self.runtime.scripts.run(
                script,
                {},
                trigger=trigger,
                user_id=caller.key_id if isinstance(caller, Principal) else None,
            )
        except (ScriptNotFoundError, ScriptStateError):  # deleted or disabled meanwhile
            raise WebError(
                404, "hook_not_found", f"No active http script serves {script.http_path!r}"
            ) from None
        except ScriptValidationError as exc:  # the request does not fit in a trigger
            raise WebError(400, "invalid_request", str(exc), fields=exc.errors) from None
        return hook_response(execution)

    def _http_request(self, request: WebRequest, *, hide_auth: bool) -> dict[str, Any]:
        """``context.trigger.httpRequest``: ``{method, path, headers, query, body}``."""
        headers = {
            name: value
            for name, value in request.headers.items()
            if not (hide_auth and name in _HIDDEN_HEADERS)
        }
        query: dict[str, Any] = {}
        for name, value in request.query:
            previous = query.get(name)
            if previous is None:
                query[name] = value
            elif isinstance(previous, list):
                previous.append(value)
            else:
                query[name] = [previous, value]
        return {
            "method": request.method,
            "path": request.path,
            "headers": headers,
            "query": query,
            "body": self._body(request),
        }

    def _body(self, request: WebRequest) -> Any:
        """JSON for a JSON content type, else text; None without a body."""
        if not request.body:
            return None
        media, _ = content_type(request.headers)
        if media == "application/json" or media.endswith("+json"):
            return parse_json(request.body, self.max_json_depth)
        try:
            return request.body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise WebError(
                400, "invalid_encoding", f"the body is not UTF-8: byte {exc.start} is invalid"
            ) from None
