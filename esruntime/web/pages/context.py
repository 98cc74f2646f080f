"""What every page view gets: the request, who it is from, and how to answer it."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from attrs import define, field

from esruntime.auth.principal import Principal
from esruntime.web.messages import WebRequest, WebResponse
from esruntime.web.pages.forms import FormData

if TYPE_CHECKING:
    from esruntime.web.pages.app import ScriptPages

__all__ = ["HTML", "PageCall", "redirect"]

HTML = "text/html; charset=utf-8"
SCRIPT_PERMISSIONS = ("read", "create", "update", "delete", "execute")


def redirect(location: str, htmx: bool = False) -> WebResponse:
    """303 to ``location`` (htmx follows ``HX-Redirect`` instead, from a 200)."""
    if htmx:
        return WebResponse(200, b"", None, (("HX-Redirect", location),))
    return WebResponse(303, b"", None, (("Location", location),))


@define
class PageCall:
    """One request to the pages: its method (after ``_method``), path parameters, form,
    principal and CSRF token."""

    pages: ScriptPages
    request: WebRequest
    method: str
    params: Mapping[str, str]
    form: FormData
    principal: Principal | None
    csrf_token: str
    request_id: str
    headers_out: list[tuple[str, str]] = field(factory=list)
    style_nonce: str = field(factory=lambda: secrets.token_urlsafe(16))

    @property
    def htmx(self) -> bool:
        return self.request.headers.get("hx-request") == "true"

    @property
    def tenant(self) -> str:
        assert self.principal is not None
        return self.principal.tenant

    def query(self, name: str, default: str = "") -> str:
        return next((v for k, v in self.request.query if k == name), default)

    def url(self, path: str = "", **query: Any) -> str:
        """A URL under the pages' prefix, with the query's non-empty values."""
        shown = {k: v for k, v in query.items() if v not in (None, "")}
        return self.pages.config.prefix + path + (f"?{urlencode(shown)}" if shown else "")

    def can(self, action: str) -> bool:
        return self.principal is not None and self.principal.allows(f"scripts.{action}")

    def render(
        self,
        template: str,
        status: int = 200,
        headers: Iterable[tuple[str, str]] = (),
        **values: Any,
    ) -> WebResponse:
        """A template rendered with the page's common values (``page``) and ``values``."""
        page = {
            "prefix": self.pages.config.prefix,
            "static": self.pages.config.prefix + "/static",
            "principal": self.principal,
            # a namespace, not a dict: Jinja would find dict.update before the key "update"
            "can": SimpleNamespace(**{action: self.can(action) for action in SCRIPT_PERMISSIONS}),
            "csrf_token": self.csrf_token,
            "login": self.pages.config.login,
            "monaco_url": self.pages.config.monaco_url,
            "request_id": self.request_id,
            "htmx": self.htmx,
            "style_nonce": self.style_nonce,
        }
        body = self.pages.env.get_template(template).render(page=page, **values)
        return WebResponse(status, body.encode(), HTML, (*self.headers_out, *headers))
