"""Signing in and out, sessions, CSRF, the host's own principal, and the security headers."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

import pytest

from esruntime.auth import Principal
from esruntime.runtime import Runtime
from esruntime.web.pages import PagesConfig
from tests.web.pages.conftest import CONFIG
from tests.web.pages.harness import Page, PageClient, make_app, page_keys

CSP = re.compile(
    r"default-src 'none'; script-src 'self'; style-src 'self' 'nonce-[\w-]{22}'; "
    r"font-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; "
    r"frame-ancestors 'none'; base-uri 'none'"
)


def test_a_stranger_gets_the_login_page_with_401(client: PageClient) -> None:
    page = client.get("", headers={})
    assert page.status == 401
    form = page.html.one("form", action="/scripts/login")
    assert form.one("input", name="next").get("value") == "/scripts"
    assert form.one("input", name="ApiKey").get("type") == "password"
    assert page.html.find("table") is None


def test_htmx_is_sent_to_the_login_page(client: PageClient) -> None:
    page = client.get("/some-id/executions", htmx=True)
    assert page.status == 401
    assert page.headers["hx-redirect"].startswith("/scripts/login?next=")


def test_every_page_has_a_strict_csp_and_no_inline_script(admin: PageClient) -> None:
    script_id = admin.create()
    for path in ("", "/new", f"/{script_id}", f"/{script_id}/edit", "/login"):
        page = admin.get(path)
        assert CSP.fullmatch(page.headers["content-security-policy"])
        assert page.headers["x-frame-options"] == "DENY"
        assert page.headers["x-content-type-options"] == "nosniff"
        for script in page.html.find_all("script"):
            assert (script.get("src") or "").startswith("/scripts/static/")
            assert script.raw_text.strip() == ""
        assert page.html.find("style") is None
        assert not [e for e in page.html.iter() if "style" in e.attrs]
        assert not [e for e in page.html.iter() if any(a.startswith("on") for a in e.attrs)]


def test_signing_in_sets_a_signed_httponly_lax_cookie_without_the_key(client: PageClient) -> None:
    page = client.login("admin")
    session = next(c for c in page.cookies_set if c.startswith("esr_session="))
    assert "HttpOnly" in session
    assert "SameSite=Lax" in session
    assert "Path=/scripts" in session
    assert client.keys["admin"] not in session
    assert page.location == "/scripts"
    listing = client.get()
    assert listing.status == 200
    assert "alice" in listing.html.one("nav", class_="who").text


def test_a_wrong_key_is_refused_inline(client: PageClient) -> None:
    client.get("/login")
    page = client.post("/login", {"ApiKey": "esr_0000000000000000_" + "x" * 43, "next": "/scripts"})
    assert page.status == 401
    assert "not valid" in (page.field_error("ApiKey") or "")
    assert not [c for c in page.cookies_set if c.startswith("esr_session=")]
    assert client.get().status == 401


@pytest.mark.parametrize(
    "given",
    ["//evil.example/x", "https://evil.example", "/elsewhere", "/scripts/login", "/scripts\\x"],
)
def test_signing_in_never_goes_to_another_site(client: PageClient, given: str) -> None:
    client.get("/login")
    page = client.post("/login", {"ApiKey": client.keys["admin"], "next": given})
    assert page.status == 303
    assert page.location == "/scripts"


def test_signing_out_ends_the_session(admin: PageClient) -> None:
    page = admin.post("/logout", {})
    assert page.status == 303
    assert page.location == "/scripts/login"
    assert any(c.startswith("esr_session=;") and "Max-Age=0" in c for c in page.cookies_set)
    assert admin.get().status == 401


def test_a_revoked_key_ends_its_sessions(admin: PageClient) -> None:
    assert admin.get().status == 200
    key_id = admin.keys["admin"].split("_")[1]
    assert admin.runtime.api_keys.revoke(key_id)
    assert admin.get().status == 401


def test_a_forged_session_cookie_is_nobody(adapter: str, runtime: Runtime) -> None:
    keys = page_keys(runtime)
    other = PagesConfig(secret_key=b"another secret of enough bytes")
    forger = PageClient(adapter, make_app(adapter, runtime, other), keys, runtime)
    page = forger.login("admin")
    cookie = next(c for c in page.cookies_set if c.startswith("esr_session=")).split(";")[0]
    victim = PageClient(adapter, make_app(adapter, runtime, CONFIG), keys, runtime)
    assert victim.get(headers={"cookie": cookie}).status == 401
    assert victim.get(headers={"cookie": "esr_session=garbage; esr_csrf=\x7f"}).status == 401


@pytest.mark.parametrize("token", [None, "", "0" * 64, "x" * 5000])
def test_state_changing_requests_without_the_csrf_token_are_refused(
    admin: PageClient, token: str | None
) -> None:
    script_id = admin.create()
    form = {"Name": "other", "Type": "oneoff", "Source": "return 1;"}
    attempts: list[Callable[[], Page]] = [
        lambda: admin.post("", form),
        lambda: admin.post(f"/{script_id}", {**form, "_method": "PUT"}),
        lambda: admin.post(f"/{script_id}", {"_method": "DELETE"}),
        lambda: admin.request("DELETE", f"/{script_id}", htmx=True),
        lambda: admin.post(f"/{script_id}/execute", {}),
        lambda: admin.post("/logout", {}),
    ]
    for attempt in attempts:
        admin.csrf = token or ""  # every page carries the token: forget it each time
        page = attempt()
        assert page.status == 403
        assert "reload the page" in page.text
    assert admin.runtime.scripts.list(tenant="acme").total == 1
    assert admin.runtime.scripts.executions(script_id, tenant="acme").total == 0


def test_the_csrf_token_of_another_browser_is_refused(adapter: str, runtime: Runtime) -> None:
    keys = page_keys(runtime)
    mine = PageClient(adapter, make_app(adapter, runtime, CONFIG), keys, runtime)
    theirs = PageClient(adapter, make_app(adapter, runtime, CONFIG), keys, runtime)
    mine.login()
    theirs.get("/login")
    mine.csrf = theirs.csrf  # the same app, but the token belongs to another cookie
    assert mine.post("", {"Name": "abc", "Type": "oneoff", "Source": "1"}).status == 403


def test_login_itself_needs_the_csrf_token(client: PageClient) -> None:
    client.get("/login")
    page = client.post("/login", {"ApiKey": client.keys["admin"]}, csrf=False)
    assert page.status == 403


def test_an_authorization_header_needs_no_csrf_token(client: PageClient) -> None:
    bearer = {"authorization": f"Bearer {client.keys['admin']}"}
    page = client.post(
        "", {"Name": "by-api", "Type": "oneoff", "Source": "return 1;"}, headers=bearer, csrf=False
    )
    assert page.status == 303
    bad = client.get("", headers={"authorization": "Bearer esr_nope"})
    assert bad.status == 401


HOST_USER = Principal("acme", {"admin"}, "host user")
NEW_SCRIPT = {"Name": "made-here", "Type": "oneoff", "Source": "return 1;"}


def _host_resolver(headers: Mapping[str, str]) -> Principal | None:
    """A host's own resolver: its session cookie, or its own bearer token."""
    if headers.get("authorization") == "Bearer host-token":
        return HOST_USER
    return HOST_USER if "hostsession=ok" in headers.get("cookie", "") else None


