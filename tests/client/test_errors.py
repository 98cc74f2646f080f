"""Every error status of the live server becomes its typed error, with the API's code, message
and request id."""

from __future__ import annotations

import uuid

import pytest

from esruntime.client import (
    ApiError,
    Client,
    ClientError,
    ForbiddenError,
    NotFoundError,
    PayloadTooLargeError,
    RequestConflictError,
    ServerError,
    UnauthorizedError,
)
from esruntime.errors import EsruntimeError
from tests.client.conftest import Live
from tests.client.servers import LIMITS, Bank


def test_no_api_key_is_unauthorized_with_the_apis_error_body(bank: Bank) -> None:
    with Client(bank.url) as anonymous, pytest.raises(UnauthorizedError) as caught:
        anonymous.execute("open_account", {"account_id": "a1", "owner": "x"})
    error = caught.value
    assert (error.status, error.code) == (401, "unauthorized")
    assert error.message == "Missing API key: send 'Authorization: Bearer <api_key>'"
    assert error.request_id is not None
    assert error.request_id.startswith("req_")
    assert str(error) == f"HTTP 401 unauthorized: {error.message} [{error.request_id}]"
    assert isinstance(error, ApiError)
    assert isinstance(error, ClientError)
    assert isinstance(error, EsruntimeError)


@pytest.mark.parametrize("key", ["esr_0123456789abcdef_" + "x" * 43, "not-a-key"])
def test_an_unknown_api_key_is_unauthorized(bank: Bank, key: str) -> None:
    with Client(bank.url, api_key=key) as stranger, pytest.raises(UnauthorizedError) as caught:
        stranger.list_handlers()
    assert caught.value.message == "Invalid or revoked API key"


def test_a_revoked_api_key_is_unauthorized_from_its_next_use(bank: Bank) -> None:
    issued = bank.runtime.api_keys.create(bank.tenant, "soon revoked", ["handlers.read"])
    with Client(bank.url, api_key=issued.secret) as client:
        assert client.list_handlers()
        bank.runtime.api_keys.revoke(issued.key.key_id)
        with pytest.raises(UnauthorizedError):
            client.list_handlers()


def test_a_key_without_the_permission_is_forbidden(bank: Bank) -> None:
    with Client(bank.url, api_key=bank.key_with("events.read")) as reader:
        assert reader.query_events().events == ()
        with pytest.raises(ForbiddenError) as caught:
            reader.execute("open_account", {"account_id": "a1", "owner": "x"})
        assert caught.value.status == 403
        assert caught.value.code == "forbidden"
        assert "'commands.execute'" in caught.value.message
        with pytest.raises(ForbiddenError):
            reader.metrics()


def test_unknown_commands_handlers_and_events_are_not_found(client: Client) -> None:
    with pytest.raises(NotFoundError) as caught:
        client.execute("withdraw_funds", {})
    assert caught.value.code == "handler_not_found"
    assert caught.value.message == "No handler registered with name 'withdraw_funds'"
    with pytest.raises(NotFoundError):
        client.delete_handler("withdraw_funds")
    with pytest.raises(LookupError):  # NotFoundError is also a LookupError
        client.get_event("evt_unknown")


def test_names_are_sent_whole_even_with_slashes_and_question_marks(client: Client) -> None:
    with pytest.raises(NotFoundError) as caught:
        client.execute("count?force=true", {})
    assert caught.value.message == "No handler registered with name 'count?force=true'"
    version = client.get_schema().version
    with pytest.raises(NotFoundError):  # never PUT /schema
        client.upload_handler("../schema", b"event A { @a: String }", "1.0.0")
    assert client.get_schema().version == version


def test_a_tenant_without_a_schema_has_none_to_show(live: Live) -> None:
    _, runtime, _ = live
    tenant = f"t-{uuid.uuid4().hex[:12]}"
    key = runtime.api_keys.create(tenant, "admin", ["admin"]).secret
    with (
        Client(f"{live[0].origin}/v1", api_key=key) as client,
        pytest.raises(NotFoundError) as caught,
    ):
        client.get_schema()
    assert caught.value.code == "schema_not_found"


def test_deleting_a_handler_registered_in_code_is_a_conflict_error(client: Client) -> None:
    with pytest.raises(RequestConflictError) as caught:
        client.delete_handler("deposit")
    assert (caught.value.status, caught.value.code) == (409, "handler_in_code")


def test_oversized_bodies_are_payload_too_large(client: Client) -> None:
    huge = {"account_id": "a1", "owner": "x" * LIMITS.max_body_bytes}
    with pytest.raises(PayloadTooLargeError) as caught:
        client.execute("open_account", huge)
    assert (caught.value.status, caught.value.code) == (413, "body_too_large")
    with pytest.raises(PayloadTooLargeError):
        client.upload_handler("count", b"\0" * (LIMITS.max_module_bytes + 1), "1.0.0")
    with pytest.raises(PayloadTooLargeError):
        client.push_schema("event A { @a: String }\n" * 4000)


def test_a_handler_fault_is_a_server_error_with_its_code(client: Client) -> None:
    with pytest.raises(ServerError) as caught:
        client.execute("broken", {"account_id": "a1"})
    assert (caught.value.status, caught.value.code) == (500, "handler_fault")
    assert "Handler 'broken' faulted" in caught.value.message


def test_bad_query_values_are_bad_requests(client: Client) -> None:
    with pytest.raises(ValueError, match="limit must be between 1 and 1000, got 0"):
        client.query_events(limit=0)
    with pytest.raises(ValueError, match="after_position must be 0 or more"):
        client.query_events(after_position=-1)
