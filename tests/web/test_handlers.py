"""/handlers: list, describe, upload, roll back and delete."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from typing import Any

import pytest

from esruntime.handlers import wasm as host
from tests.wasm.modules import (
    counter_wasm,
    describing_long,
    manifest,
    nested,
    returning_long,
    with_functions,
)
from tests.web.apps import BANK_SCHEMA, Client, Reply, bank_runtime, make_client

WASM = "application/wasm"


def upload(
    client: Client,
    module: bytes,
    version: str | None = "1.0.0",
    name: str = "count",
    **options: Any,
) -> Reply:
    headers = {} if version is None else {"X-Handler-Version": version}
    options.setdefault("content_type", WASM)
    return client.put(f"/handlers/{name}", content=module, headers=headers, **options)


def test_an_upload_is_validated_and_described(client: Client) -> None:
    reply = upload(client, counter_wasm(), "1.2.0")
    assert reply.status == 200
    assert reply.json() == {
        "name": "count",
        "version": "1.2.0",
        "event_types": ["Counted"],
        "validation": {
            "status": "ok",
            "warnings": ["The module says version 1.0.0; it is stored as 1.2.0"],
        },
    }


@pytest.mark.parametrize(
    ("module", "version", "name", "code", "message"),
    [
        (b"\0asm\1\0\0\0garbage", "1.0.0", "count", "invalid_module", "not a valid WebAssembly"),
        (b"", "1.0.0", "count", "invalid_module", "The module is empty"),
        (None, "1.0", "count", "invalid_version", "'1.0' is not a semantic version"),
        (None, "1.0.0", "Count", "invalid_name", "'Count' is not a command name"),
        (None, "1.0.0", "deposit", "handler_in_code", "registered in code"),
        (None, "1.0.0", "other", "name_mismatch", "describes command 'count'"),
    ],
)
def test_a_refused_upload_is_422_with_every_error(
    client: Client, module: bytes | None, version: str, name: str, code: str, message: str
) -> None:
    reply = upload(client, counter_wasm() if module is None else module, version, name)
    assert reply.status == 422
    body = reply.json()
    assert body["status"] == "rejected"
    assert body["errors"][0]["code"] == code
    assert message in body["errors"][0]["message"]
    assert client.get("/handlers/count").status == 404


def test_events_missing_from_the_schema_refuse_an_upload(client: Client) -> None:
    client.keys["initech"] = client.runtime.api_keys.create("initech", "k", ["admin"]).secret
    client.put(
        "/schema", content="event Other { @x: String }", content_type="text/plain", key="initech"
    )
    reply = upload(client, counter_wasm(), key="initech")
    assert reply.status == 422
    assert [e["code"] for e in reply.json()["errors"]] == ["unknown_event_type"] * 2
    assert reply.json()["errors"][1]["message"] == (
        "Handler emits 'Counted' which is not in the schema"
    )


def test_an_upload_needs_its_version_header_and_content_type(client: Client) -> None:
    missing = upload(client, counter_wasm(), None)
    assert missing.status == 400
    assert missing.error["code"] == "missing_header"
    assert missing.error["message"].startswith("X-Handler-Version is required")
    wrong = upload(client, counter_wasm(), content_type="application/octet-stream")
    assert wrong.status == 400
    assert wrong.error == {
        "code": "invalid_content_type",
        "message": "Content-Type must be application/wasm, got 'application/octet-stream'",
        "request_id": wrong.headers["x-request-id"],
    }


def test_the_list_shows_code_and_uploaded_handlers_with_executions(client: Client) -> None:
    upload(client, counter_wasm())
    client.command("count", {"counter_id": "c1"})
    client.command("count", {"counter_id": "c1"})
    reply = client.get("/handlers")
    assert reply.status == 200
    handlers = {h["name"]: h for h in reply.json()["handlers"]}
    assert list(handlers) == sorted(handlers)
    assert set(handlers) == {
        "broken",
        "contended",
        "count",
        "crashing",
        "deposit",
        "open_account",
        "transfer_funds",
    }
    count = handlers["count"]
    assert count["version"] == "1.0.0"
    assert count["kind"] == "wasm"
    assert count["event_types"] == ["Counted"]
    assert count["executions_24h"] == 2
    assert count["uploaded_at"].endswith("Z")
    transfer = handlers["transfer_funds"]
    assert (transfer["kind"], transfer["version"], transfer["uploaded_at"]) == (
        "python",
        "1.2.0",
        None,
    )
    assert transfer["event_types"] == ["AccountOpened", "Deposited", "SentFunds", "ReceivedFunds"]


def test_the_details_of_a_handler(client: Client) -> None:
    module = counter_wasm()
    upload(client, module)
    reply = client.get("/handlers/count")
    assert reply.status == 200
    body = reply.json()
    assert body["sha256"] == hashlib.sha256(module).hexdigest()
    assert body["wasm_size_bytes"] == len(module)
    assert body["domain_id_fields"] == ["counter_id"]
    assert body["event_types"] == ["Counted"]
    python = client.get("/handlers/open_account").json()
    assert (python["kind"], python["sha256"], python["wasm_size_bytes"]) == ("python", None, None)
    missing = client.get("/handlers/withdraw_funds")
    assert missing.status == 404
    assert missing.error["message"] == "No handler registered with name 'withdraw_funds'"


def test_delete_forgets_an_uploaded_handler(client: Client) -> None:
    upload(client, counter_wasm())
    reply = client.delete("/handlers/count")
    assert reply.status == 200
    assert reply.json() == {"name": "count", "status": "deleted"}
    assert client.get("/handlers/count").status == 404
    assert client.command("count", {"counter_id": "c1"}).status == 404
    again = client.delete("/handlers/count")
    assert (again.status, again.error["code"]) == (404, "handler_not_found")


def test_a_handler_registered_in_code_cannot_be_deleted(client: Client) -> None:
    reply = client.delete("/handlers/deposit")
    assert reply.status == 409
    assert reply.error["code"] == "handler_in_code"
    assert client.get("/handlers/deposit").status == 200


@pytest.mark.parametrize("size", [65, 100_000, 2_000_000])
def test_a_version_longer_than_64_characters_is_refused(client: Client, size: int) -> None:
    version = "1.0.0-" + "a" * (size - 6)
    reply = upload(client, counter_wasm(), version)
    assert (reply.status, reply.error["code"]) == (400, "invalid_header")
    assert reply.error["message"] == (
        f"X-Handler-Version is {size:,} characters long; a version is a semantic version "
        "(1.2.0) of at most 64 characters"
    )
    assert client.get("/handlers/count").status == 404


def test_a_version_of_64_characters_is_stored_in_event_metadata(client: Client) -> None:
    version = "1.0.0-" + "a" * 58
    described = json.loads(manifest())
    reply = upload(client, counter_wasm(describe=json.dumps({**described, "version": version})),
                   version)  # fmt: skip
    assert reply.status == 200, reply.json()
    ran = client.command("count", {"counter_id": "c"})
    assert ran.status == 200, ran.json()
    event = client.get(f"/events/{ran.json()['events'][0]['id']}").json()
    assert event["metadata"]["handler_version"] == version


@pytest.mark.parametrize("size", [65, 500])
def test_a_module_describing_a_longer_version_is_refused(client: Client, size: int) -> None:
    described = {**json.loads(manifest()), "version": "1.0.0-" + "a" * (size - 6)}
    module = counter_wasm(describe=json.dumps(described), memory_pages=4)
    reply = upload(client, module, "1.0.0")
    assert reply.status == 422
    [error] = reply.json()["errors"]
    assert error["code"] == "invalid_module"
    assert "is not a semantic version (1.2.0) of at most 64 characters" in error["message"]
    assert len(error["message"]) < 300


@pytest.fixture(params=["fastapi", "flask"])
def stored_client(request: pytest.FixtureRequest, runtime_url: str) -> Iterator[Client]:
    """A client of the bank on each backend (memory, SQLite, PostgreSQL) and each adapter."""
    runtime, keys = bank_runtime(runtime_url)
    yield make_client(request.param, runtime, keys)
    runtime.close()


TRAPPING = counter_wasm(
    esr_handle='(func (export "esr_handle") (param i32 i32) (result i64) (unreachable))'
)


def test_a_rollback_makes_a_stored_version_run_again(stored_client: Client) -> None:
    client = stored_client
    good = counter_wasm()
    assert upload(client, good, "1.0.0").status == 200
    assert upload(client, TRAPPING, "3.0.0").status == 200
    assert client.command("count", {"counter_id": "c1"}).status == 500
    again = upload(client, good, "1.0.0")  # the same bytes again change nothing, and say so
    assert again.status == 200
    assert again.json()["validation"]["warnings"][-1] == (
        "Version 1.0.0 was stored already; 3.0.0 stays current (make 1.0.0 current to run it)"
    )
    assert client.get("/handlers/count").json()["version"] == "3.0.0"

    reply = client.put("/handlers/count/current", json_body={"version": "1.0.0"})
    assert reply.status == 200
    assert reply.json() == {
        "name": "count",
        "version": "1.0.0",
        "event_types": ["Counted"],
        "validation": {"status": "ok", "warnings": []},
    }
    assert client.command("count", {"counter_id": "c1"}).status == 200
    detail = client.get("/handlers/count").json()
    assert (detail["version"], detail["sha256"]) == ("1.0.0", hashlib.sha256(good).hexdigest())
    assert [(v["version"], v["current"]) for v in detail["versions"]] == [
        ("1.0.0", True),
        ("3.0.0", False),
    ]
    assert detail["versions"][1]["sha256"] == hashlib.sha256(TRAPPING).hexdigest()
    listed = {h["name"]: h for h in client.get("/handlers").json()["handlers"]}
    assert listed["count"]["version"] == "1.0.0"

    forward = client.put("/handlers/count/current", json_body={"version": "3.0.0"})
    assert forward.status == 200
    assert client.command("count", {"counter_id": "c2"}).status == 500


def test_a_rollback_names_what_is_missing_or_wrong(client: Client) -> None:
    upload(client, counter_wasm(), "1.0.0")
    unknown = client.put("/handlers/nothing/current", json_body={"version": "1.0.0"})
    assert (unknown.status, unknown.error["code"]) == (404, "handler_not_found")
    version = client.put("/handlers/count/current", json_body={"version": "2.0.0"})
    assert (version.status, version.error["code"]) == (404, "version_not_found")
    assert version.error["message"] == "'count' has no version '2.0.0' (it has 1.0.0)"
    in_code = client.put("/handlers/deposit/current", json_body={"version": "1.0.0"})
    assert (in_code.status, in_code.error["code"]) == (409, "handler_in_code")
    for body, message in [
        ({}, "required field missing @ $.version"),
        ({"version": 1}, "expected string, got number @ $.version"),
        ({"version": "1.0.0", "v": 1}, "unknown field(s) 'v' @ $"),
    ]:
        bad = client.put("/handlers/count/current", json_body=body)
        assert (bad.status, bad.error["code"]) == (400, "invalid_request")
        assert bad.error["message"] == message
    python = client.get("/handlers/deposit").json()
    assert python["versions"] == []


def test_a_rollback_to_a_version_todays_schema_refuses_is_422(client: Client) -> None:
    upload(client, counter_wasm(), "1.0.0")
    tenant = client.runtime.tenant("acme")
    tenant.push_schema(BANK_SCHEMA.replace("event Counted", "event Tallied"), force=True)
    reply = client.put("/handlers/count/current", json_body={"version": "1.0.0"})
    assert reply.status == 422
    assert reply.json()["errors"][0] == {
        "code": "unknown_event_type",
        "message": "Handler reads 'Counted' which is not in the schema",
    }


def test_a_module_describing_itself_nested_100000_deep_is_422(client: Client) -> None:
    deep = manifest()[:-1] + ', "deep": ' + nested(100_000) + "}"
    reply = upload(client, counter_wasm(**describing_long(deep)))
    assert reply.status == 422
    [error] = reply.json()["errors"]
    assert error["code"] == "invalid_module"
    assert "esr_describe returned JSON nested deeper than 128 levels" in error["message"]
    assert client.get("/handlers/count").status == 404


def test_a_handler_returning_json_nested_100000_deep_is_a_handler_fault(client: Client) -> None:
    result = '{"ok":[{"type":"Counted","data":{"deep":' + nested(100_000) + "}}]}"
    assert upload(client, counter_wasm(**returning_long(result))).status == 200
    reply = client.command("count", {"counter_id": "c1"})
    assert reply.status == 500
    assert reply.error["code"] == "handler_fault"
    assert "esr_handle returned JSON nested deeper than 128 levels" in reply.error["message"]
    assert client.get("/health").status == 200


def test_a_module_too_costly_to_compile_is_422_naming_the_limit(client: Client) -> None:
    compiled = host.compiled_cache.compiled
    reply = upload(client, with_functions(20_000))
    assert reply.status == 422
    [error] = reply.json()["errors"]
    assert error["code"] == "invalid_module"
    assert "the module defines 20,0" in error["message"]
    assert "functions; the limit is 10,000" in error["message"]
    assert host.compiled_cache.compiled == compiled  # refused before compiling
    assert client.get("/handlers/count").status == 404
    assert upload(client, counter_wasm()).status == 200