def _host_client(adapter: str, runtime: Runtime, **options: Any) -> PageClient:
    config = PagesConfig(secret_key=b"a test secret of enough bytes", login=False)
    return PageClient(adapter, make_app(adapter, runtime, config, **options), {}, runtime)


@pytest.mark.parametrize(
    "authorization", [None, "Bearer not-the-host-token", "Basic dXNlcjpwYXNz", "Negotiate abc"]
)
def test_a_host_resolver_reading_its_own_cookie_needs_the_csrf_token(
    adapter: str, runtime: Runtime, authorization: str | None
) -> None:
    client = _host_client(adapter, runtime, resolver=_host_resolver)
    client.send.set_cookie("hostsession", "ok")
    assert client.get("/new").status == 200  # the browser now has the CSRF cookie and token
    # the cookie gives the principal whatever else the request carries (a browser sends its
    # cached Basic or Negotiate credentials by itself): without the token it is refused
    headers = {} if authorization is None else {"authorization": authorization}
    refused = client.post("", NEW_SCRIPT, headers=headers, csrf=False)
    assert refused.status == 403
    assert "reload the page" in refused.text
    assert runtime.scripts.list(tenant="acme").total == 0
    accepted = client.post("", NEW_SCRIPT, headers=headers)
    assert accepted.status == 303
    assert runtime.scripts.list(tenant="acme").total == 1


def test_a_host_resolver_reading_a_bearer_token_needs_no_csrf_token(
    adapter: str, runtime: Runtime
) -> None:
    client = _host_client(adapter, runtime, resolver=_host_resolver)
    bearer = {"authorization": "Bearer host-token"}
    page = client.post("", NEW_SCRIPT, headers=bearer, csrf=False)
    assert page.status == 303
    assert runtime.scripts.list(tenant="acme").total == 1


def test_the_host_principal_needs_the_csrf_token(adapter: str, runtime: Runtime) -> None:
    client = _host_client(adapter, runtime, host_principal=HOST_USER)
    assert client.get("/new").status == 200
    for headers in ({}, {"authorization": "Bearer host-token"}):
        refused = client.post("", NEW_SCRIPT, headers=headers, csrf=False)
        assert refused.status == 403
    assert runtime.scripts.list(tenant="acme").total == 0
    assert client.post("", NEW_SCRIPT).status == 303
    assert runtime.scripts.list(tenant="acme").total == 1


@pytest.mark.parametrize("who", [Principal("acme", {"scripts.read"}, "host user"), None])
def test_an_embedding_host_resolves_its_own_users(
    adapter: str, runtime: Runtime, who: Principal | None
) -> None:
    config = PagesConfig(secret_key=b"a test secret of enough bytes", login=False)
    client = PageClient(adapter, make_app(adapter, runtime, config, who), {}, runtime)
    page = client.get()
    if who is None:
        assert page.status == 401
        assert page.html.find("form", action="/scripts/login") is None
        assert "Sign in to the application" in page.text
    else:
        assert page.status == 200
        assert "host user" in page.html.one("nav", class_="who").text
        assert page.html.find("a", href="/scripts/new") is None  # no scripts.create
        assert page.html.find("form", action="/scripts/logout") is None
    assert client.get("/login").status == 404


def test_the_login_page_sends_someone_signed_in_on(admin: PageClient) -> None:
    page = admin.get("/login?next=/scripts/new")
    assert page.status == 303
    assert page.location == "/scripts/new"
