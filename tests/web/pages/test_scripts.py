"""The list, the forms, a script's page, editing and deleting, over HTTP on both adapters."""

from __future__ import annotations

import pytest

from esruntime.runtime import Runtime
from esruntime.web.pages import PagesConfig
from tests.web.pages.harness import Page, PageClient, make_app, page_keys

HOSTILE = "<script>alert(1)</script>"


def test_the_empty_list_says_what_to_do_next(admin: PageClient) -> None:
    page = admin.get()
    assert page.status == 200
    empty = page.html.one(class_="empty")
    assert "No scripts yet" in empty.text
    assert empty.find("a", href="/scripts/new") is not None


def test_a_created_script_is_listed_and_shown(admin: PageClient) -> None:
    new = admin.get("/new")
    assert new.status == 200
    form = new.html.one("form", action="/scripts")
    names = {e.get("name") for e in form.iter() if e.get("name")}
    assert {
        "Name", "Description", "Source", "Type", "Status", "CronExpression", "HTTPPath",
        "HTTPMethods", "EventTypes", "MaxExecutionTimeMs", "MaxMemoryBytes", "_csrf",
    } <= names  # fmt: skip
    assert "data-editor" in form.one("textarea", name="Source").attrs
    page = admin.post(
        "",
        {
            "Name": "nightly report",
            "Description": "Sums up the day",
            "Type": "scheduled",
            "CronExpression": "0 2 * * *",
            "Source": "return 1;",
            "MaxExecutionTimeMs": "5000",
        },
    )
    assert page.status == 303
    script_id = page.location.rsplit("/", 1)[1]
    assert page.location == f"/scripts/{script_id}"
    detail = admin.get(f"/{script_id}")
    assert detail.status == 200
    assert detail.html.one("h1").text == "nightly report v1"
    assert "0 2 * * *" in detail.html.one("dl", class_="facts").text
    assert "5000 ms" in detail.text
    row = admin.get().html.one("tr", id=f"script-{script_id}")
    assert "nightly report" in row.text
    assert row.find("span", class_="type-scheduled") is not None
    assert (
        row.one("time").get(
            "title",
        )
        is not None
    )


def test_a_hostile_name_shows_as_text(admin: PageClient) -> None:
    script_id = admin.create(Name=HOSTILE, Description=f'"><img src=x onerror=alert(2)>{HOSTILE}')
    for path in ("", f"/{script_id}", f"/{script_id}/edit"):
        page = admin.get(path)
        assert HOSTILE not in page.text
        assert "onerror=alert" not in page.text.replace("onerror=alert(2)&gt;", "")
        assert all(s.get("src") for s in page.html.find_all("script"))
        assert page.html.find("img") is None
    assert HOSTILE in admin.get(f"/{script_id}").html.one("h1").text
    edit = admin.get(f"/{script_id}/edit").html
    assert edit.one("input", name="Name").get("value") == HOSTILE


def test_a_validation_error_shows_inline_with_the_input_kept(admin: PageClient) -> None:
    source = "return '<b>kept</b>';\n// line two"
    page = admin.post(
        "",
        {
            "Name": "ab",
            "Type": "scheduled",
            "CronExpression": "every day",
            "Source": source,
            "Description": "kept too",
            "MaxMemoryBytes": "lots",
        },
    )
    assert page.status == 400
    assert page.field_error("Name") == "must be at least 3 characters, got 2"
    assert "5 fields" in (page.field_error("CronExpression") or "")
    assert page.field_error("MaxMemoryBytes") == "must be a whole number"
    html = page.html
    assert html.one("input", name="Name").get("aria-invalid") == "true"
    assert html.one("input", name="Name").get("value") == "ab"
    assert html.one("input", name="Description").get("value") == "kept too"
    assert html.one("input", name="CronExpression").get("value") == "every day"
    assert html.one("textarea", name="Source").raw_text == source
    assert html.one("select", name="Type").one("option", selected=None).get("value") == "scheduled"
    assert admin.runtime.scripts.list(tenant="acme").total == 0


def test_a_service_error_maps_to_its_field(admin: PageClient) -> None:
    page = admin.post(
        "",
        {
            "Name": "hook",
            "Type": "http",
            "HTTPPath": "no-slash",
            "Source": "1",
            "MaxExecutionTimeMs": "1",
        },
    )
    assert page.status == 400
    assert page.field_error("HTTPPath")
    assert page.field_error("HTTPMethods")
    assert "between" in (page.field_error("MaxExecutionTimeMs") or "")


