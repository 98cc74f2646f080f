"""Signing in with an API key, and out: the session of a standalone server's pages."""

from __future__ import annotations

from esruntime.errors import AuthenticationError
from esruntime.web.errors import WebError
from esruntime.web.messages import WebResponse
from esruntime.web.pages.context import PageCall, redirect

__all__ = ["log_in", "log_out", "login_page"]

MAX_KEY_LENGTH = 512


def login_page(call: PageCall) -> WebResponse:
    """``GET /scripts/login``: the form, or the list for someone signed in already."""
    _require_login(call)
    target = _next(call, call.query("next"))
    if call.principal is not None:
        return redirect(target)
    return call.render("login.html", next=target, error=None)


def log_in(call: PageCall) -> WebResponse:
    """``POST /scripts/login``: a valid key starts a session and goes on to ``next``."""
    _require_login(call)
    key = call.form.get("ApiKey").strip()
    target = _next(call, call.form.get("next"))
    principal = None
    if key and len(key) <= MAX_KEY_LENGTH and key.isprintable():
        try:
            principal = call.pages.resolver({"authorization": f"Bearer {key}"})
        except AuthenticationError:
            principal = None
    if principal is None:
        error = "That API key is not valid, or it was revoked." if key else "Enter an API key."
        return call.render("login.html", 401, next=target, error=error)
    response = redirect(target)
    return response.with_headers(*call.pages.sign_in(call, principal))


def log_out(call: PageCall) -> WebResponse:
    """``POST /scripts/logout``: the session ends."""
    return redirect(call.url("/login")).with_headers(*call.pages.sign_out())


def _require_login(call: PageCall) -> None:
    if not call.pages.config.login:
        raise WebError(404, "not_found", "Signing in happens in the application")


def _next(call: PageCall, given: str) -> str:
    """Where to go after signing in: a path under the prefix, never another site."""
    prefix = call.pages.config.prefix
    ok = (
        given.startswith(prefix)
        and given[len(prefix) : len(prefix) + 1] in ("", "/", "?")
        and "//" not in given
        and "\\" not in given
        and len(given) <= 1000
        and given.isprintable()
        and not given.startswith(prefix + "/login")
    )
    return given if ok else prefix
