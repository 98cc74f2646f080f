"""Limits and malformed requests: sizes (413), JSON, content types, fields, query strings."""

from __future__ import annotations

import json
from typing import Any

import pytest

from esruntime.runtime import Runtime
from esruntime.web import Limits
from tests.wasm.modules import counter_wasm
from tests.web.apps import Client, make_client

KIB = 1024


def owner_of_size(size: int) -> bytes:
    """An open_account body of exactly ``size`` bytes."""
    empty = len(json.dumps({"account_id": "a", "owner": ""}).encode())
    return json.dumps({"account_id": "a", "owner": "x" * (size - empty)}).encode()


def test_a_body_over_256_kib_is_413(client: Client) -> None:
    for path, content_type in [
        ("/commands/open_account", "application/json"),
        ("/events/query", "application/json"),
        ("/schema/validate", "text/plain"),
    ]:
        reply = client.post(path, content=b" " * (256 * KIB + 1), content_type=content_type)
        assert reply.status == 413
        assert reply.error["code"] == "body_too_large"
        assert reply.error["message"] == "The body exceeds the limit of 262,144 bytes"
    assert client.runtime.tenant("acme").store.head() is None


def test_a_body_of_exactly_the_limit_is_read(client: Client) -> None:
    reply = client.post(
        "/commands/open_account", content=owner_of_size(256 * KIB), content_type="application/json"
    )
    assert reply.status == 200


@pytest.mark.parametrize("adapter", ["fastapi", "flask"])
def test_the_limits_are_configurable(bank: tuple[Runtime, dict[str, str]], adapter: str) -> None:
    runtime, keys = bank
    client = make_client(adapter, runtime, keys, Limits(max_body_bytes=KIB, max_module_bytes=100))
    at_limit = client.post("/commands/open_account", content=owner_of_size(KIB),
                           content_type="application/json")  # fmt: skip
    assert at_limit.status == 200
    over = client.post("/commands/open_account", content=owner_of_size(KIB + 1),
                       content_type="application/json")  # fmt: skip
    assert (over.status, over.error["message"]) == (
        413,
        "The body exceeds the limit of 1,024 bytes",
    )
    module = client.put("/handlers/count", content=counter_wasm(), content_type="application/wasm",
                        headers={"X-Handler-Version": "1.0.0"})  # fmt: skip
    assert (module.status, module.error["code"]) == (413, "body_too_large")


def test_a_module_may_be_larger_than_a_json_body(client: Client) -> None:
    padded = counter_wasm(extra=f'(data (i32.const 4096) "{"x" * (300 * KIB)}")', memory_pages=8)
    assert len(padded) > 256 * KIB
    reply = client.put("/handlers/count", content=padded, content_type="application/wasm",
                       headers={"X-Handler-Version": "1.0.0"})  # fmt: skip
    assert reply.status == 200


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "the body is empty; send a JSON document"),
        (b"   ", "the body is empty; send a JSON document"),
        (b'{"account_id": "a",', "malformed JSON at line 1, column 20: Expecting property name"),
        (b'{"account_id": "a"}\n{}', "malformed JSON at line 2, column 1: Extra data"),
        (b"{'account_id': 'a'}", "malformed JSON at line 1, column 2"),
        (b'{"a": 1, "a": 2}', "malformed JSON: duplicate key 'a'"),
        (b'{"amount": NaN}', "malformed JSON: NaN is not valid JSON"),
        (b'{"amount": -Infinity}', "malformed JSON: -Infinity is not valid JSON"),
        (b'{"amount": ' + b"9" * 5000 + b"}", "malformed JSON: Exceeds the limit"),
        (b"[" * 65 + b"]" * 65, "JSON nested deeper than 64 levels"),
        (b"[" * 100_000, "JSON nested deeper than 64 levels"),
        (b'{"owner": "\xff"}', "the body is not UTF-8: byte 11 is invalid"),
        (b'\xef\xbb\xbf{"owner": "a"}', "Unexpected UTF-8 BOM"),
    ],
)
def test_malformed_json_is_400_with_a_precise_message(
    client: Client, body: bytes, message: str
) -> None:
    reply = client.post("/commands/open_account", content=body, content_type="application/json")
    assert reply.status == 400
    assert reply.error["code"] in ("invalid_json", "invalid_encoding")
    assert message in reply.error["message"]