def test_a_duplicate_name_is_409_on_the_name(admin: PageClient) -> None:
    admin.create(Name="unique")
    page = admin.post("", {"Name": "unique", "Type": "oneoff", "Source": "return 2;"})
    assert page.status == 409
    assert "already exists" in (page.field_error("Name") or "")
    assert page.html.one("textarea", name="Source").raw_text == "return 2;"


def test_a_duplicate_http_path_is_409_on_the_path(admin: PageClient) -> None:
    hook = {"Type": "http", "HTTPPath": "/orders", "HTTPMethods": ["POST"], "Source": "1"}
    admin.create(Name="first hook", **hook)
    page = admin.post("", {"Name": "second hook", **hook})
    assert page.status == 409
    assert page.field_error("HTTPPath")
    assert [
        i.get("value") for i in page.html.find_all("input", name="HTTPMethods", checked=None)
    ] == ["POST"]


def test_editing_the_source_makes_a_new_version(admin: PageClient) -> None:
    script_id = admin.create(Source="return 1;")
    edit = admin.get(f"/{script_id}/edit")
    form = edit.html.one("form", action=f"/scripts/{script_id}")
    assert form.one("input", name="_method").get("value") == "PUT"
    assert form.one("textarea", name="Source").raw_text == "return 1;"
    page = admin.post(
        f"/{script_id}",
        {
            "_method": "PUT",
            "Name": "greeter",
            "Type": "oneoff",
            "Status": "active",
            "Source": "return 2;",
        },
    )
    assert page.status == 303
    assert page.location == f"/scripts/{script_id}"
    detail = admin.get(f"/{script_id}").html
    assert detail.one("h1").text == "greeter v2"
    versions = [li.text for li in detail.one("ol", class_="versions").find_all("li")]
    assert versions[0].startswith("v2 current")
    assert versions[1].startswith("v1")
    assert detail.one("pre", class_="source").raw_text == "return 2;"


def test_put_from_htmx_redirects_with_a_header(admin: PageClient) -> None:
    script_id = admin.create()
    page = admin.request(
        "PUT",
        f"/{script_id}",
        {"Name": "renamed", "Type": "oneoff", "Source": "return 1;"},
        htmx=True,
    )
    assert page.status == 200
    assert page.headers["hx-redirect"] == f"/scripts/{script_id}"
    assert admin.runtime.scripts.get(script_id, tenant="acme").name == "renamed"


def test_an_invalid_edit_is_400_with_the_input_kept(admin: PageClient) -> None:
    script_id = admin.create()
    admin.create(Name="taken")
    bad = admin.post(
        f"/{script_id}", {"_method": "PUT", "Name": "", "Type": "oneoff", "Source": "x"}
    )
    assert bad.status == 400
    assert bad.field_error("Name") == "is required"
    taken = admin.post(
        f"/{script_id}", {"_method": "PUT", "Name": "taken", "Type": "oneoff", "Source": "x"}
    )
    assert taken.status == 409
    assert taken.html.one("textarea", name="Source").raw_text == "x"


def test_deleting_from_htmx_removes_the_row(admin: PageClient) -> None:
    script_id = admin.create()
    page = admin.request("DELETE", f"/{script_id}", htmx=True)
    assert page.status == 200
    assert page.body == b""
    assert admin.get(f"/{script_id}").status == 404
    assert admin.get().html.find("tr", id=f"script-{script_id}") is None


def test_deleting_without_javascript_goes_back_to_the_list(admin: PageClient) -> None:
    script_id = admin.create()
    page = admin.post(f"/{script_id}", {"_method": "DELETE"})
    assert page.status == 303
    assert page.location == "/scripts"
    assert admin.post(f"/{script_id}", {"_method": "DELETE"}).status == 404


