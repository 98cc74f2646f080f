"""Malformed, oversized and hostile requests get a clear answer, never a 500; static files;
templates the host overrides."""

from __future__ import annotations

from pathlib import Path

import pytest

from esruntime.runtime import Runtime
from esruntime.web.pages import PagesConfig
from tests.web.pages.harness import PageClient, make_app, page_keys


def test_an_oversized_form_is_413(admin: PageClient) -> None:
    page = admin.post("", {"Name": "big", "Type": "oneoff", "Source": "x" * 600_000})
    assert page.status == 413
    assert admin.runtime.scripts.list(tenant="acme").total == 0


def test_a_source_over_the_service_limit_is_400_on_the_field(admin: PageClient) -> None:
    page = admin.post("", {"Name": "big", "Type": "oneoff", "Source": "x" * 200_000})
    assert page.status == 400
    assert page.field_error("Source")


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        (b"Name=\xff\xfe", "application/x-www-form-urlencoded", 400),
        (b"&".join(b"a%d=1" % i for i in range(500)), "application/x-www-form-urlencoded", 400),
        (b'{"Name": "json"}', "application/json", 415),
        (b"Name=abc", "multipart/form-data; boundary=x", 415),
    ],
)
def test_a_malformed_form_is_refused(
    admin: PageClient, body: bytes, content_type: str, status: int
) -> None:
    page = admin.request(
        "POST", "", body=body, headers={"content-type": content_type, "x-csrf-token": admin.csrf}
    )
    assert page.status == status
    assert page.html.one(class_="error-code").text == str(status)


@pytest.mark.parametrize(
    "name",
    [
        "a\x00b",
        "\u202e" * 3 + "x",
        "x" * 101,
        "  ",
        "\ud800".encode("utf-8", "surrogatepass").decode("latin-1"),
    ],
)
def test_hostile_names_are_field_errors(admin: PageClient, name: str) -> None:
    page = admin.post("", {"Name": name, "Type": "oneoff", "Source": "1"})
    assert page.status in (303, 400)
    if page.status == 400:
        assert page.field_error("Name")


@pytest.mark.parametrize("method", ["OPTIONS", "PATCH"])
def test_other_methods_are_not_pages(admin: PageClient, method: str) -> None:
    assert admin.request(method, "", csrf=False).status in (404, 405)


def test_static_files_are_cached_and_gzipped(client: PageClient) -> None:
    page = client.get("/static/htmx.min.js", headers={"accept-encoding": "gzip"})
    assert page.status == 200
    assert page.headers["content-type"].startswith("text/javascript")
    assert page.headers["cache-control"] == "public, max-age=604800"
    etag = page.headers["etag"]
    again = client.get("/static/htmx.min.js", headers={"if-none-match": etag})
    assert again.status == 304
    assert client.get("/static/pages.css").headers["content-type"].startswith("text/css")


@pytest.mark.parametrize(
    "path",
    [
        "/static/../app.py",
        "/static/%2e%2e%2fapp.py",
        "/static/nope.js",
        "/static/.hidden",
        "/static/",
    ],
)
def test_no_file_outside_static_is_served(client: PageClient, path: str) -> None:
    page = client.get(path)
    assert page.status in (401, 404)
    assert b"import" not in page.body


def test_a_host_overrides_a_template(adapter: str, runtime: Runtime, tmp_path: Path) -> None:
    (tmp_path / "list.html").write_text(
        '{% extends "base.html" %}{% block content %}<h1 id="mine">Our scripts: '
        "{{ result.total }}</h1>{% endblock %}"
    )
    config = PagesConfig(
        secret_key=b"a test secret of enough bytes", template_dirs=(str(tmp_path),)
    )
    client = PageClient(adapter, make_app(adapter, runtime, config), page_keys(runtime), runtime)
    client.login()
    assert client.get().html.one("h1", id="mine").text == "Our scripts: 0"
    assert client.get("/new").html.one("h1").text == "New script"  # the others stay


def test_a_custom_prefix(adapter: str, runtime: Runtime) -> None:
    config = PagesConfig(secret_key=b"a test secret of enough bytes", prefix="/admin/js")
    client = PageClient(
        adapter, make_app(adapter, runtime, config), page_keys(runtime), runtime, "/admin/js"
    )
    client.login()
    script_id = client.create()
    detail = client.get(f"/{script_id}")
    assert detail.status == 200
    assert detail.html.one("link").get("href") == "/admin/js/static/pages.css"
    assert detail.html.find("a", href=f"/admin/js/{script_id}/edit") is not None
