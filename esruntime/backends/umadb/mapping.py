"""How one tenant's events, ids, metadata and idempotency records are laid out in UmaDB.

UmaDB keeps one sequence of events per server, each with a type, tags, bytes of data and
string metadata, and indexes types and tags. A tenant has a number on the server (see
``tenants``), and every type and tag of its events is stored under the namespace ``<n>:``
(``12:Deposited``, ``12:account:a1``): a query item selects one tenant's events through the
index alone (an extra tenant tag on every item would make UmaDB intersect it with all the
tenant's events), and the namespace adds only a few bytes to each tag (an event's tags share
one 4 KiB page of the server). esruntime's own tags start with ``@``
after the namespace, which a user tag (``key:value``) cannot:

- ``<n>:@all`` on every event, for the items that match every event of the tenant;
- ``<n>:@id:<event id>`` on every event, so that ``get`` and the uniqueness check use the index;
- an idempotency record is an event of type ``<n>!idempotency`` tagged ``<n>!key:<key>``
  (``!`` where a namespace has ``:``, so no type or tag of any tenant is equal), written by the
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
    "clamp",
    "event_from_umadb",
    "event_to_umadb",
    "id_item",
    "namespace",
    "record_from_umadb",
    "record_item",
    "record_to_umadb",
    "record_type",
    "scoped_items",
    "scoped_query",
]

MAX_POSITION = 2**64 - 1
"""UmaDB's positions are unsigned 64-bit integers: larger positions and limits mean this one."""

MAX_LIMIT = 2**32 - 1
"""The client takes a read's limit as an unsigned 32-bit integer."""

_RECORDED_AT = "recorded_at"
_METADATA = "metadata"


def clamp(value: int | None, largest: int = MAX_POSITION) -> int | None:
    return None if value is None else min(value, largest)


def namespace(number: int) -> str:
    """The prefix of the types and tags of the tenant registered at position ``number``."""
    return f"{number}:"


def scoped_items(query: Query, tenant: int) -> list[umadb.QueryItem]:
    """The items of ``query``, in the tenant's namespace."""
    ns = namespace(tenant)
    if query.matches_all:
        return [umadb.QueryItem(tags=[ns + "@all"])]
    return [
        umadb.QueryItem(types=[ns + t for t in item.types], tags=[ns + t for t in item.tags])
        if not item.matches_all
        else umadb.QueryItem(tags=[ns + "@all"])
        for item in query.items
    ]


def scoped_query(query: Query, tenant: int) -> umadb.Query:
    """``query`` restricted to the tenant's events."""
    return umadb.Query(scoped_items(query, tenant))


def id_item(tenant: int, event_id: str) -> umadb.QueryItem:
    """The item matching the tenant's event with this id."""
    return umadb.QueryItem(tags=[namespace(tenant) + "@id:" + event_id])


def _record_prefix(number: int) -> str:
    return f"{number}!"


def record_type(tenant: int) -> str:
    return _record_prefix(tenant) + "idempotency"


def record_item(tenant: int, key: str) -> umadb.QueryItem:
    """The item matching the tenant's idempotency record of ``key``."""
    return umadb.QueryItem(tags=[_record_prefix(tenant) + "key:" + key])


def event_to_umadb(encoded: EncodedEvent, tenant: int, recorded_at: str) -> umadb.Event:
    event, data, metadata = encoded
    meta = {_RECORDED_AT: recorded_at}
    if metadata != "{}":
        meta[_METADATA] = metadata
    ns = namespace(tenant)
    return umadb.Event(
        ns + event.type,
        data.encode("utf-8"),
        [*(ns + tag for tag in event.tags), ns + "@all", ns + "@id:" + event.id],
        metadata=meta,
    )


def event_from_umadb(stored: umadb.SequencedEvent, tenant: int) -> SequencedEvent:
    """The esruntime event of a UmaDB event this module wrote for tenant number ``tenant``."""
    raw = stored.event
    skip = len(namespace(tenant))
    tags: list[str] = []
    event_id = ""
    for tag in raw.tags:
        if tag[skip] != "@":
            tags.append(tag[skip:])
        elif tag.startswith("@id:", skip):
            event_id = tag[skip + 4 :]
    meta = raw.metadata
    metadata_text = meta.get(_METADATA)
    event = Event.from_storage(
        raw.event_type[skip:],
        decode_stored(raw.data.decode("utf-8")),
        tuple(sorted(tags)),
        event_id,
        {} if metadata_text is None else decode_stored(metadata_text),
    )
    return SequencedEvent(stored.position, event, _timestamp(meta.get(_RECORDED_AT)))


def _timestamp(text: str | None) -> datetime:
    # Events appended by other UmaDB clients carry no time: the epoch says "unknown".
    return datetime.fromisoformat(text) if text else datetime.fromtimestamp(0, UTC)


def record_to_umadb(record: IdempotencyRecord, tenant: int, recorded_at: str) -> umadb.Event:
    body = {"fingerprint": record.fingerprint, "result": dict(record.result)}
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    return umadb.Event(
        record_type(tenant),
        text.encode("utf-8", "surrogatepass"),
        [_record_prefix(tenant) + "key:" + record.key],
        metadata={_RECORDED_AT: recorded_at},
    )


def record_from_umadb(stored: umadb.SequencedEvent, key: str) -> IdempotencyRecord:
    body: dict[str, Any] = decode(stored.event.data.decode("utf-8"))
    return IdempotencyRecord(key, body["fingerprint"], body["result"])
