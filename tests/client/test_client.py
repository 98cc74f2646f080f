"""The sync client against a live server: every method, on the bank of tests/commands/bank.py."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest

from esruntime.client import (
    BadRequestError,
    Client,
    CommandOk,
    CommandRejected,
    HandlerRejected,
    HandlerUploaded,
    NotFoundError,
    SchemaAccepted,
    SchemaRejected,
    SchemaRejectedError,
    ServerError,
)
from tests.wasm.modules import counter_wasm
from tests.web.apps import BANK_SCHEMA

TRAP = '(func (export "esr_handle") (param i32 i32) (result i64) (unreachable))'


def open_accounts(client: Client, *accounts: str, deposit: float = 0) -> None:
    for account in accounts:
        assert client.execute("open_account", {"account_id": account, "owner": "x"}).status == "ok"
        if deposit:
            result = client.execute("deposit", {"account_id": account, "amount": deposit})
            assert result.status == "ok"


def test_a_transfer_returns_its_events_and_they_can_be_read_back(client: Client) -> None:
    open_accounts(client, "alice", "bob")
    client.execute("deposit", {"account_id": "alice", "amount": 80})
    result = client.execute(
        "transfer_funds", {"source_account": "alice", "dest_account": "bob", "amount": 50.0}
    )
    assert isinstance(result, CommandOk)
    assert result.status == "ok"
    assert result.position == 5
    assert (result.retries, result.attempts, result.replayed) == (0, 1, False)
    sent, received = result.events
    assert (sent.type, received.type) == ("SentFunds", "ReceivedFunds")
    assert sent.data == {"account_id": "alice", "amount": 50.0, "recipient_id": "bob"}
    assert result.event_ids == (sent.id, received.id)
    assert sent.timestamp.tzinfo is not None
    assert abs((datetime.now(UTC) - sent.timestamp).total_seconds()) < 3600

    stored = client.get_event(sent.id)
    assert (stored.id, stored.type, stored.position) == (sent.id, "SentFunds", 4)
    assert stored.domain_ids == {"account_id": "alice", "recipient_id": "bob"}
    assert stored.data == sent.data
    assert stored.metadata is not None
    assert stored.metadata["handler"] == "transfer_funds"


def test_a_rejection_is_a_value_with_the_handlers_code_and_message(client: Client) -> None:
    open_accounts(client, "alice", "bob")
    result = client.execute(
        "transfer_funds", {"source_account": "alice", "dest_account": "bob", "amount": 50.0}
    )
    assert result == CommandRejected("insufficient_funds", "balance 0.0 < 50.0")
    assert result.status == "rejected"


def test_invalid_input_is_a_rejection_with_code_invalid_input(client: Client) -> None:
    open_accounts(client, "alice")
    result = client.execute("deposit", {"account_id": "alice", "amount": -5})
    assert result == CommandRejected("invalid_input", "amount must be a positive number")


def test_the_schema_is_read_validated_pushed_and_guarded(client: Client) -> None:
    current = client.get_schema()
    assert current.text == BANK_SCHEMA
    deposited = next(e for e in current.events if e.name == "Deposited")
    assert deposited.domain_ids == ("account_id",)
    assert [(f.name, f.type, f.domain_id) for f in deposited.fields] == [
        ("account_id", "String", True),
        ("amount", "Float", False),
    ]

    extended = BANK_SCHEMA + "\nevent Closed { @account_id: String }\n"
    dry_run = client.validate_schema(extended)
    assert isinstance(dry_run, SchemaAccepted)
    assert dry_run.changes.added_events == ("Closed",)
    assert client.get_schema().version == current.version

    pushed = client.push_schema(extended)
    assert isinstance(pushed, SchemaAccepted)
    assert pushed.version != current.version
    assert client.get_schema().version == pushed.version

    open_accounts(client, "alice", deposit=5)
    without_deposits = extended.replace("event Deposited {", "event Credited {")
    with pytest.raises(SchemaRejectedError) as caught:
        client.push_schema(without_deposits)
    refused = caught.value.result
    assert isinstance(refused, SchemaRejected)
    assert caught.value.breaking_changes == refused.breaking_changes
    assert any(change.event == "Deposited" for change in refused.breaking_changes)
    assert "?force=true" in caught.value.hint
    assert client.validate_schema(without_deposits) == refused
    assert client.get_schema().version == pushed.version
    forced = client.push_schema(without_deposits, force=True)
    assert isinstance(forced, SchemaAccepted)
    assert forced.changes.removed_events == ("Deposited",)


def test_invalid_esdl_is_a_bad_request_with_the_parsers_message(client: Client) -> None:
    with pytest.raises(BadRequestError) as caught:
        client.push_schema("event {")
    assert caught.value.status == 400
    assert caught.value.code == "invalid_schema"
    assert "line 1" in caught.value.message


def test_a_handler_is_uploaded_listed_run_and_deleted(client: Client) -> None:
    module = counter_wasm()
    uploaded = client.upload_handler("count", module, "1.2.0")
    assert uploaded == HandlerUploaded(
        "count", "1.2.0", ("Counted",), ("The module says version 1.0.0; it is stored as 1.2.0",)
    )

    details = client.get_handler("count")
    assert (details.name, details.version, details.kind) == ("count", "1.2.0", "wasm")
    assert details.wasm_size_bytes == len(module)
    assert details.sha256 == hashlib.sha256(module).hexdigest()
    assert details.domain_id_fields == ("counter_id",)
    assert details.uploaded_at is not None

    assert client.execute("count", {"counter_id": "c1"}).status == "ok"
    listed = {h.name: h for h in client.list_handlers()}
    assert {"count", "open_account", "deposit", "transfer_funds"} <= set(listed)
    assert listed["count"].executions_24h == 1
    assert listed["deposit"].kind == "python"
    assert listed["deposit"].uploaded_at is None

    client.delete_handler("count")
    with pytest.raises(NotFoundError) as caught:
        client.get_handler("count")
    assert caught.value.code == "handler_not_found"


def test_a_handler_is_rolled_back_and_forward_again(client: Client) -> None:
    good, trapping = counter_wasm(), counter_wasm(esr_handle=TRAP)
    client.upload_handler("count", good, "1.0.0")
    client.upload_handler("count", trapping, "2.0.0")
    with pytest.raises(ServerError):
        client.execute("count", {"counter_id": "c1"})
    back = client.make_current("count", "1.0.0")
    assert back == HandlerUploaded("count", "1.0.0", ("Counted",), ())
    assert client.execute("count", {"counter_id": "c1"}).status == "ok"
    details = client.get_handler("count")
    assert details.version == "1.0.0"
    assert [(v.version, v.current, v.sha256) for v in details.versions] == [
        ("1.0.0", True, hashlib.sha256(good).hexdigest()),
        ("2.0.0", False, hashlib.sha256(trapping).hexdigest()),
    ]
    assert client.make_current("count", "2.0.0").version == "2.0.0"  # type: ignore[union-attr]
    with pytest.raises(NotFoundError) as caught:
        client.make_current("count", "9.0.0")
    assert caught.value.code == "version_not_found"


def test_a_refused_module_is_a_value_with_every_error(client: Client) -> None:
    refused = client.upload_handler("count", b"\0asm\1\0\0\0garbage", "1.0.0")
    assert isinstance(refused, HandlerRejected)
    assert [e.code for e in refused.errors] == ["invalid_module"]
    wrong_name = client.upload_handler("other", counter_wasm(), "1.0.0")
    assert isinstance(wrong_name, HandlerRejected)
    assert "describes command 'count'" in wrong_name.errors[0].message


def test_events_are_queried_by_type_and_domain_id_page_by_page(client: Client) -> None:
    open_accounts(client, "alice", "bob", "carol")
    for amount in range(1, 8):
        client.execute(
            "deposit", {"account_id": "alice" if amount % 2 else "bob", "amount": amount}
        )

    page = client.query_events(["Deposited"], {"account_id": ["alice"]}, limit=2)
    assert [e.data["amount"] for e in page.events] == [1, 3]
    assert page.has_more
    rest = client.query_events(
        ["Deposited"], {"account_id": "alice"}, after_position=page.next_position
    )
    assert [e.data["amount"] for e in rest.events] == [5, 7]
    assert not rest.has_more

    every = list(client.iter_events(page_size=3))
    assert [e.position for e in every] == list(range(1, 11))
    assert [e.type for e in every][:3] == ["AccountOpened"] * 3
    both = list(client.iter_events(["Deposited"], {"account_id": ["alice", "bob"]}, page_size=2))
    assert len(both) == 7
    assert list(client.iter_events(after_position=9)) == every[9:]


WITH_CHANNEL = BANK_SCHEMA.replace(
    "event Deposited {\n", 'event Deposited {\n  channel: String = "unknown"\n'
)


def test_events_are_read_in_the_current_schema_unless_raw(client: Client) -> None:
    open_accounts(client, "alice", deposit=5)
    assert client.push_schema(WITH_CHANNEL).status == "ok"
    [deposit] = client.query_events(["Deposited"]).events
    assert deposit.data == {"account_id": "alice", "amount": 5, "channel": "unknown"}
    assert client.get_event(deposit.id).data == deposit.data
    assert [e.data for e in client.iter_events(["Deposited"])] == [deposit.data]
    stored = {"account_id": "alice", "amount": 5}
    assert client.query_events(["Deposited"], raw=True).events[0].data == stored
    assert client.get_event(deposit.id, raw=True).data == stored
    assert [e.data for e in client.iter_events(["Deposited"], raw=True)] == [stored]


def test_an_unknown_event_id_is_not_found(client: Client) -> None:
    with pytest.raises(NotFoundError) as caught:
        client.get_event("evt_01H8XNOPE")
    assert caught.value.code == "event_not_found"


def test_health_and_metrics(client: Client) -> None:
    health = client.health()
    assert health.healthy
    assert health.details == {"umadb": "connected", "store": "connected", "backend": "sqlite"}
    open_accounts(client, "alice")
    assert "open_account" in client.metrics()
