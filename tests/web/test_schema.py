"""GET /schema, PUT /schema and POST /schema/validate."""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.apps import BANK_SCHEMA, ON_EACH_BACKEND, Client, Reply

pytestmark = ON_EACH_BACKEND

ADDED = BANK_SCHEMA + "\nevent OverdraftWarning { @account_id: String }\n"
WITHOUT_RECIPIENT = BANK_SCHEMA.replace("  @recipient_id: String\n", "")


def push(client: Client, text: str, query: str = "", **options: Any) -> Reply:
    return client.put(f"/schema{query}", content=text, content_type="text/plain", **options)


def test_get_returns_the_current_schema(client: Client) -> None:
    reply = client.get("/schema")
    assert reply.status == 200
    body = reply.json()
    assert body["version"] == "0.1.0"
    assert body["schema"] == BANK_SCHEMA
    opened = next(e for e in body["events"] if e["name"] == "AccountOpened")
    assert opened["domain_ids"] == ["account_id"]
    assert opened["fields"][0] == {
        "name": "account_id",
        "type": "String",
        "domain_id": True,
        "doc": None,
    }
    assert body["updated_at"].endswith("Z")


def test_a_tenant_without_a_schema_gets_404(client: Client) -> None:
    client.keys["initech"] = client.runtime.api_keys.create("initech", "k", ["admin"]).secret
    reply = client.get("/schema", key="initech")
    assert reply.status == 404
    assert reply.error == {
        "code": "schema_not_found",
        "message": "No schema has been pushed yet",
        "request_id": reply.headers["x-request-id"],
    }


def test_put_stores_a_new_version_and_reports_the_changes(client: Client) -> None:
    reply = push(client, ADDED)
    assert reply.status == 200
    assert reply.json() == {
        "version": "0.2.0",
        "changes": {
            "added_events": ["OverdraftWarning"],
            "modified_events": [],
            "removed_events": [],
        },
    }
    assert client.get("/schema").json()["version"] == "0.2.0"


def test_a_breaking_change_is_rejected_with_counts_unless_forced(client: Client) -> None:
    client.command("open_account", {"account_id": "a", "owner": "x"})
    client.command("open_account", {"account_id": "b", "owner": "x"})
    client.command("deposit", {"account_id": "a", "amount": 10})
    client.command("transfer_funds", {"source_account": "a", "dest_account": "b", "amount": 1})
    reply = push(client, WITHOUT_RECIPIENT)
    assert reply.status == 422
    body = reply.json()
    assert body["status"] == "rejected"
    [change] = body["breaking_changes"]
    assert (change["event"], change["change"], change["field"]) == (
        "SentFunds",
        "removed_field",
        "recipient_id",
    )
    assert (
        change["message"] == "Cannot remove field 'recipient_id' - 1 events exist with this field"
    )
    assert body["hint"] == (
        "Send the schema again with ?force=true to accept the breaking changes "
        "(it creates a new schema version)"
    )
    dry_run = client.post("/schema/validate", content=WITHOUT_RECIPIENT, content_type="text/plain")
    assert (dry_run.status, dry_run.json()["hint"]) == (422, body["hint"])
    assert client.get("/schema").json()["version"] == "0.1.0"

    forced = push(client, WITHOUT_RECIPIENT, "?force=true")
    assert forced.status == 200
    assert forced.json()["changes"]["modified_events"] == ["SentFunds"]
    assert client.get("/schema").json()["version"] == "1.0.0"


def test_validate_is_a_dry_run(client: Client) -> None:
    reply = client.post("/schema/validate", content=ADDED, content_type="text/plain")
    assert reply.status == 200
    assert reply.json()["version"] == "0.2.0"
    assert client.get("/schema").json()["version"] == "0.1.0"
    client.command("open_account", {"account_id": "a", "owner": "x"})
    client.command("open_account", {"account_id": "b", "owner": "x"})
    client.command("deposit", {"account_id": "a", "amount": 10})
    client.command("transfer_funds", {"source_account": "a", "dest_account": "b", "amount": 1})
    breaking = client.post("/schema/validate", content=WITHOUT_RECIPIENT, content_type="text/plain")
    assert breaking.status == 422
    assert breaking.json()["status"] == "rejected"
    forced = client.post(
        "/schema/validate?force=1", content=WITHOUT_RECIPIENT, content_type="text/plain"
    )
    assert (forced.status, forced.json()["version"]) == (200, "1.0.0")
    assert client.get("/schema").json()["version"] == "0.1.0"


@pytest.mark.parametrize("path", ["/schema", "/schema/validate"])
def test_invalid_esdl_is_400_with_its_line_and_column(client: Client, path: str) -> None:
    method = "PUT" if path == "/schema" else "POST"
    reply = client.request(
        method, path, content="event Broken {\n  x String\n}", content_type="text/plain"
    )
    assert reply.status == 400
    assert reply.error["code"] == "invalid_schema"
    assert reply.error["message"].startswith("line 2, column 5: expected ':' after 'x'")


@pytest.mark.parametrize(
    ("content_type", "code"),
    [
        ("application/json", "invalid_content_type"),
        (None, "invalid_content_type"),
        ("text/plain; charset=latin-1", "invalid_content_type"),
    ],
)
def test_the_schema_must_be_utf8_text(client: Client, content_type: str | None, code: str) -> None:
    headers = {} if content_type is None else {"content-type": content_type}
    reply = client.put("/schema", content=ADDED, headers=headers)
    assert reply.status == 400
    assert reply.error["code"] == code
    assert "text/plain" in reply.error["message"] or "UTF-8" in reply.error["message"]


def test_a_body_that_is_not_utf8_is_400(client: Client) -> None:
    reply = client.put("/schema", content=b"event A { @x: String } \xff", content_type="text/plain")
    assert reply.status == 400
    assert reply.error == {
        "code": "invalid_encoding",
        "message": "the body is not UTF-8: byte 23 is invalid",
        "request_id": reply.headers["x-request-id"],
    }


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("?force=maybe", "force must be true or false, got 'maybe'"),
        ("?forced=true", "unknown query parameter 'forced'; this route takes force"),
        ("?force=true&force=false", "query parameter 'force' is repeated"),
    ],
)
def test_bad_query_parameters_are_400(client: Client, query: str, message: str) -> None:
    reply = push(client, ADDED, query)
    assert reply.status == 400
    assert reply.error["message"] == message
    assert client.get("/schema").json()["version"] == "0.1.0"
