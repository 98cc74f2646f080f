"""The clients' dead-letter methods, sync and async, against real servers (uvicorn serving the
FastAPI adapter, Werkzeug serving the Flask one) whose runtime runs the event triggers."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from esruntime.client import (
    AsyncClient,
    Client,
    DeadLetterInfo,
    ForbiddenError,
    NotFoundError,
    RequestConflictError,
)
from esruntime.errors import InvalidCommandInput
from esruntime.runtime import Runtime
from tests.web.apps import bank_runtime
from tests.web.letters import TRIGGERS, dead_letters_of, failing_script
from tests.web.test_servers import serve_uvicorn, serve_werkzeug

Served = tuple[str, Runtime, dict[str, str]]


@pytest.fixture(params=["uvicorn", "werkzeug"])
def served(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Served]:
    runtime, keys = bank_runtime(f"sqlite:///{tmp_path}/letters.db", **TRIGGERS)
    runtime.start()
    if request.param == "uvicorn":
        from esruntime.contrib.fastapi import create_app as create_fastapi_app

        server = serve_uvicorn(create_fastapi_app(runtime))
    else:
        from esruntime.contrib.flask import create_app as create_flask_app

        server = serve_werkzeug(create_flask_app(runtime))
    try:
        with server as origin:
            yield origin + "/v1", runtime, keys
    finally:
        runtime.close()


def test_every_dead_letter_method_of_the_sync_client(served: Served) -> None:
    url, runtime, keys = served
    script = failing_script(runtime, "acme", 3)
    letters = dead_letters_of(runtime, "acme", 3)
    with Client(url, api_key=keys["acme"]) as client:
        page = client.list_dead_letters()
        assert [x.id for x in page.dead_letters] == [x.id for x in letters]
        assert (page.total, page.offset, page.limit) == (3, 0, 20)
        first = page.dead_letters[0]
        assert isinstance(first, DeadLetterInfo)
        assert (first.script_id, first.event_type, first.attempts) == (
            script.id,
            "order.created",
            4,
        )
        assert "Error: no 0" in first.error
        assert client.get_dead_letter(first.id) == first
        assert client.list_dead_letters(script_id=script.id, offset=2, limit=1).total == 3
        assert client.list_dead_letters(script_id="someone-else").dead_letters == ()

        failed = client.retry_dead_letter(first.id)
        assert failed.execution.status == "failed"
        assert failed.execution.trigger["eventPayload"] == {"n": 0}
        assert failed.dead_letter is not None
        assert failed.dead_letter.attempts == 5

        runtime.scripts.update(script.id, source="return 'ok';", tenant="acme")
        done = client.retry_dead_letter(first.id)
        assert (done.execution.status, done.execution.output, done.dead_letter) == (
            "completed",
            "ok",
            None,
        )
        with pytest.raises(NotFoundError):
            client.get_dead_letter(first.id)
        client.discard_dead_letter(letters[1].id)
        with pytest.raises(NotFoundError):
            client.discard_dead_letter(letters[1].id)
        assert [x.id for x in client.list_dead_letters().dead_letters] == [letters[2].id]


def test_every_dead_letter_method_of_the_async_client(served: Served) -> None:
    url, runtime, keys = served
    script = failing_script(runtime, "acme", 2)
    first, second = dead_letters_of(runtime, "acme", 2)

    async def story() -> None:
        async with AsyncClient(url, api_key=keys["acme"]) as client:
            page = await client.list_dead_letters(script_id=script.id, limit=1)
            assert ([x.id for x in page.dead_letters], page.total) == ([first.id], 2)
            assert (await client.get_dead_letter(second.id)).attempts == 4
            again = await client.retry_dead_letter(first.id)
            assert again.dead_letter is not None
            assert again.dead_letter.attempts == 5
            await client.discard_dead_letter(first.id)
            await client.discard_dead_letter(second.id)
            assert (await client.list_dead_letters()).total == 0
            with pytest.raises(NotFoundError):
                await client.retry_dead_letter(first.id)

    asyncio.run(story())


def test_refusals_raise(served: Served) -> None:
    url, runtime, keys = served
    script = failing_script(runtime, "acme", 1)
    (letter,) = dead_letters_of(runtime, "acme", 1)
    with Client(url, api_key=keys["acme:scripts.read"]) as reader:
        assert reader.list_dead_letters().total == 1
        with pytest.raises(ForbiddenError):
            reader.retry_dead_letter(letter.id)
        with pytest.raises(ForbiddenError):
            reader.discard_dead_letter(letter.id)
    with Client(url, api_key=keys["globex"]) as other:
        assert other.list_dead_letters().total == 0
        with pytest.raises(NotFoundError):
            other.get_dead_letter(letter.id)
        with pytest.raises(NotFoundError):
            other.retry_dead_letter(letter.id)
    runtime.scripts.update(script.id, status="archived", tenant="acme")
    with Client(url, api_key=keys["acme"]) as client, pytest.raises(RequestConflictError):
        client.retry_dead_letter(letter.id)
    assert runtime.scripts.dead_letter(letter.id, tenant="acme").attempts == 4


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda c: c.list_dead_letters(offset=-1), "offset"),
        (lambda c: c.list_dead_letters(limit=0), "limit"),
        (lambda c: c.list_dead_letters(limit=True), "limit"),
        (lambda c: c.list_dead_letters(script_id=5), "script_id"),
        (lambda c: c.get_dead_letter(""), "dead letter id"),
        (lambda c: c.retry_dead_letter("../x"), "has no '/'"),
        (lambda c: c.discard_dead_letter(".."), "has no '/'"),
    ],
)
def test_values_that_cannot_be_sent_are_refused_locally(call: object, message: str) -> None:
    client = Client("http://127.0.0.1:9/v1", api_key="unused")
    with client, pytest.raises(InvalidCommandInput, match=message):
        call(client)  # type: ignore[operator]
