"""The bounded uvicorn protocol sends a response of known length in one write: every kind of
response still arrives whole, and a streamed one's head does not wait for its body."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
import uvicorn
from fastapi import FastAPI, Response
from fastapi.responses import StreamingResponse

from esruntime.contrib.uvicorn import bounded_http_protocol

PATIENCE = 60.0  # seconds: an upper bound for a busy machine; each wait ends at its event
release = threading.Event()


def make_app() -> FastAPI:
    app = FastAPI()

    @app.api_route("/plain", methods=["GET", "HEAD"])
    async def plain() -> Response:
        return Response(b"hello", media_type="text/plain")

    @app.get("/empty")
    async def empty() -> Response:
        return Response(status_code=204)

    @app.get("/close")
    async def close() -> Response:
        return Response(b"bye", headers={"Connection": "close"})

    @app.get("/stream")
    async def stream() -> StreamingResponse:
        async def body() -> AsyncIterator[bytes]:
            released = await asyncio.to_thread(release.wait, PATIENCE)
            yield b"released" if released else b"never released"

        return StreamingResponse(body(), media_type="text/plain")

    return app


@pytest.fixture
def base_url() -> Iterator[str]:
    config = uvicorn.Config(
        make_app(), host="127.0.0.1", port=0, log_level="warning", lifespan="off",
        http=bounded_http_protocol(),
    )  # fmt: skip
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        thread.join(0.01)
        assert thread.is_alive(), "uvicorn did not start"
    yield f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    server.should_exit = True
    thread.join()


def test_responses_of_every_kind_arrive_whole_on_one_connection(base_url: str) -> None:
    with httpx.Client(base_url=base_url, timeout=PATIENCE) as client:
        for _ in range(3):
            plain = client.get("/plain")
            assert (plain.status_code, plain.content) == (200, b"hello")
            assert plain.headers["content-length"] == "5"
            empty = client.get("/empty")
            assert (empty.status_code, empty.content) == (204, b"")
            head = client.head("/plain")
            assert (head.status_code, head.content) == (200, b"")
            assert head.headers["content-length"] == "5"
        closing = client.get("/close")
        assert (closing.status_code, closing.content) == (200, b"bye")
        assert client.get("/plain").content == b"hello"  # on a new connection


def test_a_streamed_responses_head_arrives_before_its_body_exists(base_url: str) -> None:
    release.clear()
    with (
        httpx.Client(base_url=base_url, timeout=PATIENCE) as client,
        client.stream("GET", "/stream") as streamed,  # entered once the head is here
    ):
        assert streamed.status_code == 200
        assert streamed.headers["transfer-encoding"] == "chunked"
        release.set()
        assert streamed.read() == b"released"
