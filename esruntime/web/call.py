"""A route of the API and the call it receives: the request, its principal and its tenant."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Literal

from attrs import field, frozen

from esruntime.auth.principal import Principal
from esruntime.web.messages import Headers, WebRequest, WebResponse

if TYPE_CHECKING:
    from esruntime.runtime import Runtime, Tenant

__all__ = ["BodyKind", "Call", "Route"]

BodyKind = Literal["none", "json", "text", "wasm"]
"""What a route reads: nothing, a JSON document, UTF-8 text (ESDL) or a WebAssembly module."""


@frozen
class Call:
    """What an endpoint gets: the request, its id, who it is from, and the body as read."""

    request: WebRequest
    request_id: str
    runtime: Runtime
    principal: Principal | None
    body: Any = None
    query: Mapping[str, str] = field(factory=dict)

    @property
    def headers(self) -> Headers:
        return self.request.headers

    def param(self, name: str) -> str:
        return self.request.params[name]

    @property
    def tenant(self) -> Tenant:
        """The principal's tenant (every route with a permission has a principal)."""
        assert self.principal is not None, "a route without a permission has no tenant"
        return self.runtime.tenant(self.principal.tenant)


Endpoint = Callable[[Call], WebResponse]


@frozen
class Route:
    """One route of the API: its method and path (``{name}`` for a parameter), the permission
    it needs (None: anyone), the body it reads and the query parameters it takes. ``slow``: it
    may take seconds (a script's run), so an async adapter keeps it off the few threads that
    run the quick calls."""

    name: str
    method: str
    path: str
    endpoint: Endpoint = field(repr=False)
    permission: str | None
    body: BodyKind = "none"
    query: tuple[str, ...] = ()
    summary: str = ""
    slow: bool = False
