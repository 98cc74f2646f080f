"""``POST /events/query`` and ``GET /events/{id}``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from attrs import evolve

from esruntime.client.calls.bodies import JSON, json_body, segment
from esruntime.client.converter import read
from esruntime.client.models import EventPage, StoredEvent
from esruntime.client.protocol import Answer, Call, Request, expect
from esruntime.errors import InvalidQueryError, MalformedResponseError

__all__ = ["get_event", "next_after", "query_events"]


def query_events(
    event_types: Sequence[str] | None = None,
    domain_ids: Mapping[str, Any] | None = None,
    *,
    after_position: int = 0,
    limit: int = 100,
    raw: bool = False,
) -> Call[EventPage]:
    """One page of events, oldest first (``POST /events/query``): of any of ``event_types``
    (all when None), whose domain ids take one of the given values for every field named
    (``{"account_id": ["alice", "bob"]}``), after ``after_position``. Their data is in the
    current schema's shape (fields added since they were stored filled with their defaults);
    ``raw=True`` reads it as stored."""
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


def _read_page(answer: Answer) -> EventPage:
    page = read(expect(answer, 200), EventPage, answer.what)
    if any(e.metadata is not None for e in page.events):  # metadata comes with get_event only
        page = evolve(page, events=tuple(evolve(e, metadata=None) for e in page.events))
    return page


def next_after(page: EventPage, after: int) -> int:
    """Where the page after ``page`` starts; a server whose pages do not advance would make
    iteration endless, so that is an error."""
    if page.next_position <= after or not page.events:
        raise MalformedResponseError(
            f"POST /events/query: has_more is true but next_position {page.next_position} "
            f"does not advance past {after}"
        )
    return page.next_position


def get_event(event_id: str, *, raw: bool = False) -> Call[StoredEvent]:
    """The event with this id, with its metadata, in the current schema's shape (``raw=True``:
    as stored); NotFoundError when there is none."""
    path = f"events/{segment('an event id', event_id)}"
    return Call(Request("GET", path, _raw(raw)), _read_event)


def _read_event(answer: Answer) -> StoredEvent:
    return read(expect(answer, 200), StoredEvent, answer.what)
