"""An httpx transport whose connections go only to addresses it has just checked.

The network backend resolves each host once, judges every address (:mod:`.addresses`) unless
host:port is allowlisted, and connects to a checked address itself: there is no second lookup a
rebinding DNS server could answer differently. The URL keeps its host name, so the ``Host``
header, TLS SNI and certificate verification all use the name. Every read, write and connect is
clamped to the request's deadline (a context variable), so a slow server cannot stretch a call
past its timeout one chunk at a time.
"""

from __future__ import annotations

import contextvars
import ssl
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

import httpcore
import httpx

from esruntime.errors import SdkError
from esruntime.scripts.sdk.addresses import check_host_name, check_resolved

__all__ = ["DEADLINE", "PinnedTransport", "Resolver"]

Resolver = Callable[[str, int], Sequence[str]]
"""host, port -> the addresses to connect to (IP literals), in order of preference."""

DEADLINE: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "esruntime_http_deadline", default=None
)
"""The ``time.monotonic()`` by which the current request must be done."""

# Lookups run here so that a resolver that hangs cannot hold a call past its deadline.
_LOOKUPS = ThreadPoolExecutor(max_workers=8, thread_name_prefix="esruntime-dns")


def _remaining(timeout: float | None, expired: type[Exception]) -> float | None:
    deadline = DEADLINE.get()
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise expired("the request's deadline has passed")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _remaining(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _remaining(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        wait = _remaining(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._inner.start_tls(ssl_context, server_hostname, wait))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _PinnedBackend(httpcore.SyncBackend):
    def __init__(self, resolver: Resolver, allowed: Callable[[str, int], bool]) -> None:
        self._resolver = resolver
        self._allowed = allowed

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        if self._allowed(host, port):
            addresses = self._resolve(host, port)
        else:
            check_host_name(host)
            addresses = check_resolved(host, self._resolve(host, port))
        failure: Exception = SdkError(f"HTTP request failed: host {host!r} has no address")
        for address in addresses:
            wait = _remaining(timeout, httpcore.ConnectTimeout)
            try:
                stream = super().connect_tcp(address, port, wait, local_address, socket_options)
            except httpcore.ConnectError as exc:
                failure = exc
                continue
            return _DeadlineStream(stream)
        raise failure

    def _resolve(self, host: str, port: int) -> Sequence[str]:
        lookup = _LOOKUPS.submit(contextvars.copy_context().run, self._resolver, host, port)
        try:
            return lookup.result(timeout=_remaining(None, httpcore.ConnectTimeout))
        except FutureTimeout:
            raise httpcore.ConnectTimeout(f"resolving {host!r} took too long") from None


class _ResponseStream(httpx.SyncByteStream):
    def __init__(self, stream: Iterable[bytes], response: httpcore.Response) -> None:
        self._stream = stream
        self._response = response

    def __iter__(self) -> Iterator[bytes]:
        yield from self._stream

    def close(self) -> None:
        self._response.close()


class PinnedTransport(httpx.BaseTransport):
    """Sends requests over connections to resolved, checked addresses (see the module doc).

    ``allowed(host, port)`` says whether that host may have non-public addresses. Errors are
    httpcore's own (timeouts, connect and protocol errors) or :class:`SdkError` for a refused
    host; the caller translates them.
    """

    def __init__(
        self,
        *,
        ssl_context: ssl.SSLContext,
        resolver: Resolver,
        allowed: Callable[[str, int], bool],
        max_connections: int = 100,
    ) -> None:
        self._pool = httpcore.ConnectionPool(
            ssl_context=ssl_context,
            max_connections=max_connections,
            max_keepalive_connections=20,
            keepalive_expiry=5.0,
            network_backend=_PinnedBackend(resolver, allowed),
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        assert isinstance(request.stream, httpx.SyncByteStream)
        core_request = httpcore.Request(
            method=request.method,
            url=httpcore.URL(
                scheme=request.url.raw_scheme,
                host=request.url.raw_host,
                port=request.url.port,
                target=request.url.raw_path,
            ),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        response = self._pool.handle_request(core_request)
        assert isinstance(response.stream, Iterable)
        return httpx.Response(
            status_code=response.status,
            headers=response.headers,
            stream=_ResponseStream(response.stream, response),
            extensions=response.extensions,
        )

    def close(self) -> None:
        self._pool.close()
