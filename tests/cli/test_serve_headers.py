"""``esruntime serve`` bounds what a request head may cost: its size (431) and the time it takes
to arrive (408), while every other client is served as usual. Raw sockets play the attackers."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from esruntime.cli import serve as serve_command
from esruntime.contrib import uvicorn as bounded
from tests.cli.processes import Served, environment, serve

PATIENCE = 60.0  # seconds a socket waits for an answer: generous, a busy machine is slow


@contextmanager
def served(tmp_path: Path, *args: str, **env: str) -> Iterator[Served]:
    server = serve("--api-key", "a-long-configured-secret", *args, cwd=tmp_path,
                   env=environment(**env))  # fmt: skip
    try:
        yield server
    finally:
        server.stop()


def connect(url: str) -> socket.socket:
    parts = urlsplit(url)
    assert parts.hostname is not None
    assert parts.port is not None
    return socket.create_connection((parts.hostname, parts.port), timeout=PATIENCE)


def read_response(conn: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """The status, headers and body of the one response the server sends before closing."""
    received = b""
    try:
        while chunk := conn.recv(65536):
            received += chunk
    except ConnectionResetError:  # the server closed with bytes of ours unread: after answering
        pass
    head, _, body = received.partition(b"\r\n\r\n")
    status_line, *lines = head.decode().split("\r\n")
    headers = {name.lower(): value for name, value in (line.split(": ", 1) for line in lines)}
    return int(status_line.split()[1]), headers, body


def health(url: str) -> int:
    return httpx.get(url + "/health", timeout=PATIENCE).status_code


def test_a_head_over_the_limit_is_431_and_the_rest_is_not_read(tmp_path: Path) -> None:
    with served(tmp_path, "--header-timeout", "600") as server:
        # A slow client holds a connection with half a head...
        slow = connect(server.url)
        slow.sendall(b"GET /v1/health HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"s" * 8000)
        # ...and a head just over the limit gets the API's error body.
        big = connect(server.url)
        big.sendall(b"GET /v1/health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 17_000)
        status, headers, body = read_response(big)
        big.close()
        assert (status, headers["content-type"], headers["connection"]) == (
            431,
            "application/json",
            "close",
        )
        error = json.loads(body)["error"]
        assert error["code"] == "headers_too_large"
        assert error["message"] == ("The request line and headers exceed the limit of 16,384 bytes")
        assert error["request_id"] == headers["x-request-id"]

        # A 100 MB header: the server stops reading it after the limit.
        huge = connect(server.url)
        huge.sendall(b"GET /v1/health HTTP/1.1\r\nHost: x\r\nX-Huge: ")
        sent, chunk = 0, b"h" * 65536
        try:
            while sent < 100 * 1024 * 1024:
                sent += huge.send(chunk)
        except OSError:
            pass  # the server closed the connection: sending fails
        assert sent < 100 * 1024 * 1024
        huge.close()

        # A request, then a huge head in the same packets: the first is answered, then 431.
        pipelined = connect(server.url)
        first = b"GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n"
        pipelined.sendall(first + b"GET /v1/health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"p" * 99_000)
        status, headers, rest = read_response(pipelined)
        assert status == 200
        assert rest[int(headers["content-length"]) :].startswith(b"HTTP/1.1 431 ")
        pipelined.close()

        # Others are served meanwhile, and the slow client is still connected.
        assert health(server.url) == 200
        headers_12k = {f"x-h{i}": "v" * 1000 for i in range(12)}
        near = httpx.get(server.url + "/health", headers=headers_12k, timeout=PATIENCE)
        assert near.status_code == 200
        slow.sendall(b"\r\n\r\n")
        status, _, _ = read_response_once(slow)
        assert status == 200
        slow.close()
    assert "Traceback" not in server.errors


def read_response_once(conn: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """The first response on a kept-alive connection (read up to its Content-Length)."""
    received = b""
    while b"\r\n\r\n" not in received:
        chunk = conn.recv(65536)
        assert chunk, "the server closed the connection"
        received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    status_line, *lines = head.decode().split("\r\n")
    headers = {name.lower(): value for name, value in (line.split(": ", 1) for line in lines)}
    while len(body) < int(headers["content-length"]):
        body += conn.recv(65536)
    return int(status_line.split()[1]), headers, body


def test_a_head_that_arrives_too_slowly_is_408(tmp_path: Path) -> None:
    with served(tmp_path, "--header-timeout", "1", ESRUNTIME_MAX_HEADER_BYTES="4096") as server:
        dribbling = connect(server.url)
        stop = threading.Event()

        def dribble() -> None:  # a byte every 0.1 s: no gap is long, the whole head is
            for byte in b"GET /v1/health HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"s" * 10_000:
                if stop.wait(0.1):
                    return
                try:
                    dribbling.send(bytes([byte]))
                except OSError:
                    return

        thread = threading.Thread(target=dribble, daemon=True)
        thread.start()
        idle = connect(server.url)  # sends nothing at all
        status, _, body = read_response(dribbling)
        stop.set()
        thread.join()
        dribbling.close()
        assert status == 408
        error = json.loads(body)["error"]
        assert (error["code"], error["message"]) == (
            "request_timeout",
            "The request line and headers took longer than 1 s to arrive",
        )
        assert idle.recv(1) == b""  # closed without an answer: nothing was asked
        idle.close()

        # A client sending its head at once is served; the size limit came from the environment.
        with httpx.Client(base_url=server.url, timeout=PATIENCE) as client:
            assert client.get("/health").status_code == 200
            over = client.get("/health", headers={"x-big": "b" * 4096})
            assert over.status_code == 431
            assert over.json()["error"]["message"].endswith("the limit of 4,096 bytes")


def test_the_bounds_are_checked_at_start(tmp_path: Path) -> None:
    from tests.cli.processes import run

    small = run("serve", "--max-header-bytes", "100", cwd=tmp_path)
    assert small.returncode != 0
    assert "--max-header-bytes must be at least 1024, got 100" in small.stderr
    zero = run("serve", "--header-timeout", "0", cwd=tmp_path)
    assert zero.returncode != 0
    assert "--header-timeout must be positive, got 0.0" in zero.stderr
    assert serve_command.DEFAULT_MAX_HEADER_BYTES == bounded.DEFAULT_MAX_HEADER_BYTES
    assert serve_command.DEFAULT_HEADER_TIMEOUT == bounded.DEFAULT_HEADER_TIMEOUT
