"""``POST /events/query`` and ``GET /events/{id}``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from esruntime.client.calls.bodies import JSON, json_body, segment
from esruntime.client.models import (
    EventPage,
    StoredEvent,
)
from esruntime.client.protocol import Answer, Call, Request, expect
from esruntime.client.reading import Reader
from esruntime.errors import InvalidQueryError, MalformedResponseError

__all__ = ["get_event", "next_after", "query_events"]


def query_events(
    event_types: Sequence[str] | None,
    domain_ids: Mapping[str, Any] | None,
    after_position: int,
    limit: int,
    raw: bool = False,
) -> Call[EventPage]:
    """``POST /events/query``: events of any of ``event_types`` whose domain ids take one of
    the given values, after ``after_position``, at most ``limit`` (``?raw=true``: their data as
    stored, not upcast to the current schema)."""
    body: dict[str, Any] = {"after_position": after_position, "limit": limit}
    if event_types is not None:
        if isinstance(event_types, str):
            raise InvalidQueryError(f"event_types is a list of names, not {event_types!r}")
        body["event_types"] = list(event_types)
    if domain_ids is not None:
        body["domain_ids"] = {
            name: list(value) if isinstance(value, list | tuple) else value
            for name, value in domain_ids.items()
        }
    content = json_body(body, "the query")
    headers = (("Content-Type", JSON),)
    return Call(Request("POST", "events/query", _raw(raw), headers, content), _read_page)


def _raw(raw: bool) -> tuple[tuple[str, str], ...]:
    return (("raw", "true"),) if raw else ()


def _event(read: Reader, *, metadata: bool = False) -> StoredEvent:
    return StoredEvent(
        read.string("id"),
        read.string("type"),
        read.any("data"),
        read.mapping("domain_ids"),
        read.integer("position"),
        read.time("timestamp"),
        read.mapping("metadata") if metadata and read.has("metadata") else None,
    )


def _read_page(answer: Answer) -> EventPage:
    read = Reader(expect(answer, 200), answer.what)
    events = tuple(_event(e) for e in read.objects("events"))
    return EventPage(events, read.integer("next_position"), read.boolean("has_more"))


def next_after(page: EventPage, after: int) -> int:
    """Where the page after ``page`` starts; a server whose pages do not advance would make
    iteration endless, so that is an error."""
    if page.next_position <= after or not page.events:
        raise MalformedResponseError(
            f"POST /events/query: has_more is true but next_position {page.next_position} "
            f"does not advance past {after}"
        )
    return page.next_position


def get_event(event_id: str, raw: bool = False) -> Call[StoredEvent]:
    path = f"events/{segment('an event id', event_id)}"
    return Call(Request("GET", path, _raw(raw)), _read_event)


def _read_event(answer: Answer) -> StoredEvent:
    return _event(Reader(expect(answer, 200), answer.what), metadata=True)
