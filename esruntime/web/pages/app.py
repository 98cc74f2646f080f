"""The script pages, framework-neutral: a :class:`WebRequest` in, a :class:`WebResponse` out.

For every request: the route found under the prefix (``_method`` lets a plain form PUT or
DELETE), who it is from (the host's principal, else the session cookie, else the principal
resolver), the route's permission, the CSRF token of every state-changing request not
authenticated by a bearer token, and every failure turned into a page (or, for htmx, a
message in the page's flash area). Adapters only translate; the routes are in :mod:`.routes`.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from esruntime.auth.principal import Principal
from esruntime.auth.resolver import PrincipalResolver
from esruntime.errors import (
    AuthenticationError,
    ScriptNotFoundError,
    ScriptStateError,
    ScriptValidationError,
)
from esruntime.web.api import RESOLVE, _Resolve
from esruntime.web.errors import WebError
from esruntime.web.messages import Headers, WebRequest, WebResponse, new_request_id
from esruntime.web.pages.config import PagesConfig
from esruntime.web.pages.context import PageCall
from esruntime.web.pages.forms import FormData, parse_form
from esruntime.web.pages.render import make_environment, static_file
from esruntime.web.pages.routes import PAGE_ROUTES, match
from esruntime.web.pages.runs import BackgroundRuns
from esruntime.web.pages.security import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    Sessions,
    cookie_header,
    read_cookies,
)

if TYPE_CHECKING:
    from esruntime.runtime import Runtime
    from esruntime.scripts.service import ScriptService

__all__ = ["ScriptPages"]

logger = logging.getLogger("esruntime.web.pages")

_UNSAFE = frozenset(("POST", "PUT", "DELETE", "PATCH"))
_OVERRIDES = frozenset(("PUT", "DELETE"))


class ScriptPages:
    """The HTMX pages of one runtime's scripts (``docs/pages.md``).

    ``resolver`` finds principals from headers (the runtime's by default); ``service`` is the
    script service (the runtime's by default).
    """

    def __init__(
        self,
        runtime: Runtime,
        config: PagesConfig | None = None,
        *,
        resolver: PrincipalResolver | None = None,
        service: ScriptService | None = None,
    ) -> None:
        self.runtime = runtime
        self.config = config or PagesConfig()
        self.resolver = resolver or runtime.principal_resolver
        self._service = service
        self.env = make_environment(self.config.template_dirs)
        self.sessions = Sessions(self.config.secret_key, self.config.session_max_age_s)
        self.runs = BackgroundRuns(self.config.background_runs)

    @property
    def service(self) -> ScriptService:
        return self._service if self._service is not None else self.runtime.scripts

    def close(self) -> None:
        """Wait for the manual runs still going, then stop their threads."""
        self.runs.close()

    def content_security_policy(self, style_nonce: str) -> str:
        """No inline script at all; inline styles only with this response's nonce (the bundled
        editor's stylesheet carries it)."""
        extra = _origin(self.config.monaco_url)
        # Monaco writes style attributes, which no nonce allows
        styles = " 'unsafe-inline'" if self.config.monaco_url else f" 'nonce-{style_nonce}'"
        return (
            f"default-src 'none'; script-src 'self'{extra}; "
            f"style-src 'self'{extra}{styles}; font-src 'self'{extra}; "
            "img-src 'self' data:; connect-src 'self'; form-action 'self'; "
            "frame-ancestors 'none'; base-uri 'none'"
        )

    # -- handling ----------------------------------------------------------------------------

    def handle(
        self, request: WebRequest, principal: Principal | _Resolve | None = RESOLVE
    ) -> WebResponse:
        """Answer ``request``, whose ``path`` is the part after the prefix (``""`` for the
        list); ``principal`` is who it is from when the host already knows."""
        request_id = new_request_id(request.headers)
        if request.method in ("GET", "HEAD") and request.path.startswith("/static/"):
            found = static_file(request.path[len("/static/") :])
            if found is not None:
                return found.response(request.headers)
        cookies = read_cookies(request.headers)
        csrf_cookie = cookies.get(CSRF_COOKIE)
        set_cookies: list[tuple[str, str]] = []
        if not csrf_cookie or len(csrf_cookie) > 100:
            csrf_cookie = self.sessions.new_csrf_cookie()
            set_cookies.append(self._cookie(CSRF_COOKIE, csrf_cookie, None))
        call = PageCall(
            self,
            request,
            request.method,
            {},
            FormData(()),
            None,
            self.sessions.csrf_token(csrf_cookie),
            request_id,
            set_cookies,
        )
        try:
            response = self._dispatch(call, cookies, principal)
        except WebError as exc:
            response = self.error_page(call, exc.status, exc.message)
        except ScriptNotFoundError as exc:
            response = self.error_page(call, 404, str(exc))
        except ScriptValidationError as exc:
            response = self.error_page(call, 400, str(exc))
        except ScriptStateError as exc:
            response = self.error_page(call, 409, str(exc))
        except Exception:
            logger.exception("%s %s failed [%s]", request.method, request.path, request_id)
            message = f"Internal error; the server's log has the details of request {request_id}"
            response = self.error_page(call, 500, message)
        return response.with_headers(
            ("X-Request-ID", request_id),
            ("Content-Security-Policy", self.content_security_policy(call.style_nonce)),
            ("X-Content-Type-Options", "nosniff"),
            ("X-Frame-Options", "DENY"),
            ("Referrer-Policy", "same-origin"),
            ("Cache-Control", "no-store"),
        )

    def _dispatch(
        self, call: PageCall, cookies: dict[str, str], given: Principal | _Resolve | None
    ) -> WebResponse:
        request = call.request
        if request.method in _UNSAFE:
            call.form = parse_form(
                request.headers.get("content-type"), request.body, self.config.max_form_bytes
            )
            if request.oversized:
                raise WebError(413, "body_too_large", "The form is too large")
            override = call.form.get("_method").upper()
            if request.method == "POST" and override in _OVERRIDES:
                call.method = override
        route, params, allowed = match(PAGE_ROUTES, call.method, request.path)
        if route is None:
            if allowed:
                raise WebError(405, "method_not_allowed", f"Use {', '.join(allowed)} here")
            raise WebError(404, "not_found", "There is no page here")
        call.params = params
        via_header = self._authenticate(call, cookies, given)
        if route.unsafe and not via_header:
            sent = call.form.get("_csrf") or request.headers.get("x-csrf-token")
            if not self.sessions.csrf_ok(cookies.get(CSRF_COOKIE), sent):
                raise WebError(
                    403,
                    "csrf",
                    "The form is out of date or was not sent by these pages; "
                    "reload the page and try again",
                )
        if route.permission is not None:
            if call.principal is None:
                return self.unauthorized(call)
            if not call.principal.allows(route.permission):
                raise WebError(
                    403, "forbidden", f"Your credentials lack the '{route.permission}' permission"
                )
        return route.view(call)

    def _authenticate(
        self, call: PageCall, cookies: dict[str, str], given: Principal | _Resolve | None
    ) -> bool:
        """Find the principal; True when the ``Authorization: Bearer`` header alone gave it.

        Such a request needs no CSRF token: no browser attaches a bearer token by itself (as
        it does cookies and the Basic or Negotiate credentials it caches), and another site's
        page can send the header only through a CORS preflight. Every other principal (the
        host's, the session's, or one a host resolver finds in its own cookie) needs the token.
        """
        if not isinstance(given, _Resolve):
            call.principal = given
            return False
        if self.config.login:
            call.principal = self.sessions.principal(cookies.get(SESSION_COOKIE), self._alive)
            if call.principal is not None:
                return False
        headers = call.request.headers
        bearer = _bearer_only(headers)
        try:
            if bearer is not None:
                call.principal = self.resolver(bearer)
                if call.principal is not None:
                    return True
            call.principal = self.resolver(headers)
        except AuthenticationError as exc:
            raise WebError(401, "unauthorized", str(exc)) from None
        return False

    def _alive(self, key_id: str) -> bool:
        key = self.runtime.api_keys.get(key_id)
        return key is None or not key.revoked

    def _cookie(self, name: str, value: str, max_age: int | None) -> tuple[str, str]:
        return cookie_header(
            name, value, path=self.config.prefix, max_age=max_age, secure=self.config.secure_cookies
        )

    # -- answers -----------------------------------------------------------------------------

    def unauthorized(self, call: PageCall) -> WebResponse:
        """401: the login page (htmx is sent there), or a plain page without login."""
        if not self.config.login:
            message = "Sign in to the application to see this page"
            return call.render("error.html", 401, code=401, message=message)
        target = call.url(call.request.path) if call.method == "GET" else call.url()
        if call.htmx:
            return WebResponse(401, b"", None, (("HX-Redirect", call.url("/login", next=target)),))
        return call.render("login.html", 401, next=target, error=None)

    def error_page(self, call: PageCall, status: int, message: str) -> WebResponse:
        """An error as a page, or for htmx as a message swapped into the flash area."""
        if status == 401:
            return self.unauthorized(call)
        if call.htmx:
            return call.render(
                "_flash.html",
                status,
                (("HX-Retarget", "#flash"), ("HX-Reswap", "innerHTML")),
                code=status,
                message=message,
            )
        return call.render("error.html", status, code=status, message=message)

    def sign_in(self, call: PageCall, principal: Principal) -> list[tuple[str, str]]:
        """The cookies that start a session: the signed principal and a fresh CSRF cookie."""
        return [
            self._cookie(
                SESSION_COOKIE, self.sessions.sign(principal), self.config.session_max_age_s
            ),
            self._cookie(CSRF_COOKIE, self.sessions.new_csrf_cookie(), None),
        ]

    def sign_out(self) -> list[tuple[str, str]]:
        return [self._cookie(SESSION_COOKIE, "", 0)]


def _bearer_only(headers: Headers) -> Headers | None:
    """The request's ``Authorization`` header alone when it holds a bearer token, else None."""
    value = headers.get("authorization")
    if value is None or value.strip().partition(" ")[0].lower() != "bearer":
        return None
    return Headers({"authorization": value})


def _origin(url: str | None) -> str:
    """`` https://host:port`` of an absolute URL, for the CSP; nothing for a path ('self')."""
    if not url or url.startswith("/"):
        return ""
    parts = urlsplit(url)
    return f" {parts.scheme}://{parts.netloc}"
