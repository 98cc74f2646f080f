"""``POST /commands/{command_name}``: run a command and answer with its outcome."""

from __future__ import annotations

from collections.abc import Sequence

from esruntime.commands.executor import CommandResult
from esruntime.errors import (
    HandlerFault,
    IdempotencyKeyReused,
    InvalidQueryError,
    UnknownCommandError,
)
from esruntime.events import SequencedEvent
from esruntime.idempotency import check_key
from esruntime.protocols import EventStore
from esruntime.web.call import Call
from esruntime.web.errors import WebError
from esruntime.web.messages import WebResponse, json_response
from esruntime.web.views import command_view

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
    events = appended_events(tenant.store, result) if result.outcome == "ok" else []
    headers = [("X-Retry-Count", str(result.retries))]
    if result.replayed:
        headers.append(("X-Idempotent-Replayed", "true"))
    return json_response(_status(result), command_view(result, events), headers)


def appended_events(store: EventStore, result: CommandResult) -> Sequence[SequencedEvent]:
    """The events a command appended: one read, as they are consecutive positions."""
    ids = list(result.event_ids)
    if not ids or result.position is None:
        return []
    found = store.read(start=result.position - len(ids) + 1, limit=len(ids)).events
    if [event.id for event in found] == ids:
        return found
    return [event for event in map(store.get, ids) if event is not None]
