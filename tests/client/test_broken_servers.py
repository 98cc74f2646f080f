"""Servers that do not answer as the API does: every surprise is a clear ClientError.

A raw socket server plays each broken server; nothing about the client is faked.
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Iterator
from typing import Any

import pytest

from esruntime.client import (
    ApiError,
    AsyncClient,
    Client,
    ClientError,
    ConnectionFailedError,
    MalformedResponseError,
    RequestTimeoutError,
    ServerError,
)
from tests.client.servers import RawServer, Script, http_answer


@pytest.fixture
def serve() -> Iterator[Any]:
    started: list[tuple[RawServer, Client]] = []

    def start(script: Script) -> Client:
        server = RawServer(script)
        client = Client(server.url, api_key="k", timeout=5)
        started.append((server, client))
        return client

    yield start
    for server, client in started:
        client.close()
        server.stop()


EVENT = {
    "id": "evt_1",
    "type": "T",
    "data": {},
    "domain_ids": {},
    "position": 1,
    "timestamp": "2025-01-15T10:30:00Z",
}


def answering(status: int, body: Any, **options: Any) -> Script:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return lambda request: http_answer(status, data, **options)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_a_refused_connection_is_a_connection_error() -> None:
    url = f"http://127.0.0.1:{free_port()}/v1"
    with Client(url) as client, pytest.raises(ConnectionFailedError) as caught:
        client.health()
    assert str(caught.value).startswith(f"GET /v1/health: cannot connect to {url}")
    assert isinstance(caught.value, ConnectionError)


def test_a_server_that_never_answers_is_a_timeout() -> None:
    server = RawServer(hold=True)
    try:
        with (
            Client(server.url, timeout=0.2) as client,
            pytest.raises(RequestTimeoutError) as caught,
        ):
            client.execute("open_account", {"account_id": "a1"})
        assert "no answer from" in str(caught.value)
        assert isinstance(caught.value, TimeoutError)
    finally:
        server.stop()


def test_a_body_that_is_not_json_is_malformed(serve: Any) -> None:
    client = serve(answering(200, b"<html>Welcome to nginx</html>"))
    with pytest.raises(MalformedResponseError) as caught:
        client.get_schema()
    assert str(caught.value) == (
        "GET /v1/schema: HTTP 200 with a body that is not JSON: '<html>Welcome to nginx</html>'"
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"status": "ok", "events": [], "position": "5"}, "$.position should be an integer"),
        ({"status": "ok", "position": 5}, "$.events should be an array, got nothing"),
        ({"status": "ok", "events": [7], "position": 5}, "$.events[0] should be an object"),
        (
            {"status": "ok", "events": [{"id": "e", "type": "T", "data": 1, "timestamp": "now"}]},
            "$.events[0].timestamp should be an RFC 3339 time, got 'now'",
        ),
        ({"status": "rejected", "code": "x"}, "HTTP 200 with status 'rejected', expected 'ok'"),
        ([1, 2], "$ should be an object, got array"),
    ],
)
def test_a_command_answer_of_the_wrong_shape_names_the_path(
    serve: Any, body: Any, message: str
) -> None:
    client = serve(answering(200, body))
    with pytest.raises(MalformedResponseError) as caught:
        client.execute("deposit", {"account_id": "a1", "amount": 5})
    assert message in str(caught.value)
    assert str(caught.value).startswith("POST /v1/commands/deposit: ")


def test_a_garbled_retry_count_is_malformed(serve: Any) -> None:
    body = {"status": "ok", "events": [], "position": 3}
    client = serve(answering(200, body, headers={"X-Retry-Count": "many"}))
    with pytest.raises(MalformedResponseError, match="X-Retry-Count is 'many', not a count"):
        client.execute("deposit", {})


def test_a_truncated_body_is_malformed(serve: Any) -> None:
    client = serve(answering(200, b'{"status": "heal', length=200))
    with pytest.raises(MalformedResponseError, match="sent an invalid HTTP response"):
        client.health()


@pytest.mark.parametrize("raw", [b"HELLO THERE\r\n\r\n", b"\x16\x03\x01\x02\x00garbage", None])
def test_an_answer_that_is_not_http_is_malformed(serve: Any, raw: bytes | None) -> None:
    client = serve(lambda request: raw)
    with pytest.raises(MalformedResponseError, match="sent an invalid HTTP response"):
        client.health()


def test_a_proxys_error_page_is_a_server_error_without_a_code(serve: Any) -> None:
    page = b"<html><body><h1>502 Bad Gateway</h1></body></html>"
    client = serve(answering(502, page, headers={"Content-Type": "text/html"}))
    with pytest.raises(ServerError) as caught:
        client.list_handlers()
    error = caught.value
    assert (error.status, error.code, error.request_id) == (502, None, None)
    assert "not the API's error body" in error.message
    assert "502 Bad Gateway" in error.message


def test_an_unexpected_error_status_is_an_api_error_with_its_body(serve: Any) -> None:
    body = {"error": {"code": "rate_limited", "message": "slow down", "request_id": "req_1"}}
    client = serve(answering(429, body))
    with pytest.raises(ApiError) as caught:
        client.list_handlers()
    assert type(caught.value) is ApiError
    assert (caught.value.status, caught.value.code, caught.value.request_id) == (
        429,
        "rate_limited",
        "req_1",
    )


def test_a_redirect_is_not_followed_and_says_where_it_pointed(serve: Any) -> None:
    client = serve(answering(308, b"", headers={"Location": "https://elsewhere/v1/health"}))
    with pytest.raises(ApiError, match="redirected to https://elsewhere/v1/health"):
        client.health()


def test_an_unexpected_success_status_is_malformed(serve: Any) -> None:
    client = serve(answering(202, {"accepted": True}))
    with pytest.raises(MalformedResponseError, match="unexpected HTTP 202"):
        client.get_schema()


def test_an_answer_over_the_size_limit_is_refused(serve: Any) -> None:
    declared = serve(answering(200, b"{}", length=10**9))
    with pytest.raises(MalformedResponseError, match="exceeds the client's limit"):
        declared.health()
    server = RawServer(answering(200, json.dumps({"pad": "x" * 5000}).encode()))
    try:
        with (
            Client(server.url, max_response_bytes=1000) as small,
            pytest.raises(MalformedResponseError, match="limit of 1,000 bytes"),
        ):
            small.health()
    finally:
        server.stop()


def test_pages_that_do_not_advance_stop_the_iteration(serve: Any) -> None:
    page = {"events": [EVENT], "next_position": 0, "has_more": True}
    client = serve(answering(200, page))
    with pytest.raises(MalformedResponseError, match="does not advance past 0"):
        list(client.iter_events())


def test_the_async_client_reports_the_same_failures() -> None:
    garbage = RawServer(answering(200, b"not json"))
    silent = RawServer(hold=True)

    async def run() -> list[ClientError]:
        found: list[ClientError] = []
        for url, timeout in [
            (garbage.url, 5.0),
            (silent.url, 0.2),
            (f"http://127.0.0.1:{free_port()}/v1", 5.0),
        ]:
            async with AsyncClient(url, timeout=timeout) as client:
                try:
                    await client.health()
                except ClientError as exc:
                    found.append(exc)
        return found

    try:
        errors = asyncio.run(run())
    finally:
        garbage.stop()
        silent.stop()
    assert [type(e) for e in errors] == [
        MalformedResponseError,
        RequestTimeoutError,
        ConnectionFailedError,
    ]


@pytest.mark.parametrize(
    ("call", "status", "body", "message"),
    [
        (
            "get_event",
            200,
            {**EVENT, "position": True},
            "$.position should be an integer, got boolean",
        ),
        (
            "get_event",
            200,
            {**EVENT, "position": 1.0},
            "$.position should be an integer, got number",
        ),
        (
            "get_event",
            200,
            {**EVENT, "domain_ids": []},
            "$.domain_ids should be an object, got array",
        ),
        ("get_event", 200, {**EVENT, "timestamp": "2025-01-15T10:30:00"}, "RFC 3339 time"),
        ("get_event", 200, {"id": "evt_1"}, "$.type should be a string, got nothing"),
        ("list_handlers", 200, {"handlers": "abc"}, "$.handlers should be an array, got string"),
        (
            "list_handlers",
            200,
            {"handlers": [{"name": "a", "version": "1", "event_types": ["A", 2]}]},
            "$.handlers[0].event_types[1] should be a string, got number",
        ),
        ("health", 200, {"status": "healthy"}, "$.version should be a string, got nothing"),
        ("get_schema", 200, {"version": "1.0.0", "events": []}, "$.schema should be a string"),
        ("push_schema", 200, {"version": "1.0.0", "changes": []}, "$.changes should be an object"),
        (
            "push_schema",
            422,
            {"status": "rejected", "breaking_changes": [{"event": "A"}]},
            "$.breaking_changes[0].change should be a string, got nothing",
        ),
        (
            "upload_handler",
            200,
            {"name": "a", "version": "1.0.0", "event_types": []},
            "$.validation should be an object, got nothing",
        ),
    ],
)
def test_every_answer_of_the_wrong_shape_names_the_call_and_the_path(
    serve: Any, call: str, status: int, body: Any, message: str
) -> None:
    client = serve(answering(status, body))
    arguments = {
        "get_event": ("evt_1",),
        "list_handlers": (),
        "health": (),
        "get_schema": (),
        "push_schema": ("event A { @a: String }",),
        "upload_handler": ("a", b"\0asm", "1.0.0"),
    }[call]
    with pytest.raises(MalformedResponseError) as caught:
        getattr(client, call)(*arguments)
    assert message in str(caught.value)
    assert str(caught.value).split(":")[0].split(" ")[0] in ("GET", "PUT", "POST")


def test_fields_a_newer_server_adds_are_ignored_and_nullable_ones_may_be_left_out(
    serve: Any,
) -> None:
    handler = {"name": "a", "version": "1.0.0", "event_types": ["A"], "executions_24h": 3}
    body = {"handlers": [{**handler, "owner": "someone", "labels": {"x": 1}}], "total": 1}
    client = serve(answering(200, body))
    [summary] = client.list_handlers()
    assert (summary.name, summary.uploaded_at, summary.kind, summary.executions_24h) == (
        "a",
        None,
        None,
        3,
    )
