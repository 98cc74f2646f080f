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
    DEFAULT_URL,
    MAX_RESPONSE_BYTES,
    Settings,
    Tally,
    answer_of,
    declared_too_large,
)
from esruntime.client.calls import scripts as script_calls
from esruntime.client.models import (
    CommandConflict,
    CommandResponse,
    StoredEvent,
)
from esruntime.client.protocol import Call, transport_error
from esruntime.client.routes import Route

__all__ = ["AsyncClient"]

T = TypeVar("T")


class AsyncClient:
    """Calls the HTTP API of an esruntime server from asyncio, one coroutine per route.

    ``base_url`` includes the API's prefix (``/v1``); ``api_key`` is sent as ``Authorization:
    Bearer``. ``timeout`` (seconds, or an ``httpx.Timeout``) bounds every request;
    ``max_retries`` bounds the resends of a conflicting command, waiting ``backoff`` seconds,
    doubling up to ``max_backoff``, with jitter. ``transport`` is an httpx transport, e.g.
    ``httpx.ASGITransport(app=fastapi_app)`` to call an application in the same process.
    Answers larger than ``max_response_bytes`` are refused.
    """

    def __init__(
        self,
        base_url: str = DEFAULT_URL,
        *,
        api_key: str | None = None,
        timeout: float | httpx.Timeout | None = 10.0,
        max_retries: int = 3,
        backoff: float = 0.05,
        max_backoff: float = 1.0,
        transport: httpx.AsyncBaseTransport | None = None,
        headers: Mapping[str, str] | None = None,
        max_response_bytes: int = MAX_RESPONSE_BYTES,
    ) -> None:
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
        self._http = httpx.AsyncClient(
            base_url=self.settings.base_url,
            headers=self.settings.headers,
            timeout=self.settings.timeout,
            transport=transport,
        )

    @property
    def base_url(self) -> str:
        return str(self.settings.base_url)

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

    # -- schema ------------------------------------------------------------------------------

    get_schema = Route(calls.get_schema)
    push_schema = Route(calls.push_schema)
    validate_schema = Route(calls.validate_schema)

    # -- handlers ----------------------------------------------------------------------------

    list_handlers = Route(calls.list_handlers)
    get_handler = Route(calls.get_handler)
    upload_handler = Route(calls.upload_handler)
    make_current = Route(calls.make_current)
    delete_handler = Route(calls.delete_handler)

    # -- events ------------------------------------------------------------------------------

    query_events = Route(calls.query_events)

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

    get_event = Route(calls.get_event)

    # -- health and metrics ------------------------------------------------------------------

    health = Route(calls.health)
    metrics = Route(calls.metrics)

    # -- scripts -----------------------------------------------------------------------------

    list_scripts = Route(script_calls.list_scripts)
    create_script = Route(script_calls.create_script)
    get_script = Route(script_calls.get_script)
    update_script = Route(script_calls.update_script)
    delete_script = Route(script_calls.delete_script)
    list_script_versions = Route(script_calls.list_script_versions)
    get_script_version = Route(script_calls.get_script_version)
    rollback_script = Route(script_calls.rollback_script)
    execute_script = Route(script_calls.execute_script)
    list_executions = Route(script_calls.list_executions)
    get_execution = Route(script_calls.get_execution)

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
