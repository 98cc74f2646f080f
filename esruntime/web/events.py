"""``POST /events/query`` and ``GET /events/{event_id}``: reading a tenant's events.

Events are answered in the current schema's shape, as handlers see them: a field added with a
default after an event was stored is filled in. ``?raw=true`` answers the data as stored.

A query's cost is bounded before any work: at most :data:`MAX_EVENT_TYPES` types,
:data:`MAX_FIELDS` domain-id fields of at most :data:`MAX_VALUES` values each, at most
:data:`MAX_ITEMS` combinations of values (the query items the store reads), and at most
:data:`MAX_TERMS` terms: items times (types + fields), what the store matches.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from attrs import field, frozen

from esruntime.commands.query import tag_value
from esruntime.errors import InvalidCommandInput, InvalidQueryError
from esruntime.events import Query, QueryItem, SequencedEvent
from esruntime.schema.upcasting import upcast_events
from esruntime.web.bodies import query_flag, register, structure
from esruntime.web.call import Call
from esruntime.web.errors import WebError
from esruntime.web.messages import WebResponse, json_response
from esruntime.web.views import event_view

if TYPE_CHECKING:
    from esruntime.runtime import Tenant

__all__ = [
    "MAX_EVENT_TYPES",
    "MAX_FIELDS",
    "MAX_ITEMS",
    "MAX_LIMIT",
    "MAX_TERMS",
    "MAX_VALUES",
    "EventsQuery",
    "build_query",
    "get_event",
    "query_events",
]

MAX_LIMIT = 1000
MAX_EVENT_TYPES = 100
MAX_FIELDS = 300
"""As many as the tags of one wide query item the stores answer in linear time."""
MAX_VALUES = 1000
MAX_ITEMS = 1000
MAX_TERMS = 10_000
LIMITS = (
    f"at most {MAX_EVENT_TYPES} event_types, {MAX_FIELDS} domain_ids fields, "
    f"{MAX_VALUES:,} values per field, {MAX_ITEMS:,} combinations of values and "
    f"{MAX_TERMS:,} terms (combinations x (event_types + fields))"
)
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


def _check_size(request: EventsQuery) -> None:
    """Refuse a query over the limits from its counts alone, before any value is looked at."""
    if len(request.event_types) > MAX_EVENT_TYPES:
        raise _bad(f"event_types lists {len(request.event_types):,} types; the limits are {LIMITS}")
    if len(request.domain_ids) > MAX_FIELDS:
        raise _bad(f"domain_ids names {len(request.domain_ids):,} fields; the limits are {LIMITS}")
    combinations = 1
    for name, values in request.domain_ids.items():
        count = len(values) if isinstance(values, list) else 1
        if count > MAX_VALUES:
            shown = name if _FIELD.fullmatch(name) else repr(name[:40])
            raise _bad(f"domain_ids.{shown} lists {count:,} values; the limits are {LIMITS}")
        combinations *= max(count, 1)  # at most 1,000 ** 300: 901 digits, printable
    if combinations > MAX_ITEMS:
        raise _bad(
            f"domain_ids make {combinations:,} combinations of values; the limits are {LIMITS}"
        )
    terms = combinations * max(len(request.event_types) + len(request.domain_ids), 1)
    if terms > MAX_TERMS:
        raise _bad(
            f"the query makes {combinations:,} combinations of {len(request.event_types)} "
            f"event_types and {len(request.domain_ids)} fields: {terms:,} terms; "
            f"the limits are {LIMITS}"
        )


def build_query(request: EventsQuery) -> Query:
    """Events of any of ``event_types`` (any type when empty) whose domain ids take one of the
    given values for every field named (one query item per combination of values)."""
    _check_size(request)
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
    raw = query_flag(call.query, "raw")
    query = build_query(request)
    tenant = call.tenant
    found = tenant.store.read(query, start=request.after_position + 1, limit=request.limit + 1)
    events = found.events[: request.limit]
    shown = events if raw else in_current_shape(tenant, events)
    return json_response(
        200,
        {
            "events": [event_view(e) for e in shown],
            "next_position": events[-1].position if events else request.after_position,
            "has_more": len(found) > request.limit,
        },
    )


def get_event(call: Call) -> WebResponse:
    event_id = call.param("event_id")
    raw = query_flag(call.query, "raw")
    try:
        event = call.tenant.store.get(event_id)
    except InvalidQueryError:  # not something an id can be
        event = None
    if event is None:
        raise WebError(404, "event_not_found", f"No event with id '{event_id}'")
    if not raw:
        event = in_current_shape(call.tenant, [event])[0]
    return json_response(200, event_view(event, metadata=True))


def in_current_shape(tenant: Tenant, events: Sequence[SequencedEvent]) -> list[SequencedEvent]:
    """The events with their data upcast to the tenant's current schema (the same objects
    when nothing is missing), as a handler replaying them sees them."""
    schema = tenant.current_schema()
    return list(events) if schema is None else upcast_events(schema, events)
