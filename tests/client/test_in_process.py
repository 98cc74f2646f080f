"""A host can call an application in its own process: the client over httpx's WSGI transport
(Flask) and ASGI transport (FastAPI), with no socket at all."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from esruntime.client import (
    AsyncClient,
    Client,
    CommandOk,
    CommandRejected,
    SchemaRejected,
    SchemaRejectedError,
)
from esruntime.runtime import Runtime
from tests.commands.bank import SCHEMA, Deposit, OpenAccount


def bank() -> tuple[Runtime, str]:
    runtime = Runtime()
    runtime.register(OpenAccount)
    runtime.register(Deposit)
    runtime.tenant().schema_registry.push(SCHEMA)
    return runtime, runtime.api_keys.create("default", "admin", ["admin"]).secret


def test_the_sync_client_calls_a_flask_app_in_process() -> None:
    from esruntime.contrib.flask import create_app

    runtime, key = bank()
    transport = httpx.WSGITransport(app=create_app(runtime))
    with Client("http://esruntime.local/v1", api_key=key, transport=transport) as client:
        assert client.execute("open_account", {"account_id": "a1", "owner": "x"}).status == "ok"
        deposited = client.execute("deposit", {"account_id": "a1", "amount": 5})
        assert isinstance(deposited, CommandOk)
        assert deposited.position == 2
        assert client.get_schema().text == SCHEMA
    runtime.close()


def test_the_async_client_calls_a_fastapi_app_in_process() -> None:
    from esruntime.contrib.fastapi import create_app

    runtime, key = bank()
    transport = httpx.ASGITransport(app=create_app(runtime))

    async def story() -> None:
        async with AsyncClient("http://esruntime.local/v1", api_key=key, transport=transport) as c:
            await c.execute("open_account", {"account_id": "a1", "owner": "x"})
            again = await c.execute("open_account", {"account_id": "a1", "owner": "x"})
            assert again == CommandRejected("account_exists", "account a1 already exists")
            assert [e.type async for e in c.iter_events()] == ["AccountOpened"]

    asyncio.run(story())
    runtime.close()


def test_a_rejected_schema_is_reported_alike_in_process_and_through_the_client() -> None:
    from esruntime.contrib.flask import create_app

    runtime, key = bank()
    runtime.execute("open_account", {"account_id": "a1", "owner": "x"})
    breaking = SCHEMA.replace("event AccountOpened {", "event Opened {")
    with pytest.raises(SchemaRejectedError) as in_process:
        runtime.push_schema(breaking)
    transport = httpx.WSGITransport(app=create_app(runtime))
    with (
        Client("http://esruntime.local/v1", api_key=key, transport=transport) as client,
        pytest.raises(SchemaRejectedError) as remote,
    ):
        client.push_schema(breaking)
    # One error type holding one value type; only the hint is worded for its caller.
    assert type(remote.value.result) is type(in_process.value.result) is SchemaRejected
    assert remote.value.breaking_changes == in_process.value.breaking_changes
    assert [c.event for c in remote.value.breaking_changes] == ["AccountOpened"]
    assert "force" in remote.value.hint
    assert "force" in in_process.value.hint
    # A push that is accepted is the same value too.
    accepted = SCHEMA + "\nevent Closed { @account_id: String }\n"
    with Client("http://esruntime.local/v1", api_key=key, transport=transport) as client:
        assert client.validate_schema(accepted) == runtime.tenant().schema_registry.validate(
            accepted
        )
    runtime.close()
