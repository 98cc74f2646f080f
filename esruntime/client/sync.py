"""The synchronous client of the esruntime HTTP API.

::

    with Client("http://127.0.0.1:8000/v1", api_key=key) as client:
        result = client.execute("transfer_funds", {"source_account": "alice", ...})
        if result.status == "ok":
            print(result.position, result.event_ids)
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping, Sequence
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

__all__ = ["Client"]

T = TypeVar("T")


class Client(ClientCore[httpx.BaseTransport, httpx.Client]):
    """Calls the HTTP API of an esruntime server, one method per route.

    The settings are those of :class:`~esruntime.client.core.ClientCore`; ``transport`` is an
    httpx transport, e.g. ``httpx.WSGITransport(app=flask_app)`` to call an application in the
    same process.
    """

    def _open(self, transport: httpx.BaseTransport | None) -> httpx.Client:
        return httpx.Client(
            base_url=self.settings.base_url,
            headers=self.settings.headers,
            timeout=self.settings.timeout,
            transport=transport,
        )

    def _call(self, call: Call[T]) -> T:
        spec = call.request
        request = self._http.build_request(
            spec.method, spec.path, params=spec.params, headers=spec.headers, content=spec.content
        )
        what = f"{spec.method} {request.url.path}"
        limit = self.settings.max_response_bytes
        try:
            response = self._http.send(request, stream=True)
            try:
                if declared_too_large(response, limit):
                    raise self.settings.too_large(what)
                chunks, size = [], 0
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > limit:
                        raise self.settings.too_large(what)
                    chunks.append(chunk)
            finally:
                response.close()
        except httpx.HTTPError as exc:
            raise transport_error(exc, what, self.base_url) from exc
        return call.read(answer_of(response, b"".join(chunks), what))

    def execute(
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
            result = tally.count(self._call(call))
            if not isinstance(result, CommandConflict) or tally.attempts > limit:
                return result
            time.sleep(self.settings.delay(tally.attempts))

    def iter_events(
        self,
        event_types: Sequence[str] | None = None,
        domain_ids: Mapping[str, Any] | None = None,
        *,
        after_position: int = 0,
        page_size: int = 100,
        raw: bool = False,
    ) -> Iterator[StoredEvent]:
        """Every matching event after ``after_position``, page by page (``raw``: as in
        :meth:`query_events`)."""
        after = after_position
        while True:
            page = self.query_events(
                event_types, domain_ids, after_position=after, limit=page_size, raw=raw
            )
            yield from page.events
            if not page.has_more:
                return
            after = calls.next_after(page, after)

    def close(self) -> None:
        """Close the connections (and the transport)."""
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
