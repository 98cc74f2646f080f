"""A conditional append of one tenant's events, with its ids and idempotency key unique.

The caller's condition, the ids (no event of the tenant has one of them) and the key (it has no
record yet) are checked by one conditional append of UmaDB: an item per id and one for the key
join the condition's query. The condition has one ``after`` for all items, so ids and keys at or
before it are looked up first (one read, which also gives the head to bound ``after`` by).
"""

from __future__ import annotations

from datetime import UTC, datetime

import umadb

from esruntime.backends.umadb.connection import translate_errors
from esruntime.backends.umadb.mapping import (
    clamp,
    event_from_umadb,
    event_to_umadb,
    id_item,
    record_from_umadb,
    record_item,
    record_to_umadb,
    record_type,
    scoped_items,
)
from esruntime.encoding import EncodedEvent
from esruntime.errors import DuplicateEventIdError, IntegrityError
from esruntime.events import AppendCondition
from esruntime.idempotency import DuplicateIdempotencyKey, IdempotencyRecord

__all__ = ["batch", "conditional_append"]

_CONDITION_FAILED = (
    "append condition failed: an event matching the query exists after position {after}"
)


def _refused_condition(exc: Exception) -> bool:
    """Whether the client failed to read the server's refusal of a condition.

    The server's message quotes the whole condition; for a large query it exceeds what the
    client takes in HTTP/2 headers, and the client reports a protocol error instead. Only an
    error carries that message, so nothing was appended.
    """
    text = str(exc)
    return "too_many_continuations" in text or "h2 protocol error: http2 error" in text


def batch(
    number: int, encoded: list[EncodedEvent], record: IdempotencyRecord | None
) -> list[umadb.Event]:
    now = datetime.now(UTC).isoformat()
    batch = [event_to_umadb(e, number, now) for e in encoded]
    if record is not None:
        batch.append(record_to_umadb(record, number, now))
    return batch


def conditional_append(
    client: umadb.Client,
    number: int,
    encoded: list[EncodedEvent],
    condition: AppendCondition | None,
    record: IdempotencyRecord | None,
) -> int:
    unique = [id_item(number, event.id) for event, _, _ in encoded]
    if record is not None:
        unique.append(record_item(number, record.key))
    after = None if condition is None else clamp(condition.after)
    with translate_errors():
        if after is not None:
            # The condition looks only past `after`: look for ids and keys up to it now.
            found, head = client.read(umadb.Query(unique)).collect_with_head()
            after = min(after, head or 0)
            if found:
                assert condition is not None
                if _condition_failed(client, number, condition, after):
                    raise IntegrityError(_CONDITION_FAILED.format(after=condition.after))
                _refuse_duplicates(number, found, record)
        items = list(unique)
        if condition is not None:
            items += scoped_items(condition.fail_if_events_match, number)
        events = batch(number, encoded, record)
        try:
            position = client.append(events, umadb.AppendCondition(umadb.Query(items), after=after))
        except Exception as exc:
            refused = isinstance(exc, umadb.IntegrityError)
            if not refused and not _refused_condition(exc):
                raise
            # The caller's condition is reported first, as every backend does.
            if condition is not None and _condition_failed(client, number, condition, after):
                raise IntegrityError(_CONDITION_FAILED.format(after=after)) from None
            found = client.read(umadb.Query(unique)).collect_with_head()[0]
            _refuse_duplicates(number, found, record)
            if refused:  # a match the reads no longer see cannot be: report the refusal
                raise IntegrityError(_CONDITION_FAILED.format(after=after)) from None
            raise
    return position - (record is not None)


def _condition_failed(
    client: umadb.Client, number: int, condition: AppendCondition, after: int | None
) -> bool:
    query = umadb.Query(scoped_items(condition.fail_if_events_match, number))
    start = None if after is None else after + 1
    return bool(client.read(query, start=start, limit=1).collect_with_head()[0])


def _refuse_duplicates(
    number: int, found: list[umadb.SequencedEvent], record: IdempotencyRecord | None
) -> None:
    records = record_type(number)
    for stored in found:
        if record is not None and stored.event.event_type == records:
            raise DuplicateIdempotencyKey(record_from_umadb(stored, record.key))
    for stored in found:
        if stored.event.event_type != records:
            event_id = event_from_umadb(stored, number).id
            raise DuplicateEventIdError(f"event id {event_id!r} already exists")
