"""Every route refuses a principal without its permission, and pages hide what it may not use."""

from __future__ import annotations

import pytest

from tests.web.pages.harness import Page, PageClient

ROUTES = [
    ("GET", "", "scripts.read"),
    ("GET", "/new", "scripts.create"),
    ("POST", "", "scripts.create"),
    ("GET", "/{id}", "scripts.read"),
    ("GET", "/{id}/edit", "scripts.update"),
    ("PUT", "/{id}", "scripts.update"),
    ("DELETE", "/{id}", "scripts.delete"),
    ("POST", "/{id}/execute", "scripts.execute"),
    ("GET", "/{id}/executions", "scripts.read"),
    ("GET", "/{id}/executions/{execution_id}", "scripts.read"),
]
KEYS = ["scripts.read", "scripts.create", "scripts.update", "scripts.delete", "scripts.execute"]
FORM = {"Name": "changed", "Type": "oneoff", "Source": "return 3;"}


def _call(client: PageClient, method: str, path: str) -> Page:
    if method == "GET":
        return client.get(path)
    return client.request(method, path, FORM if method != "DELETE" else {}, htmx=method == "DELETE")


@pytest.mark.parametrize(("method", "path", "permission"), ROUTES)
@pytest.mark.parametrize("key", [*KEYS, "none"])
def test_every_route_needs_its_permission(
    client: PageClient, method: str, path: str, permission: str, key: str
) -> None:
    client.login("admin")
    script_id = client.create(Name="target")
    execution = client.runtime.scripts.execute(script_id, tenant="acme")
    client.post("/logout", {})
    client.login(key)
    page = _call(client, method, path.format(id=script_id, execution_id=execution.id))
    if key == permission:
        assert page.status in (200, 303), page.text
    else:
        assert page.status == 403
        assert f"'{permission}'" in page.html.text


def test_a_reader_sees_no_buttons_it_may_not_use(client: PageClient) -> None:
    client.login("admin")
    script_id = client.create()
    client.post("/logout", {})
    client.login("scripts.read")
    listing = client.get().html
    assert listing.find("a", href="/scripts/new") is None
    assert listing.find("a", href=f"/scripts/{script_id}/edit") is None
    assert listing.find("form", action=f"/scripts/{script_id}") is None
    detail = client.get(f"/{script_id}").html
    assert detail.find("form", class_="run-form") is None
    assert detail.find("a", href=f"/scripts/{script_id}/edit") is None
    assert "You may not run scripts" in detail.text


def test_an_admin_sees_every_button(admin: PageClient) -> None:
    script_id = admin.create()
    listing = admin.get().html
    assert listing.find("a", href="/scripts/new") is not None
    row = listing.one("tr", id=f"script-{script_id}")
    assert row.find("a", href=f"/scripts/{script_id}/edit") is not None
    assert row.one("form").get("hx-delete") == f"/scripts/{script_id}"
    assert admin.get(f"/{script_id}").html.find("form", class_="run-form") is not None
