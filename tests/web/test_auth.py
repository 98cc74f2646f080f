"""Authentication, permissions and tenant isolation, on every route."""

from __future__ import annotations

from typing import Any

import pytest

from esruntime.web import API_ROUTES
from tests.wasm.modules import counter_wasm
from tests.web.apps import BANK_SCHEMA, Client

ADDED = BANK_SCHEMA + "\nevent OverdraftWarning { @account_id: String }\n"
WITHOUT_RECIPIENT = BANK_SCHEMA.replace("  @recipient_id: String\n", "")
TEXT = "text/plain"
WASM = {"content_type": "application/wasm", "headers": {"X-Handler-Version": "9.0.0"}}
NO_SCRIPT = "00000000-0000-4000-8000-000000000000"

REQUESTS: dict[str, tuple[str, str, dict[str, Any]]] = {
    "execute_command": (
        "POST",
        "/commands/open_account",
        {"json_body": {"account_id": "z", "owner": "o"}},
    ),
    "get_schema": ("GET", "/schema", {}),
    "put_schema": ("PUT", "/schema", {"content": ADDED, "content_type": TEXT}),
    "validate_schema": ("POST", "/schema/validate", {"content": ADDED, "content_type": TEXT}),
    "list_handlers": ("GET", "/handlers", {}),
    "get_handler": ("GET", "/handlers/deposit", {}),
    "put_handler": ("PUT", "/handlers/count", {"content": counter_wasm(), **WASM}),
    "put_current_version": (
        "PUT",
        "/handlers/nothing_here/current",
        {"json_body": {"version": "1.0.0"}},
    ),
    "delete_handler": ("DELETE", "/handlers/nothing_here", {}),
    "query_events": ("POST", "/events/query", {"json_body": {}}),
    "get_event": ("GET", "/events/evt_unknown", {}),
    "health": ("GET", "/health", {}),
    "metrics": ("GET", "/metrics", {}),
    "list_scripts": ("GET", "/scripts", {}),
    "create_script": (
        "POST",
        "/scripts",
        {"json_body": {"name": "made", "type": "oneoff", "source": "return 1;"}},
    ),
    "get_script": ("GET", f"/scripts/{NO_SCRIPT}", {}),
    "update_script": ("PUT", f"/scripts/{NO_SCRIPT}", {"json_body": {"description": "x"}}),
    "delete_script": ("DELETE", f"/scripts/{NO_SCRIPT}", {}),
    "list_script_versions": ("GET", f"/scripts/{NO_SCRIPT}/versions", {}),
    "get_script_version": ("GET", f"/scripts/{NO_SCRIPT}/versions/1", {}),
    "rollback_script": ("POST", f"/scripts/{NO_SCRIPT}/rollback", {"json_body": {"version": 1}}),
    "execute_script": ("POST", f"/scripts/{NO_SCRIPT}/execute", {"json_body": {}}),
    "list_script_executions": ("GET", f"/scripts/{NO_SCRIPT}/executions", {}),
    "get_script_execution": ("GET", f"/scripts/{NO_SCRIPT}/executions/{NO_SCRIPT}", {}),
    "list_dead_letters": ("GET", "/scripts/dead-letters", {}),
    "get_dead_letter": ("GET", f"/scripts/dead-letters/{NO_SCRIPT}", {}),
    "retry_dead_letter": ("POST", f"/scripts/dead-letters/{NO_SCRIPT}/retry", {}),
    "discard_dead_letter": ("DELETE", f"/scripts/dead-letters/{NO_SCRIPT}", {}),
}
PROTECTED = [r for r in API_ROUTES if r.permission is not None]


def send(client: Client, route: str, **options: Any) -> Any:
    method, path, defaults = REQUESTS[route]
    return client.request(method, path, **{**defaults, **options})


def test_every_route_has_a_request_here() -> None:
    assert set(REQUESTS) == {route.name for route in API_ROUTES}


@pytest.mark.parametrize("route", PROTECTED, ids=lambda r: r.name)
def test_every_protected_route_refuses_a_request_without_a_key(client: Client, route: Any) -> None:
    reply = send(client, route.name, key=None)
    assert reply.status == 401
    assert reply.error["code"] == "unauthorized"
    assert reply.error["message"] == "Missing API key: send 'Authorization: Bearer <api_key>'"
    assert reply.headers["www-authenticate"] == 'Bearer realm="esruntime"'


@pytest.mark.parametrize(
    ("authorization", "message"),
    [
        ("Bearer esr_0123456789abcdef_" + "a" * 43, "Invalid or revoked API key"),
        ("Bearer not-a-key", "Invalid or revoked API key"),
        ("Basic dXNlcjpwYXNz", "The Authorization header must read 'Bearer <api_key>'"),
        ("Bearer", "The Authorization header must read 'Bearer <api_key>'"),
    ],
)
def test_a_bad_key_is_401(client: Client, authorization: str, message: str) -> None:
    reply = client.get("/schema", key=None, headers={"Authorization": authorization})
    assert reply.status == 401
    assert reply.error["message"] == message