def test_json_nested_to_the_limit_is_accepted(client: Client) -> None:
    nested: Any = "deep"
    for _ in range(62):
        nested = [nested]
    reply = client.command("open_account", {"account_id": "a", "owner": "x", "note": nested})
    assert reply.status == 200


@pytest.mark.parametrize(
    ("content_type", "message"),
    [
        (None, "Content-Type must be application/json, got none"),
        ("text/plain", "Content-Type must be application/json, got 'text/plain'"),
        ("application/x-www-form-urlencoded", "got 'application/x-www-form-urlencoded'"),
        (
            "application/json; charset=latin-1",
            "the body must be UTF-8, Content-Type names 'latin-1'",
        ),
    ],
)
def test_a_json_route_needs_a_json_content_type(
    client: Client, content_type: str | None, message: str
) -> None:
    headers = {} if content_type is None else {"Content-Type": content_type}
    for path in ("/commands/open_account", "/events/query"):
        reply = client.post(path, content=b'{"account_id": "a", "owner": "x"}', headers=headers)
        assert reply.status == 400
        assert reply.error == {
            "code": "invalid_content_type",
            "message": message
            if message.startswith(("Content", "the"))
            else reply.error["message"],
            "request_id": reply.headers["x-request-id"],
        }
        assert message in reply.error["message"]


def test_json_with_a_utf8_charset_or_in_upper_case_is_accepted(client: Client) -> None:
    for content_type in ("application/json; charset=utf-8", "Application/JSON; charset=UTF-8"):
        reply = client.post("/events/query", content=b"{}", content_type=content_type)
        assert reply.status == 200


@pytest.mark.parametrize("route", ["/commands/open_account", "/events/query", "/handlers"])
def test_unknown_query_parameters_are_400(client: Client, route: str) -> None:
    method = "GET" if route == "/handlers" else "POST"
    reply = client.request(method, f"{route}?debug=1", json_body={"account_id": "a", "owner": "x"})
    assert reply.status == 400
    takes = "; this route takes raw" if route == "/events/query" else ""
    assert reply.error["message"] == f"unknown query parameter 'debug'{takes}"
    assert client.runtime.tenant("acme").store.head() is None


@pytest.mark.parametrize(
    ("path", "body", "message"),
    [
        ("/commands/open_account", b'{"account_id": "a", "owner": "x\\u0000y"}',
         "$.owner contains U+0000"),
        ("/commands/open_account", b'{"account_id": "a", "owner": "x", "note": [{"n": "\\u0000"}]}',
         "$.note[0].n contains U+0000"),
        ("/commands/open_account", b'{"account_id": "a", "owner": "x", "a b\\u0000": 1}',
         '$["a b\\u0000"] (a key) contains U+0000'),
        ("/commands/open_account", b'{"account_id": "a", "owner": "\\ud800"}',
         "$.owner contains an unpaired surrogate (U+D800)"),
        ("/events/query", b'{"domain_ids": {"account_id": ["a", "b\\u0000"]}}',
         "$.domain_ids.account_id[1] contains U+0000"),
        ("/events/query", b'{"event_types": ["Deposited\\u0000"]}',
         "$.event_types[0] contains U+0000"),
    ],
)  # fmt: skip
def test_a_string_that_cannot_be_stored_is_400_naming_its_path(
    client: Client, path: str, body: bytes, message: str
) -> None:
    reply = client.post(path, content=body, content_type="application/json")
    assert (reply.status, reply.error["code"]) == (400, "invalid_json")
    assert reply.error["message"] == f"{message}, which cannot be stored"
    assert client.runtime.tenant("acme").store.head() is None


def test_escapes_that_can_be_stored_are_kept(client: Client) -> None:
    body = b'{"account_id": "a", "owner": "\\\\u0000 \\ud83d\\ude00 \\u00e9"}'
    reply = client.post("/commands/open_account", content=body, content_type="application/json")
    assert reply.status == 200
    assert reply.json()["events"][0]["data"]["owner"] == "\\u0000 \U0001f600 \u00e9"
