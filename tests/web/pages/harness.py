"""The pages mounted in a FastAPI and a Flask app, and a client keeping cookies like a browser."""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping, Sequence
from typing import Any, Protocol
from urllib.parse import urlencode

from attrs import define, field, frozen

from esruntime.auth import PERMISSIONS, Principal
from esruntime.auth.resolver import PrincipalResolver
from esruntime.runtime import Runtime
from esruntime.web.pages import PagesConfig
from tests.web.pages.html import Element, parse

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message=".*install `httpx2`")
    from fastapi.testclient import TestClient

__all__ = ["Page", "PageClient", "make_app", "page_keys"]

FormValues = Mapping[str, str | Sequence[str]] | Sequence[tuple[str, str]]


def page_keys(runtime: Runtime) -> dict[str, str]:
    """API keys of tenant ``acme`` by name: ``admin``, each ``scripts.*`` permission alone,
    ``none``; and ``globex`` (an admin of another tenant)."""
    keys = {"admin": runtime.api_keys.create("acme", "alice", ["admin"]).secret}
    for permission in PERMISSIONS:
        if permission.startswith("scripts."):
            keys[permission] = runtime.api_keys.create("acme", permission, [permission]).secret
    keys["none"] = runtime.api_keys.create("acme", "nobody", []).secret
    keys["globex"] = runtime.api_keys.create("globex", "gina", ["admin"]).secret
    return keys


@frozen
class Page:
    """A response: status, headers (lower-case names; every Set-Cookie kept) and the HTML."""

    status: int
    headers: Mapping[str, str]
    cookies_set: tuple[str, ...]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode()

    @property
    def html(self) -> Element:
        return parse(self.text)

    @property
    def location(self) -> str:
        return self.headers["location"]

    def field_error(self, name: str) -> str | None:
        found = self.html.find(id=f"{name}-error")
        return None if found is None else found.text

    def csrf(self) -> str:
        found = self.html.find("input", name="_csrf")
        assert found is not None, "the page has no CSRF field"
        return found.get("value") or ""


class Send(Protocol):
    """Sends a request to one app, keeping its cookies as a browser does."""

    def __call__(self, method: str, path: str, body: bytes, headers: dict[str, str]) -> Page: ...

    def set_cookie(self, name: str, value: str) -> None:
        """Put a cookie in the jar, as another part of the host app would have."""


@define
class PageClient:
    """Requests to one adapter's app with a cookie jar; ``csrf`` is the latest token seen."""

    adapter: str
    send: Send = field(repr=False)
    keys: dict[str, str] = field(repr=False)
    runtime: Runtime = field(repr=False)
    prefix: str = "/scripts"
    csrf: str = ""

    def request(
        self,
        method: str,
        path: str,
        form: FormValues | None = None,
        *,
        headers: Mapping[str, str] | None = None,
        body: bytes | None = None,
        csrf: bool = True,
        htmx: bool = False,
    ) -> Page:
        sent = {k.lower(): v for k, v in (headers or {}).items()}
        data = body or b""
        if form is not None:
            pairs = list(form.items() if isinstance(form, Mapping) else form)
            if csrf and method != "GET":
                pairs.append(("_csrf", self.csrf))
            data = urlencode(pairs, doseq=True).encode()
            sent.setdefault("content-type", "application/x-www-form-urlencoded")
        elif csrf and method != "GET" and self.csrf:
            sent.setdefault("x-csrf-token", self.csrf)
        if htmx:
            sent["hx-request"] = "true"
        page = self.send(method, self.prefix + path, data, sent)
        if "text/html" in page.headers.get("content-type", "") and page.body:
            token = re.search(rb'name="_csrf" value="([0-9a-f]+)"', page.body)
            if token:
                self.csrf = token.group(1).decode()
        return page

    def get(self, path: str = "", **options: Any) -> Page:
        return self.request("GET", path, **options)

    def post(self, path: str = "", form: FormValues | None = None, **options: Any) -> Page:
        return self.request("POST", path, form, **options)

    def login(self, key: str = "admin") -> Page:
        self.get("/login")
        page = self.post("/login", {"ApiKey": self.keys[key], "next": self.prefix})
        assert page.status == 303, page.text
        self.get()
        return page

    def create(self, **fields: str | Sequence[str]) -> str:
        """A new script's id (the fields default to a valid oneoff script)."""
        values: dict[str, str | Sequence[str]] = {
            "Name": "greeter",
            "Type": "oneoff",
            "Status": "active",
            "Source": "return { hello: context.input.name || 'world' };",
        }
        values.update(fields)
        page = self.post("", values)
        assert page.status == 303, page.text
        return page.location.rsplit("/", 1)[1]


class _FastAPISend:
    def __init__(self, app: Any) -> None:
        self.client = TestClient(app, raise_server_exceptions=False)

    def __call__(self, method: str, path: str, body: bytes, headers: dict[str, str]) -> Page:
        response = self.client.request(
            method, path, content=body, headers=headers, follow_redirects=False
        )
        return Page(
            response.status_code,
            dict(response.headers),
            tuple(response.headers.get_list("set-cookie")),
            response.content,
        )

    def set_cookie(self, name: str, value: str) -> None:
        self.client.cookies.set(name, value)


class _FlaskSend:
    def __init__(self, app: Any) -> None:
        self.client = app.test_client()

    def __call__(self, method: str, path: str, body: bytes, headers: dict[str, str]) -> Page:
        environ = {} if "content-type" in headers else {"CONTENT_TYPE": ""}
        response = self.client.open(
            path, method=method, data=body, headers=headers, environ_overrides=environ
        )
        lowered = {k.lower(): v for k, v in response.headers.items()}
        return Page(
            response.status_code,
            lowered,
            tuple(response.headers.getlist("Set-Cookie")),
            response.get_data(),
        )

    def set_cookie(self, name: str, value: str) -> None:
        self.client.set_cookie(name, value)


def make_app(
    adapter: str,
    runtime: Runtime,
    config: PagesConfig | None = None,
    host_principal: Principal | bool | None = False,
    resolver: PrincipalResolver | None = None,
) -> Send:
    """The pages in a new app of ``adapter``. ``host_principal`` (not False): the host signs
    people in itself and says the request is from this principal (None: anonymous).
    ``resolver``: the host's own principal resolver instead of the runtime's."""
    if adapter == "fastapi":
        from fastapi import FastAPI

        from esruntime.contrib.fastapi.pages import install_pages

        app = FastAPI()
        if host_principal is False:
            install_pages(app, runtime, config, resolver=resolver)
        else:
            install_pages(app, runtime, config, principal=lambda: host_principal, resolver=resolver)
        return _FastAPISend(app)
    from flask import Flask, g

    from esruntime.contrib.flask.pages import EsruntimePages

    flask_app = Flask("pages-test")
    if host_principal is not False:

        @flask_app.before_request
        def who() -> None:
            g.esruntime_principal = host_principal

    EsruntimePages(flask_app, runtime, config, resolver=resolver)
    return _FlaskSend(flask_app)
