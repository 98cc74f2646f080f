"""``POST /events/query`` and ``GET /events/{event_id}``: reading a tenant's events."""

from __future__ import annotations

import itertools
import re
from typing import Any

from attrs import field, frozen

from esruntime.commands.query import tag_value
from esruntime.errors import InvalidCommandInput, InvalidQueryError
from esruntime.events import Query, QueryItem
from esruntime.web.bodies import register, structure
from esruntime.web.call import Call
from esruntime.web.errors import WebError
from esruntime.web.messages import WebResponse, json_response
from esruntime.web.views import event_view

__all__ = ["MAX_LIMIT", "EventsQuery", "get_event", "query_events"]

MAX_LIMIT = 1000
MAX_ITEMS = 1000
_FIELD = re.compile(r"[a-z_][a-z0-9_]{0,99}")


@frozen
class EventsQuery:
    """The body of ``POST /events/query``; every field is optional."""

    event_types: list[str] = field(factory=list)
    domain_ids: dict[str, Any] = field(factory=dict)
    after_position: int = 0
    limit: int = 100


register(EventsQuery)


def _bad(message: str) -> WebError:
    return WebError(400, "invalid_request", message)


def build_query(request: EventsQuery) -> Query:
    """Events of any of ``event_types`` (any type when empty) whose domain ids take one of the
    given values for every field named (one query item per combination of values)."""
    choices: list[list[str]] = []
    for name, values in request.domain_ids.items():
        if not _FIELD.fullmatch(name):
            raise _bad(f"domain_ids: {name!r} is not a field name ([a-z_][a-z0-9_]*)")
        listed = values if isinstance(values, list) else [values]
        if not listed:
            raise _bad(f"domain_ids.{name}: give at least one value")
        tags = []
        for value in listed:
            try:
                text = tag_value(value)
            except InvalidCommandInput as exc:
                raise _bad(f"domain_ids.{name}: {exc}") from None
            if text is None:
                raise _bad(f"domain_ids.{name}: a value may not be null")
            tags.append(f"{name}:{text}")
        choices.append(tags)
    combinations = 1
    for tags in choices:
        combinations *= len(tags)
    if combinations > MAX_ITEMS:
        raise _bad(f"domain_ids make {combinations:,} combinations; the limit is {MAX_ITEMS:,}")
    try:
        items = [QueryItem(request.event_types, combo) for combo in itertools.product(*choices)]
        return Query(items)
    except InvalidQueryError as exc:
        raise _bad(str(exc)) from None


def query_events(call: Call) -> WebResponse:
    request = structure(call.body, EventsQuery)
    if request.after_position < 0:
        raise _bad(f"after_position must be 0 or more, got {request.after_position}")
    if not 1 <= request.limit <= MAX_LIMIT:
        raise _bad(f"limit must be between 1 and {MAX_LIMIT}, got {request.limit}")
    query = build_query(request)
    store = call.tenant.store
    found = store.read(query, start=request.after_position + 1, limit=request.limit + 1).events
    events = found[: request.limit]
    return json_response(
        200,
        {
            "events": [event_view(e) for e in events],
            "next_position": events[-1].position if events else request.after_position,
            "has_more": len(found) > request.limit,
        },
    )


def get_event(call: Call) -> WebResponse:
    event_id = call.param("event_id")
    try:
        event = call.tenant.store.get(event_id)
    except InvalidQueryError:  # not something an id can be
        event = None
    if event is None:
        raise WebError(404, "event_not_found", f"No event with id '{event_id}'")
    return json_response(200, event_view(event, metadata=True))