def test_the_list_searches_filters_sorts_and_pages(admin: PageClient) -> None:
    for index in range(23):
        admin.create(Name=f"script {index:02}", Type="embedded" if index % 2 else "oneoff")
    first = admin.get()
    assert len(first.html.one("table").one("tbody").find_all("tr")) == 20
    assert "Page 1 of 2" in first.html.one("nav", class_="pager").text
    second = admin.get("?page=2")
    assert [r.find("a").text for r in second.html.one("tbody").find_all("tr")] == [  # type: ignore[union-attr]
        "script 20", "script 21", "script 22",
    ]  # fmt: skip
    embedded = admin.get("?type=embedded&q=script+1").html.one("tbody").find_all("tr")
    assert len(embedded) == 5  # 11, 13, 15, 17, 19
    admin.post(f"/{admin.runtime.scripts.find('script 05', tenant='acme').id}", {  # type: ignore[union-attr]
        "_method": "PUT", "Name": "script 05", "Type": "oneoff", "Source": "return 5;",
    })  # fmt: skip
    recent = admin.get("?sort=updated").html.one("tbody").find("tr")
    assert recent is not None
    assert "script 05" in recent.text
    none = admin.get("?q=nothing-like-this")
    assert "No script matches" in none.html.one(class_="empty").text


@pytest.mark.parametrize(
    "query", ["?page=0", "?page=abc", "?type=bogus", "?status=%00", "?sort=size", "?page=99999999"]
)
def test_a_bad_list_query_is_400_with_a_message(admin: PageClient, query: str) -> None:
    page = admin.get(query)
    assert page.status == 400
    assert page.html.one("div", class_="flash-error").text


def test_unknown_pages_are_404_and_wrong_methods_405(admin: PageClient) -> None:
    missing = admin.get("/00000000-0000-0000-0000-000000000000")
    assert missing.status == 404
    assert missing.html.one(class_="error-code").text == "404"
    assert admin.get("/a/b/c/d").status == 404
    assert admin.get("/" + "x" * 500).status == 404
    assert admin.request("PUT", "", {"Name": "x"}).status == 405
    assert admin.post("/new", {}).status == 405


def test_one_tenant_never_sees_anothers_scripts(client: PageClient) -> None:
    client.login("admin")
    script_id = client.create()
    client.post("/logout", {})
    client.login("globex")
    assert client.get(f"/{script_id}").status == 404
    assert client.get().html.find("tr", id=f"script-{script_id}") is None
    assert client.post(f"/{script_id}", {"_method": "DELETE"}).status == 404


def _scripts(page: Page) -> list[str]:
    """The addresses of the page's scripts."""
    return [script.get("src") or "" for script in page.html.find_all("script")]


def _policy(page: Page) -> dict[str, list[str]]:
    """The page's Content-Security-Policy: each directive's sources."""
    directives = page.headers["content-security-policy"].split(";")
    return {name: sources for name, *sources in (d.split() for d in directives)}


def _origins(policy: dict[str, list[str]]) -> set[str]:
    """The sources a policy names other than keywords and ``data:``."""
    return {s for sources in policy.values() for s in sources if s[0] != "'" and s != "data:"}


@pytest.mark.parametrize(
    ("monaco_url", "origins"),
    [
        ("https://cdn.example:8443/monaco-editor/min", {"https://cdn.example:8443"}),
        ("/m/min", set()),
    ],
)
def test_a_configured_monaco_replaces_the_bundled_editor(
    adapter: str, runtime: Runtime, monaco_url: str, origins: set[str]
) -> None:
    config = PagesConfig(secret_key=b"a test secret of enough bytes", monaco_url=monaco_url)
    client = PageClient(adapter, make_app(adapter, runtime, config), page_keys(runtime), runtime)
    client.login()
    script_id = client.create()
    for path in ("/new", f"/{script_id}/edit"):
        page = client.get(path)
        assert page.status == 200
        assert "/scripts/static/monaco.js" in _scripts(page)
        assert "/scripts/static/editor.js" not in _scripts(page)
        source = page.html.one("textarea", name="Source")
        assert source.get("data-monaco-url") == monaco_url
        policy = _policy(page)
        assert _origins(policy) == origins
        assert policy["script-src"] == ["'self'", *origins]
        assert policy["font-src"] == ["'self'", *origins]
        assert policy["style-src"] == ["'self'", *origins, "'unsafe-inline'"]  # Monaco's styles
        assert policy["connect-src"] == ["'self'"]
    loader = client.get("/static/monaco.js")
    assert loader.status == 200
    assert b"data-monaco-url" in loader.body


def test_without_monaco_the_form_loads_the_bundled_editor(admin: PageClient) -> None:
    page = admin.get("/new")
    assert "/scripts/static/editor.js" in _scripts(page)
    assert "/scripts/static/monaco.js" not in _scripts(page)
    assert "data-monaco-url" not in page.html.one("textarea", name="Source").attrs
    assert _origins(_policy(page)) == set()
    assert _policy(page)["script-src"] == ["'self'"]
