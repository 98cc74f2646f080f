"""What both clients are made of: :class:`ClientCore`, their settings, connections and routes.

``Client`` and ``AsyncClient`` differ only in how they send a request and wait (their ``_call``,
the retries of ``execute``, the pages of ``iter_events``): the constructor, its checks and the
one-call methods (:class:`~esruntime.client.routes.Routes`) are written here once.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Generic, TypeVar

import httpx

from esruntime.client.base import DEFAULT_URL, MAX_RESPONSE_BYTES, Settings
from esruntime.client.routes import Routes

__all__ = ["ClientCore"]

TransportT = TypeVar("TransportT", httpx.BaseTransport, httpx.AsyncBaseTransport)
HttpT = TypeVar("HttpT", httpx.Client, httpx.AsyncClient)


class ClientCore(Routes, ABC, Generic[TransportT, HttpT]):
    """A client's checked settings and its httpx client (``_open`` makes the one it needs)."""

    def __init__(
        self,
        base_url: str = DEFAULT_URL,
        *,
        api_key: str | None = None,
        timeout: float | httpx.Timeout | None = 10.0,
        max_retries: int = 3,
        backoff: float = 0.05,
        max_backoff: float = 1.0,
        transport: TransportT | None = None,
        headers: Mapping[str, str] | None = None,
        max_response_bytes: int = MAX_RESPONSE_BYTES,
    ) -> None:
        """``base_url`` includes the API's prefix (``/v1``); ``api_key`` is sent as
        ``Authorization: Bearer``. ``timeout`` (seconds, or an ``httpx.Timeout``) bounds every
        request; ``max_retries`` bounds the resends of a conflicting command, waiting
        ``backoff`` seconds, doubling up to ``max_backoff``, with jitter. ``transport`` is an
        httpx transport of the client's kind. Answers larger than ``max_response_bytes`` are
        refused."""
        self.settings = Settings(
            base_url,
            api_key,
            timeout,
            max_retries,
            backoff,
            max_backoff,
            max_response_bytes,
            headers,
        )
        self._http: HttpT = self._open(transport)

    @abstractmethod
    def _open(self, transport: TransportT | None) -> HttpT:
        """The httpx client that sends this client's requests (sync or async: each client's
        own)."""

    @property
    def base_url(self) -> str:
        return str(self.settings.base_url)
