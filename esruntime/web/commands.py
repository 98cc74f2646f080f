"""``POST /commands/{command_name}``: run a command and answer with its outcome."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from esruntime.commands.executor import CommandResult
from esruntime.encoding import stored_data
from esruntime.errors import (
    HandlerFault,
    IdempotencyKeyReused,
    InvalidQueryError,
    UnknownCommandError,
)
from esruntime.idempotency import check_key
from esruntime.protocols import EventStore
from esruntime.schema.views import timestamp
from esruntime.web.call import Call
from esruntime.web.errors import WebError
from esruntime.web.messages import WebResponse, json_response
from esruntime.web.views import appended, appended_view, command_view

__all__ = ["execute_command"]


def _status(result: CommandResult) -> int:
    if result.outcome == "ok":
        return 200
    if result.outcome == "conflict":
        return 409
    return 400 if result.code == "invalid_input" else 422


def execute_command(call: Call) -> WebResponse:
    name = call.param("command_name")
    key = call.headers.get("x-idempotency-key")
    if key is not None:
        try:
            check_key(key)
        except InvalidQueryError as exc:
            raise WebError(400, "invalid_header", f"X-Idempotency-Key: {exc}") from None
    tenant = call.tenant
    began = time.time_ns()
    try:
        result = tenant.execute(
            name, call.body, idempotency_key=key, context={"correlation_id": call.request_id}
        )
    except UnknownCommandError:
        raise WebError(
            404, "handler_not_found", f"No handler registered with name '{name}'"
        ) from None
    except HandlerFault as fault:
        raise WebError(
            500, "handler_fault", f"Handler '{name}' faulted ({fault.code}): {fault}"
        ) from None
    except IdempotencyKeyReused as exc:
        raise WebError(422, "idempotency_key_reused", str(exc)) from None
    ended = time.time_ns()
    events = appended_events(tenant.store, result, began, ended) if result.outcome == "ok" else []
    headers = [("X-Retry-Count", str(result.retries))]
    if result.replayed:
        headers.append(("X-Idempotent-Replayed", "true"))
    return json_response(_status(result), command_view(result, events), headers)


def appended_events(
    store: EventStore, result: CommandResult, began: int | None = None, ended: int | None = None
) -> list[dict[str, Any]]:
    """The events a command appended, as the answer shows them: as a read of the store returns
    them (their data as stored, their timestamp to the second).

    ``began`` and ``ended``: the clock (``time.time_ns()``) before and after the command. A
    store whose appended events read back as their data's JSON text decoded, stamped with
    this process's clock during the append (``reads_back_as_appended``: SQLite and memory),
    was stamped within that second when both fall in the same one: the events come from the
    result, without reading them back. Otherwise one read, as they are consecutive positions.
    """
    ids = list(result.event_ids)
    if not ids or result.position is None:
        return []
    if (
        result.events
        and began is not None
        and ended is not None
        and began // _NS == ended // _NS
        and getattr(store, "reads_back_as_appended", False) is True
    ):
        recorded = timestamp(datetime.fromtimestamp(began // _NS, UTC))
        return [appended(event, stored_data(event), recorded) for event in result.events]
    found = store.read(start=result.position - len(ids) + 1, limit=len(ids)).events
    if [event.id for event in found] != ids:
        found = [event for event in map(store.get, ids) if event is not None]
    return [appended_view(event) for event in found]


_NS = 1_000_000_000
