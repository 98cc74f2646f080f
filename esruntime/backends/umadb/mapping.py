"""How one tenant's events, ids, metadata and idempotency records are laid out in UmaDB.

UmaDB keeps one sequence of events per server, each with a type, tags, bytes of data and
string metadata. esruntime adds tags that start with ``@`` (a user tag cannot: its key starts
with a letter or ``_``), so they never collide with the tags of events:

- ``@tenant:<tenant>`` on every event of a tenant, and on every query item the store sends;
- ``@id:<event id>`` on every event, so that ``get`` and the uniqueness check use UmaDB's index;
- an idempotency record is an event of type ``esruntime.idempotency`` tagged
  ``@records:<tenant>`` and ``@key:<key>`` (no tenant tag: reads never return it), written by the
  same append, under the same condition, as the events it describes.

The data is the event's JSON text (UTF-8); the metadata map holds ``recorded_at`` (ISO 8601,
UTC, taken by the writer) and, when the event has any, ``metadata`` (its JSON text).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import umadb

from esruntime.encoding import EncodedEvent, decode, decode_stored
from esruntime.events import Event, Query, SequencedEvent
from esruntime.idempotency import IdempotencyRecord

__all__ = [
    "MAX_LIMIT",
    "MAX_POSITION",
    "RECORD_TYPE",
    "clamp",
    "event_from_umadb",
    "event_to_umadb",
    "id_item",
    "record_from_umadb",
    "record_item",
    "record_to_umadb",
    "scoped_items",
    "scoped_query",
    "tenant_tag",
]

MAX_POSITION = 2**64 - 1
"""UmaDB's positions are unsigned 64-bit integers: larger positions and limits mean this one."""

RECORD_TYPE = "esruntime.idempotency"
_TENANT = "@tenant:"
_ID = "@id:"
_RECORDS = "@records:"
_KEY = "@key:"
_RECORDED_AT = "recorded_at"
_METADATA = "metadata"


MAX_LIMIT = 2**32 - 1
"""The client takes a read's limit as an unsigned 32-bit integer."""


def clamp(value: int | None, largest: int = MAX_POSITION) -> int | None:
    return None if value is None else min(value, largest)


def tenant_tag(tenant: str) -> str:
    return _TENANT + tenant


def scoped_items(query: Query, tenant: str) -> list[umadb.QueryItem]:
    """The items of ``query`` restricted to the tenant's events: its tag joins every item."""
    tag = tenant_tag(tenant)
    if not query.items:
        return [umadb.QueryItem(tags=[tag])]
    return [umadb.QueryItem(types=list(item.types), tags=[*item.tags, tag]) for item in query.items]


def scoped_query(query: Query, tenant: str) -> umadb.Query:
    """``query`` restricted to the tenant's events."""
    return umadb.Query(scoped_items(query, tenant))


def id_item(tenant: str, event_id: str) -> umadb.QueryItem:
    """The item matching the tenant's event with this id."""
    return umadb.QueryItem(tags=[tenant_tag(tenant), _ID + event_id])


def record_item(tenant: str, key: str) -> umadb.QueryItem:
    """The item matching the tenant's idempotency record of ``key``."""
    return umadb.QueryItem(types=[RECORD_TYPE], tags=[_RECORDS + tenant, _KEY + key])


def event_to_umadb(encoded: EncodedEvent, tenant: str, recorded_at: str) -> umadb.Event:
    event, data, metadata = encoded
    meta = {_RECORDED_AT: recorded_at}
    if metadata != "{}":
        meta[_METADATA] = metadata
    return umadb.Event(
        event.type,
        data.encode("utf-8"),
        [*event.tags, tenant_tag(tenant), _ID + event.id],
        metadata=meta,
    )


def event_from_umadb(stored: umadb.SequencedEvent) -> SequencedEvent:
    """The esruntime event of a UmaDB event this module wrote."""
    raw = stored.event
    tags: list[str] = []
    event_id = ""
    for tag in raw.tags:
        if not tag.startswith("@"):
            tags.append(tag)
        elif tag.startswith(_ID):
            event_id = tag[len(_ID) :]
    meta = raw.metadata
    metadata_text = meta.get(_METADATA)
    event = Event.from_storage(
        raw.event_type,
        decode_stored(raw.data.decode("utf-8")),
        tuple(sorted(tags)),
        event_id,
        {} if metadata_text is None else decode_stored(metadata_text),
    )
    return SequencedEvent(stored.position, event, _timestamp(meta.get(_RECORDED_AT)))


def _timestamp(text: str | None) -> datetime:
    # Events appended by other UmaDB clients carry no time: the epoch says "unknown".
    return datetime.fromisoformat(text) if text else datetime.fromtimestamp(0, UTC)


def record_to_umadb(record: IdempotencyRecord, tenant: str, recorded_at: str) -> umadb.Event:
    body = {"fingerprint": record.fingerprint, "result": dict(record.result)}
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    return umadb.Event(
        RECORD_TYPE,
        text.encode("utf-8", "surrogatepass"),
        [_RECORDS + tenant, _KEY + record.key],
        metadata={_RECORDED_AT: recorded_at},
    )


def record_from_umadb(stored: umadb.SequencedEvent, key: str) -> IdempotencyRecord:
    body: dict[str, Any] = decode(stored.event.data.decode("utf-8"))
    return IdempotencyRecord(key, body["fingerprint"], body["result"])
