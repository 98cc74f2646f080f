"""The async client against the live server: the same methods as the sync one, awaited."""

from __future__ import annotations

import asyncio

import pytest

from esruntime.client import (
    AsyncClient,
    CommandOk,
    CommandRejected,
    ForbiddenError,
    HandlerRejected,
    HandlerUploaded,
    NotFoundError,
    SchemaAccepted,
    SchemaRejected,
    SchemaRejectedError,
    UnauthorizedError,
)
from tests.client.servers import Bank
from tests.wasm.modules import counter_wasm
from tests.web.apps import BANK_SCHEMA


def test_every_method_of_the_async_client(bank: Bank) -> None:
    async def story() -> None:
        async with AsyncClient(bank.url, api_key=bank.key) as client:
            assert (await client.health()).healthy
            for account in ("alice", "bob"):
                opened = await client.execute(
                    "open_account", {"account_id": account, "owner": account}
                )
                assert opened.status == "ok"
            await client.execute("deposit", {"account_id": "alice", "amount": 80})
            moved = await client.execute(
                "transfer_funds",
                {"source_account": "alice", "dest_account": "bob", "amount": 50.0},
                idempotency_key="t-1",
            )
            assert isinstance(moved, CommandOk)
            assert moved.position == 5
            refused = await client.execute(
                "transfer_funds", {"source_account": "bob", "dest_account": "alice", "amount": 99}
            )
            assert refused == CommandRejected("insufficient_funds", "balance 50.0 < 99")

            event = await client.get_event(moved.event_ids[1])
            assert event.domain_ids == {"account_id": "bob", "sender_id": "alice"}
            page = await client.query_events(["SentFunds", "ReceivedFunds"], limit=1)
            assert [e.type for e in page.events] == ["SentFunds"]
            assert page.has_more
            every = [e.position async for e in client.iter_events(page_size=2)]
            assert every == [1, 2, 3, 4, 5]

            schema = await client.get_schema()
            assert schema.text == BANK_SCHEMA
            extended = BANK_SCHEMA + "\nevent Closed { @account_id: String }\n"
            assert isinstance(await client.validate_schema(extended), SchemaAccepted)
            assert isinstance(await client.push_schema(extended), SchemaAccepted)
            broken = extended.replace("event SentFunds {", "event Sent {")
            with pytest.raises(SchemaRejectedError) as caught:
                await client.push_schema(broken)
            assert isinstance(caught.value.result, SchemaRejected)
            assert isinstance(await client.validate_schema(broken), SchemaRejected)

            uploaded = await client.upload_handler("count", counter_wasm(), "1.0.0")
            assert isinstance(uploaded, HandlerUploaded)
            bad = await client.upload_handler("count", b"nope", "1.0.1")
            assert isinstance(bad, HandlerRejected)
            assert (await client.get_handler("count")).version == "1.0.0"
            await client.upload_handler("count", counter_wasm(esr_validate=None), "2.0.0")
            rolled = await client.make_current("count", "1.0.0")
            assert rolled == HandlerUploaded("count", "1.0.0", ("Counted",), ())
            details = await client.get_handler("count")
            assert [(v.version, v.current) for v in details.versions] == [
                ("1.0.0", True),
                ("2.0.0", False),
            ]
            assert "count" in {h.name for h in await client.list_handlers()}
            await client.delete_handler("count")
            with pytest.raises(NotFoundError):
                await client.get_handler("count")
            assert "esruntime" in await client.metrics()

    asyncio.run(story())


def test_async_errors_are_the_same_typed_errors(bank: Bank) -> None:
    async def story() -> None:
        async with AsyncClient(bank.url) as anonymous:
            with pytest.raises(UnauthorizedError):
                await anonymous.list_handlers()
        reader = AsyncClient(bank.url, api_key=bank.key_with("events.read"))
        try:
            with pytest.raises(ForbiddenError):
                await reader.push_schema(BANK_SCHEMA)
        finally:
            await reader.close()

    asyncio.run(story())


def test_the_async_client_reads_events_in_the_current_schema_unless_raw(bank: Bank) -> None:
    schema = BANK_SCHEMA.replace(
        "event Deposited {\n", 'event Deposited {\n  channel: String = "unknown"\n'
    )

    async def story() -> None:
        async with AsyncClient(bank.url, api_key=bank.key) as client:
            await client.execute("open_account", {"account_id": "a", "owner": "o"})
            await client.execute("deposit", {"account_id": "a", "amount": 5})
            assert (await client.push_schema(schema)).status == "ok"
            [deposit] = (await client.query_events(["Deposited"])).events
            assert deposit.data["channel"] == "unknown"
            assert (await client.get_event(deposit.id)).data == deposit.data
            [stored] = (await client.query_events(["Deposited"], raw=True)).events
            assert "channel" not in stored.data
            assert "channel" not in (await client.get_event(deposit.id, raw=True)).data
            assert [e.data async for e in client.iter_events(["Deposited"], raw=True)] == [
                stored.data
            ]

    asyncio.run(story())
