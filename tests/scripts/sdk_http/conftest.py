"""A real HTTP server on loopback for the sdk.http tests, and clients allowed to reach it.

Routes: ``/echo`` (the request as JSON), ``/text``, ``/status/<n>``, ``/redirect?to=&status=``,
``/chain/<n>`` (n redirects then the echo), ``/cookie`` (sets one), ``/slow?ms=``,
``/drip?ms=`` (a byte every 50 ms), ``/big?bytes=&chunked=``, ``/gzip?bytes=`` (a compressed
body of that decompressed size).
Every request is recorded in ``seen``, so tests can show that a refused call reached nothing.
"""

from __future__ import annotations

import gzip
import json
import ssl
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from esruntime.scripts.sdk.http import HttpPolicy, ScriptHttpClient


class LoopbackServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.seen: list[dict[str, Any]] = []
        self.stopping = threading.Event()
        self.sni: list[str | None] = []

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError | ssl.SSLError):
            super().handle_error(request, client_address)  # a client gone is expected

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def use_tls(self, cert: str, key: str) -> None:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert, key)
        context.sni_callback = lambda _sock, name, _ctx: self.sni.append(name)
        self.socket = context.wrap_socket(self.socket, server_side=True)


class _Handler(BaseHTTPRequestHandler):
    server: LoopbackServer
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _any(self) -> None:
        split = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(split.query).items()}
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8", "replace") if length else ""
        record = {
            "method": self.command,
            "path": split.path,
            "query": parse_qs(split.query),
            "headers": {k.lower(): v for k, v in self.headers.items()},
            "body": body,
        }
        self.server.seen.append(record)
        parts = split.path.strip("/").split("/")
        route = getattr(self, f"route_{parts[0]}", None)
        if route is None:
            self.send(404, b"no such route", "text/plain")
        else:
            route(record, query, parts[1:])

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _any

    def send(self, status: int, body: bytes, kind: str, **headers: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()
        self.wfile.write(body)

    def route_echo(self, record: dict[str, Any], query: dict[str, str], rest: list[str]) -> None:
        self.send(200, json.dumps(record).encode(), "application/json", X_Echo="yes")

    def route_text(self, record: dict[str, Any], query: dict[str, str], rest: list[str]) -> None:
        self.send(200, "héllo, world".encode("latin-1"), "text/plain; charset=latin-1")

    def route_status(self, record: dict[str, Any], query: dict[str, str], rest: list[str]) -> None:
        self.send(int(rest[0]), b'{"error": "as asked"}', "application/problem+json")

    def route_redirect(
        self, record: dict[str, Any], query: dict[str, str], rest: list[str]
    ) -> None:
        self.send(int(query.get("status", "302")), b"", "text/plain", Location=query["to"])

    def route_cookie(self, record: dict[str, Any], query: dict[str, str], rest: list[str]) -> None:
        self.send(200, b"", "text/plain", Set_Cookie="session=secret; Path=/")

    def route_chain(self, record: dict[str, Any], query: dict[str, str], rest: list[str]) -> None:
        left = int(rest[0])
        target = f"/chain/{left - 1}" if left > 0 else "/echo"
        self.send(302, b"", "text/plain", Location=target)

    def route_slow(self, record: dict[str, Any], query: dict[str, str], rest: list[str]) -> None:
        self.server.stopping.wait(int(query["ms"]) / 1000)
        self.send(200, b"finally", "text/plain")

    def route_drip(self, record: dict[str, Any], query: dict[str, str], rest: list[str]) -> None:
        count = int(query["ms"]) // 50
        self.send_response(200)
        self.send_header("Content-Length", str(count))
        self.end_headers()
        for _ in range(count):
            if self.server.stopping.wait(0.05):
                return
            self.wfile.write(b".")
            self.wfile.flush()

    def route_big(self, record: dict[str, Any], query: dict[str, str], rest: list[str]) -> None:
        size = int(query["bytes"])
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        if query.get("chunked"):
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(size))
        self.end_headers()
        block = b"x" * 65536
        for start in range(0, size, len(block)):
            piece = block[: min(len(block), size - start)]
            if query.get("chunked"):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            else:
                self.wfile.write(piece)
        if query.get("chunked"):
            self.wfile.write(b"0\r\n\r\n")

    def route_gzip(self, record: dict[str, Any], query: dict[str, str], rest: list[str]) -> None:
        body = gzip.compress(b"z" * int(query["bytes"]))
        self.send(200, body, "text/plain", Content_Encoding="gzip")


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    server = LoopbackServer()
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    yield server
    server.stopping.set()
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture
def client(server: LoopbackServer) -> Iterator[ScriptHttpClient]:
    """A client whose policy allowlists exactly the loopback server's host and port."""
    with ScriptHttpClient(HttpPolicy(allowlist=[f"127.0.0.1:{server.port}"])) as client:
        yield client
