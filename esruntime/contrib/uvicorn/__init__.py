"""Request-head limits for uvicorn: how many bytes, and how long, a client may take to send the
request line and headers (``pip install 'esruntime[fastapi]'``)::

    protocol = bounded_http_protocol(max_header_bytes=16 * 1024, header_timeout=10.0)
    uvicorn.run(app, http=protocol)

uvicorn's httptools protocol reads a head of any size (httptools grows a header by copying it
for every packet, so a 100 MB header costs seconds of CPU while every other client waits) and
gives a client unlimited time to send it. The class made here is uvicorn's own protocol with
two checks in front of its parser: the bytes of each head are counted before the parser sees
them, and past the bound the client gets a 431 and the connection is closed; a timer started
when the connection opens, or at the first byte of a later request, answers 408 and closes the
connection when the head is not complete in time. Bodies are left to the API's own limits.

It also sends a response whose length is known in one write rather than two (uvicorn writes
the head, then the body): under ``wrk`` the head's own write was a sixth of the server's time
holding the GIL, each write a system call that wakes the client (``benchmarks/README.md``).

A subclass rather than uvicorn's h11 protocol (whose ``h11_max_incomplete_event_size`` bounds a
head): h11 parses in Python, several times slower for every request, and bounds no time either.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any, cast

try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
except ImportError as exc:  # pragma: no cover - depends on the installed extras
    raise ImportError(
        "esruntime.contrib.uvicorn needs uvicorn and httptools: pip install 'esruntime[fastapi]'"
    ) from exc

from esruntime.web.messages import new_request_id

__all__ = [
    "DEFAULT_HEADER_TIMEOUT",
    "DEFAULT_MAX_HEADER_BYTES",
    "BoundedHttpToolsProtocol",
    "bounded_http_protocol",
]

DEFAULT_MAX_HEADER_BYTES = 16 * 1024
DEFAULT_HEADER_TIMEOUT = 10.0

_REASONS = {408: b"Request Timeout", 431: b"Request Header Fields Too Large"}


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, refusing a request head larger than ``max_header_bytes``
    (431) or slower than ``header_timeout`` seconds (408). :func:`bounded_http_protocol`
    makes a subclass with other bounds."""

    max_header_bytes: int = DEFAULT_MAX_HEADER_BYTES
    header_timeout: float = DEFAULT_HEADER_TIMEOUT

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_bytes: int | None = 0  # None while no head is being read
        self._heads_read = 0
        self._head_timer: asyncio.TimerHandle | None = None
        self._refusal: tuple[int, str, str] | None = None  # sent after the response in progress

    # -- uvicorn's callbacks -----------------------------------------------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_head_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        while data and self._refusal is None and not self.transport.is_closing():
            if self._head_bytes is None:  # a body: the API's limits apply
                super().data_received(data)
                return
            if self._head_bytes == 0:
                self._arm_head_timer()
            room = self.max_header_bytes - self._head_bytes
            part, data = data[:room], data[room:]
            self._head_bytes += len(part)
            heads = self._heads_read
            super().data_received(part)
            # Bytes after a request that ended within ``part`` begin the next head uncounted:
            # a pipelining client's head may reach twice the bound, never more.
            if data and self._heads_read == heads and not self.transport.is_closing():
                self._refuse(431, "headers_too_large",
                             f"The request line and headers exceed the limit of "
                             f"{self.max_header_bytes:,} bytes")  # fmt: skip
                return

    def on_headers_complete(self) -> None:
        self._head_bytes = None
        self._heads_read += 1
        self._cancel_head_timer()
        super().on_headers_complete()
        if self.cycle is not None and self.cycle.scope["method"] != "HEAD":
            self.cycle.transport = cast(
                asyncio.Transport, _HeadWithBody(self.transport, self.cycle)
            )

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._head_bytes = 0  # what comes next is the next request's head

    def on_response_complete(self) -> None:
        if self.cycle is not None and isinstance(self.cycle.transport, _HeadWithBody):
            self.cycle.transport.flush()
        super().on_response_complete()
        if self._refusal is not None and not self.transport.is_closing():
            self._send_refusal(*self._refusal)

    # -- the head's timer ----------------------------------------------------------------------

    def _arm_head_timer(self) -> None:
        if self._head_timer is None:
            self._head_timer = self.loop.call_later(self.header_timeout, self._head_timed_out)

    def _cancel_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self._head_bytes is None or self.transport.is_closing():
            return
        if self.cycle is not None and not self.cycle.response_complete:
            self._arm_head_timer()  # a pipelined head: its time starts with its turn
            return
        if self._head_bytes == 0:  # idle: nothing was asked, nothing to answer
            self.transport.close()
            return
        self._refuse(408, "request_timeout",
                     f"The request line and headers took longer than {self.header_timeout:g} s "
                     "to arrive")  # fmt: skip

    # -- refusing ------------------------------------------------------------------------------

    def _refuse(self, status: int, code: str, message: str) -> None:
        """Answer ``status`` with the API's error body and close the connection; after the
        response in progress, when an earlier request of the connection is being answered."""
        self._cancel_head_timer()
        self.logger.warning("%s: %s", code, message)
        if self.cycle is not None and not self.cycle.response_complete:
            self._refusal = (status, code, message)
            self.flow.pause_reading()
            return
        self._send_refusal(status, code, message)

    def _send_refusal(self, status: int, code: str, message: str) -> None:
        self._unset_keepalive_if_required()
        request_id = new_request_id()
        body = json.dumps(
            {"error": {"code": code, "message": message, "request_id": request_id}}
        ).encode()
        head = [b"HTTP/1.1 %d %s\r\n" % (status, _REASONS[status])]
        head.extend(
            name + b": " + value + b"\r\n" for name, value in self.server_state.default_headers
        )
        head.append(
            b"content-type: application/json\r\ncontent-length: %d\r\n"
            b"x-request-id: %s\r\nconnection: close\r\n\r\n" % (len(body), request_id.encode())
        )
        self.transport.write(b"".join(head) + body)
        self.transport.close()


class _HeadWithBody:
    """One response's transport: the head of a response whose length is known waits for the
    body's first write and leaves with it; a chunked response's head leaves at once (its body
    may be long in coming). Anything else is the connection's transport's."""

    def __init__(self, transport: asyncio.Transport, cycle: Any) -> None:
        self._transport = transport
        self._cycle = cycle
        self._head: bytes | None = None
        self._started = False

    def write(self, data: bytes) -> None:
        if not self._started:
            self._started = True
            if self._cycle.chunked_encoding is False:
                self._head = data
                return
        if self._head is not None:
            data, self._head = self._head + data, None
        self._transport.write(data)

    def flush(self) -> None:
        if self._head is not None:
            head, self._head = self._head, None
            self._transport.write(head)

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


def bounded_http_protocol(
    max_header_bytes: int = DEFAULT_MAX_HEADER_BYTES,
    header_timeout: float = DEFAULT_HEADER_TIMEOUT,
) -> type[BoundedHttpToolsProtocol]:
    """A protocol class for ``uvicorn.Config(http=...)`` with these bounds."""
    if max_header_bytes < 1024:
        raise ValueError(f"max_header_bytes must be at least 1024, got {max_header_bytes}")
    if not header_timeout > 0:
        raise ValueError(f"header_timeout must be positive, got {header_timeout}")
    return type(
        "BoundedHttpToolsProtocol",
        (BoundedHttpToolsProtocol,),
        {"max_header_bytes": max_header_bytes, "header_timeout": header_timeout},
    )
