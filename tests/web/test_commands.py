"""POST /commands/{command_name}: every outcome, its status, body and headers."""

from __future__ import annotations

from typing import Any

import pytest

from tests.wasm.modules import counter_wasm, handle_body
from tests.web.apps import ON_EACH_BACKEND, Client

pytestmark = ON_EACH_BACKEND

WASM = "application/wasm"


def open_accounts(client: Client, *accounts: str, key: str = "acme") -> None:
    for account in accounts:
        reply = client.command("open_account", {"account_id": account, "owner": "x"}, key=key)
        assert reply.status == 200, reply.body


def upload(client: Client, module: bytes, version: str = "1.0.0", key: str = "acme") -> Any:
    reply = client.put(
        "/handlers/count",
        content=module,
        content_type=WASM,
        headers={"X-Handler-Version": version},
        key=key,
    )
    assert reply.status == 200, reply.body
    return reply.json()


def test_ok_returns_the_appended_events_and_the_position(client: Client) -> None:
    open_accounts(client, "alice", "bob")
    client.command("deposit", {"account_id": "alice", "amount": 80})
    reply = client.command(
        "transfer_funds", {"source_account": "alice", "dest_account": "bob", "amount": 50.0}
    )
    assert reply.status == 200
    assert reply.headers["x-retry-count"] == "0"
    body = reply.json()
    assert body["status"] == "ok"
    assert body["position"] == 5
    sent, received = body["events"]
    assert sent["type"] == "SentFunds"
    assert sent["data"] == {"account_id": "alice", "amount": 50.0, "recipient_id": "bob"}
    assert received["data"] == {"account_id": "bob", "amount": 50.0, "sender_id": "alice"}
    assert sent["id"].startswith("evt_")
    assert sent["timestamp"].endswith("Z")
    assert set(sent) == {"id", "type", "data", "timestamp"}


def test_a_rejection_is_422_with_the_handlers_code_and_message(client: Client) -> None:
    open_accounts(client, "alice", "bob")
    reply = client.command(
        "transfer_funds", {"source_account": "alice", "dest_account": "bob", "amount": 50.0}
    )
    assert reply.status == 422
    assert reply.json() == {
        "status": "rejected",
        "code": "insufficient_funds",
        "message": "balance 0.0 < 50.0",
    }
    assert reply.headers["x-retry-count"] == "0"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"account_id": "alice", "amount": -5}, "amount must be a positive number"),
        ([1, 2], "command input must be a JSON object, got list"),
        ("alice", "command input must be a JSON object, got str"),
        ({"account_id": {"nested": 1}, "amount": 5}, "input field 'account_id'"),
    ],
)
def test_invalid_input_is_a_400_rejection(client: Client, body: Any, message: str) -> None:
    open_accounts(client, "alice")
    reply = client.command("deposit", body)
    assert reply.status == 400
    rejected = reply.json()
    assert (rejected["status"], rejected["code"]) == ("rejected", "invalid_input")
    assert message in rejected["message"]


def test_a_conflict_is_409_after_the_retries(client: Client) -> None:
    reply = client.command("contended", {"account_id": "alice"})
    assert reply.status == 409
    assert reply.json() == {
        "status": "conflict",
        "message": "Concurrent modification detected, please retry",
    }
    assert reply.headers["x-retry-count"] == "2"


def test_an_unknown_command_is_404_handler_not_found(client: Client) -> None:
    reply = client.command("withdraw_funds", {"account_id": "alice"})
    assert reply.status == 404
    assert reply.error["code"] == "handler_not_found"
    assert reply.error["message"] == "No handler registered with name 'withdraw_funds'"


def test_a_python_handler_fault_is_500_handler_fault(client: Client) -> None:
    reply = client.command("broken", {})
    assert reply.status == 500
    assert reply.error["code"] == "handler_fault"
    assert "(undeclared_event)" in reply.error["message"]


def test_a_trapping_webassembly_handler_is_500_handler_fault(client: Client) -> None:
    upload(client, counter_wasm(**handle_body("unreachable")))
    reply = client.command("count", {"counter_id": "c1"})
    assert reply.status == 500
    assert reply.error["code"] == "handler_fault"
    assert "faulted (trap)" in reply.error["message"]


def test_an_exception_in_a_python_handler_is_500_handler_fault(client: Client) -> None:
    reply = client.command("crashing", {})
    assert reply.status == 500
    assert reply.error["code"] == "handler_fault"
    assert reply.error["message"] == (
        "Handler 'crashing' faulted (handler_error): handler 'crashing' raised RuntimeError in "
        "handle: the handler crashed"
    )


def test_an_uploaded_handler_runs_and_a_new_version_takes_over(client: Client) -> None:
    upload(client, counter_wasm())
    assert client.command("count", {"counter_id": "c1"}).status == 200
    assert client.command("count", {"counter_id": "c1"}).json()["code"] == "already_counted"
    upload(client, counter_wasm(**handle_body("unreachable")), "1.1.0")
    assert client.command("count", {"counter_id": "c2"}).status == 500


def test_the_idempotency_key_makes_a_repeat_return_the_first_result(client: Client) -> None:
    open_accounts(client, "alice")
    key = {"X-Idempotency-Key": "deposit-1"}
    first = client.command("deposit", {"account_id": "alice", "amount": 10}, headers=key)
    again = client.command("deposit", {"amount": 10, "account_id": "alice"}, headers=key)
    assert first.status == again.status == 200
    assert again.json() == first.json()
    assert again.headers["x-idempotent-replayed"] == "true"
    assert "x-idempotent-replayed" not in first.headers
    assert client.runtime.tenant("acme").store.head() == 2  # deposited once


def test_a_reused_idempotency_key_with_another_body_is_422(client: Client) -> None:
    open_accounts(client, "alice")
    key = {"X-Idempotency-Key": "deposit-1"}
    client.command("deposit", {"account_id": "alice", "amount": 10}, headers=key)
    reply = client.command("deposit", {"account_id": "alice", "amount": 99}, headers=key)
    assert reply.status == 422
    assert reply.error["code"] == "idempotency_key_reused"
    assert client.runtime.tenant("acme").store.head() == 2


def test_a_rejection_is_remembered_under_its_key(client: Client) -> None:
    key = {"X-Idempotency-Key": "open-twice"}
    open_accounts(client, "alice")
    first = client.command("open_account", {"account_id": "alice", "owner": "x"}, headers=key)
    again = client.command("open_account", {"account_id": "alice", "owner": "x"}, headers=key)
    assert first.status == again.status == 422
    assert again.json() == first.json()


@pytest.mark.parametrize("key", ["x" * 201, "tab\tkey", ""])
def test_a_malformed_idempotency_key_is_400(client: Client, key: str) -> None:
    reply = client.command("open_account", {"account_id": "a", "owner": "x"}, headers={
        "X-Idempotency-Key": key
    })  # fmt: skip
    assert reply.status == 400
    assert reply.error["code"] == "invalid_header"
    assert reply.error["message"].startswith("X-Idempotency-Key: ")
    assert client.runtime.tenant("acme").store.head() is None


def test_events_carry_the_request_id_as_correlation_id(client: Client) -> None:
    reply = client.command("open_account", {"account_id": "alice", "owner": "x"})
    [event] = reply.json()["events"]
    stored = client.get(f"/events/{event['id']}").json()
    assert stored["metadata"]["correlation_id"] == reply.headers["x-request-id"]
