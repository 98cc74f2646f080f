"""Real servers for the client's tests: the FastAPI app under uvicorn on a free port, and a raw
socket server that answers whatever bytes a test scripts (to play a broken server)."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

import uvicorn
from attrs import define, field

from esruntime.events import Event, SequencedEvent
from esruntime.handlers import Decision, Emit, PythonHandler
from esruntime.protocols import EventStore
from esruntime.runtime import Runtime
from esruntime.web import Limits
from tests.commands.bank import Deposit, OpenAccount, TransferFunds
from tests.web.apps import BANK_SCHEMA, Broken

LIMITS = Limits(max_body_bytes=64 * 1024, max_module_bytes=256 * 1024)

ASGIApp = Callable[..., Any]


def contended(store: EventStore, conflicts: int | None) -> type[PythonHandler]:
    """A deposit handler whose first ``conflicts`` decisions (all, with None) are overtaken by
    a concurrent ``Deposited`` event of another writer, so that they conflict."""
    remaining = [conflicts]

    class Contended(PythonHandler):
        name = "contended"
        reads = {"Deposited": ["account_id"]}
        input_domain_ids = {"account_id": "account_id"}
        emits = ["Deposited"]

        def apply(self, event: SequencedEvent) -> None:
            pass

        def handle(self, command: dict[str, Any]) -> Decision:
            data = {"account_id": command["account_id"], "amount": 1.0}
            left = remaining[0]
            if left is None or left > 0:
                remaining[0] = None if left is None else left - 1
                store.append(Event("Deposited", data, [f"account_id:{command['account_id']}"]))
            return [Emit("Deposited", data)]

    return Contended


@define
class HeaderLog:
    """ASGI middleware keeping the headers of every request, to see what the client sent."""

    app: ASGIApp
    requests: list[tuple[str, str, dict[str, str]]] = field(factory=list)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
            self.requests.append((scope["method"], scope["path"], headers))
        await self.app(scope, receive, send)


class LiveServer:
    """An ASGI app served by uvicorn in a thread, on a port the OS picked; ``lifespan="on"``
    runs the app's startup and shutdown (the runtime's workers, with the adapter's app)."""

    def __init__(self, app: ASGIApp, *, lifespan: Literal["on", "off"] = "off") -> None:
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.socket.bind(("127.0.0.1", 0))
        self.port = self.socket.getsockname()[1]
        config = uvicorn.Config(app, log_level="warning", lifespan=lifespan)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.socket]}, daemon=True
        )

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 180  # a bound for a busy machine, not an expectation
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the test server did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(180)
        self.socket.close()


@define
class Bank:
    """A tenant of its own on the live server: the bank's schema and handlers, an admin key."""

    server: LiveServer
    runtime: Runtime
    log: HeaderLog
    tenant: str
    key: str

    @property
    def url(self) -> str:
        return f"{self.server.origin}/v1"

    def key_with(self, *permissions: str) -> str:
        return self.runtime.api_keys.create(self.tenant, "test", permissions).secret

    def store(self) -> EventStore:
        return self.runtime.tenant(self.tenant).store


def bank_runtime(database: Path) -> Runtime:
    """A runtime on a SQLite file, retrying nothing itself so that conflicts reach clients."""
    runtime = Runtime.from_url(f"sqlite:///{database}", max_retries=0)
    for handler in (OpenAccount, Deposit, TransferFunds, Broken):
        runtime.register(handler)
    return runtime


def new_bank(
    server: LiveServer, runtime: Runtime, log: HeaderLog, conflicts: int | None = None
) -> Bank:
    """A fresh tenant with the bank schema; its ``contended`` command conflicts ``conflicts``
    times (always with None)."""
    name = f"t-{uuid.uuid4().hex[:12]}"
    tenant = runtime.tenant(name)
    tenant.schema_registry.push(BANK_SCHEMA)
    tenant.register(contended(tenant.store, conflicts))
    key = runtime.api_keys.create(name, "admin", ["admin"]).secret
    return Bank(server, runtime, log, name, key)


@contextmanager
def serving(database: Path) -> Iterator[tuple[LiveServer, Runtime, HeaderLog]]:
    from esruntime.contrib.fastapi import create_app

    runtime = bank_runtime(database)
    log = HeaderLog(create_app(runtime, limits=LIMITS))
    server = LiveServer(log).start()
    try:
        yield server, runtime, log
    finally:
        server.stop()
        runtime.close()


# -- a server that answers raw bytes ----------------------------------------------------------


Script = Callable[[bytes], bytes | None]
"""Given the request's bytes, the raw answer (None: close without answering)."""


class RawServer:
    """A socket server that reads each request and answers what ``script`` returns, then closes
    the connection; ``hold`` keeps connections open without answering until :meth:`stop`."""

    def __init__(self, script: Script | None = None, *, hold: bool = False) -> None:
        self.script = script
        self.hold = hold
        self.released = threading.Event()
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(16)
        self.url = f"http://127.0.0.1:{self.socket.getsockname()[1]}/v1"
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.socket.accept()
            except OSError:
                return
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        with conn:
            request = _read_request(conn)
            if self.hold:
                self.released.wait(30)
                return
            assert self.script is not None
            answer = self.script(request)
            if answer is not None:
                conn.sendall(answer)

    def stop(self) -> None:
        self.released.set()
        with contextlib.suppress(OSError):
            self.socket.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked in accept()
        self.socket.close()
        self.thread.join(60)


def _read_request(conn: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n" + body


def http_answer(
    status: int, body: bytes, headers: dict[str, str] | None = None, *, length: int | None = None
) -> bytes:
    """An HTTP/1.1 answer; ``length`` declares another Content-Length than the body's."""
    lines = [f"HTTP/1.1 {status} Whatever"]
    sent = {"Content-Type": "application/json", "Connection": "close", **(headers or {})}
    sent["Content-Length"] = str(len(body) if length is None else length)
    lines += [f"{name}: {value}" for name, value in sent.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body
