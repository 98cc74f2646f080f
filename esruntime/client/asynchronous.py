"""The asynchronous client of the esruntime HTTP API: :class:`Client`'s methods, awaited.

::

    async with AsyncClient("http://127.0.0.1:8000/v1", api_key=key) as client:
        result = await client.execute("transfer_funds", {"source_account": "alice", ...})
        async for event in client.iter_events(["SentFunds"]):
            ...
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any, TypeVar

import httpx

from esruntime.client import calls
from esruntime.client.base import (
    Tally,
    answer_of,
    declared_too_large,
)
from esruntime.client.core import ClientCore
from esruntime.client.models import CommandConflict, CommandResponse, StoredEvent
from esruntime.client.protocol import Call, transport_error

__all__ = ["AsyncClient"]

T = TypeVar("T")


class AsyncClient(ClientCore[httpx.AsyncBaseTransport, httpx.AsyncClient]):
    """Calls the HTTP API of an esruntime server from asyncio, one coroutine per route.

    The settings are those of :class:`~esruntime.client.core.ClientCore`; ``transport`` is an
    httpx transport, e.g. ``httpx.ASGITransport(app=fastapi_app)`` to call an application in the
    same process.
    """

    def _open(self, transport: httpx.AsyncBaseTransport | None) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=self.settings.base_url,
            headers=self.settings.headers,
            timeout=self.settings.timeout,
            transport=transport,
        )

    async def _call(self, call: Call[T]) -> T:
        spec = call.request
        request = self._http.build_request(
            spec.method, spec.path, params=spec.params, headers=spec.headers, content=spec.content
        )
        what = f"{spec.method} {request.url.path}"
        limit = self.settings.max_response_bytes
        try:
            response = await self._http.send(request, stream=True)
            try:
                if declared_too_large(response, limit):
                    raise self.settings.too_large(what)
                chunks, size = [], 0
                async for chunk in response.aiter_bytes():
                    size += len(chunk)
                    if size > limit:
                        raise self.settings.too_large(what)
                    chunks.append(chunk)
            finally:
                await response.aclose()
        except httpx.HTTPError as exc:
            raise transport_error(exc, what, self.base_url) from exc
        return call.read(answer_of(response, b"".join(chunks), what))

    # -- commands ----------------------------------------------------------------------------

    async def execute(
        self,
        command: str,
        input: Any,
        *,
        idempotency_key: str | None = None,
        retries: int | None = None,
    ) -> CommandResponse:
        """Run ``command`` with ``input`` (a JSON object): ``CommandOk``, ``CommandRejected``,
        or ``CommandConflict`` once ``retries`` resends (default ``max_retries``) conflicted.

        Every resend carries the same ``X-Idempotency-Key``, so a command runs at most once
        even when an earlier attempt's answer was lost.
        """
        limit = self.settings.retries(retries)
        call = calls.execute(command, input, idempotency_key)
        tally = Tally()
        while True:
            result = tally.count(await self._call(call))
            if not isinstance(result, CommandConflict) or tally.attempts > limit:
                return result
            await asyncio.sleep(self.settings.delay(tally.attempts))

    # -- events ------------------------------------------------------------------------------

    async def iter_events(
        self,
        event_types: Sequence[str] | None = None,
        domain_ids: Mapping[str, Any] | None = None,
        *,
        after_position: int = 0,
        page_size: int = 100,
        raw: bool = False,
    ) -> AsyncIterator[StoredEvent]:
        """Every matching event after ``after_position``, page by page (``raw``: as in
        :meth:`query_events`)."""
        after = after_position
        while True:
            page = await self.query_events(
                event_types, domain_ids, after_position=after, limit=page_size, raw=raw
            )
            for event in page.events:
                yield event
            if not page.has_more:
                return
            after = calls.next_after(page, after)

    # -- lifecycle ---------------------------------------------------------------------------

    async def aclose(self) -> None:
        """Close the connections (and the transport)."""
        await self._http.aclose()

    async def close(self) -> None:
        """The same as :meth:`aclose`."""
        await self.aclose()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()