def test_a_revoked_key_is_401_from_its_next_request(client: Client) -> None:
    issued = client.runtime.api_keys.create("acme", "temp", ["schema.read"])
    client.keys["temp"] = issued.secret
    assert client.get("/schema", key="temp").status == 200
    client.runtime.api_keys.revoke(issued.key.key_id)
    reply = client.get("/schema", key="temp")
    assert reply.status == 401
    assert reply.error["message"] == "Invalid or revoked API key"


@pytest.mark.parametrize("route", PROTECTED, ids=lambda r: r.name)
def test_every_route_needs_its_permission(client: Client, route: Any) -> None:
    lacking = "acme:events.read" if route.permission == "scripts.read" else "acme:scripts.read"
    for key in ("acme:none", lacking):
        reply = send(client, route.name, key=key)
        assert reply.status == 403
        assert reply.error == {
            "code": "forbidden",
            "message": f"The credentials lack the '{route.permission}' permission",
            "request_id": reply.headers["x-request-id"],
        }
    allowed = send(client, route.name, key=f"acme:{route.permission}")
    assert allowed.status not in (401, 403)


def test_health_needs_no_key(client: Client) -> None:
    assert send(client, "health", key=None).status == 200


# -- tenant isolation --------------------------------------------------------------------------


@pytest.fixture
def acme(client: Client) -> dict[str, Any]:
    """acme's data: a newer schema, an uploaded handler, events, an idempotency key."""
    assert client.put("/schema", content=ADDED, content_type=TEXT).status == 200
    upload = client.put("/handlers/count", content=counter_wasm(), content_type="application/wasm",
                        headers={"X-Handler-Version": "1.0.0"})  # fmt: skip
    assert upload.status == 200
    client.command("count", {"counter_id": "c1"})
    opened = client.command(
        "open_account", {"account_id": "a", "owner": "x"}, headers={"X-Idempotency-Key": "k1"}
    )
    client.command("open_account", {"account_id": "b", "owner": "x"})
    client.command("deposit", {"account_id": "a", "amount": 10})
    client.command("transfer_funds", {"source_account": "a", "dest_account": "b", "amount": 1})
    return {"event_id": opened.json()["events"][0]["id"]}


def test_commands_of_another_tenant_are_invisible(client: Client, acme: dict[str, Any]) -> None:
    assert client.command("count", {"counter_id": "c1"}, key="globex").status == 404
    # The same idempotency key is another tenant's own: it runs, against globex's events.
    reply = client.command(
        "open_account", {"account_id": "a", "owner": "x"}, key="globex",
        headers={"X-Idempotency-Key": "k1"},
    )  # fmt: skip
    assert reply.status == 200
    assert reply.json()["position"] == 1
    assert "x-idempotent-replayed" not in reply.headers


def test_schemas_are_per_tenant(client: Client, acme: dict[str, Any]) -> None:
    assert client.get("/schema", key="globex").json()["version"] == "0.1.0"
    assert client.get("/schema").json()["version"] == "0.2.0"
    # Breaking-change counts are the tenant's own: globex has no SentFunds to break.
    theirs = client.post("/schema/validate", content=WITHOUT_RECIPIENT, content_type=TEXT)
    mine = client.post("/schema/validate", content=WITHOUT_RECIPIENT, content_type=TEXT,
                       key="globex")  # fmt: skip
    assert (theirs.status, mine.status) == (422, 200)
    pushed = client.put("/schema", content=WITHOUT_RECIPIENT, content_type=TEXT, key="globex")
    assert pushed.status == 200
    assert client.get("/schema").json()["version"] == "0.2.0"


def test_handlers_are_per_tenant(client: Client, acme: dict[str, Any]) -> None:
    listed = {h["name"]: h for h in client.get("/handlers", key="globex").json()["handlers"]}
    assert "count" not in listed
    assert listed["open_account"]["executions_24h"] == 0
    assert client.get("/handlers/count", key="globex").status == 404
    assert client.delete("/handlers/count", key="globex").status == 404
    assert client.get("/handlers/count").status == 200
    mine = client.put("/handlers/count", key="globex", content=counter_wasm(), **WASM)
    assert mine.status == 200
    assert client.get("/handlers/count", key="globex").json()["version"] == "9.0.0"
    assert client.get("/handlers/count").json()["version"] == "1.0.0"


def test_events_are_per_tenant(client: Client, acme: dict[str, Any]) -> None:
    assert client.post("/events/query", json_body={}, key="globex").json()["events"] == []
    assert client.get(f"/events/{acme['event_id']}", key="globex").status == 404
    assert client.get(f"/events/{acme['event_id']}").status == 200


def test_metrics_are_per_tenant(client: Client, acme: dict[str, Any]) -> None:
    client.command("open_account", {"account_id": "g", "owner": "x"}, key="globex")
    theirs = client.get("/metrics").text
    mine = client.get("/metrics", key="globex").text
    assert 'tenant="acme"' in theirs
    assert 'tenant="globex"' not in theirs
    assert 'tenant="globex"' in mine
    assert 'tenant="acme"' not in mine
    assert 'handler="count"' not in mine


def test_health_says_nothing_about_tenants(client: Client, acme: dict[str, Any]) -> None:
    assert set(client.get("/health", key="globex").json()) == {
        "status",
        "version",
        "umadb",
        "store",
        "backend",
    }
