"""The JSON bodies of the API's responses, exactly as ``docs/http-api.md`` shows them.

The schema routes' bodies are :mod:`esruntime.schema.views`; these are the rest.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from esruntime.commands.executor import CommandResult
from esruntime.events import Event, SequencedEvent
from esruntime.handlers.registry import (
    HandlerVersion,
    UploadAccepted,
    UploadRejected,
    UploadResult,
)
from esruntime.runtime.tenant import HandlerInfo
from esruntime.schema.views import timestamp

__all__ = [
    "CONFLICT_MESSAGE",
    "appended",
    "appended_view",
    "command_view",
    "domain_ids",
    "event_view",
    "handler_detail",
    "handler_summary",
    "upload_view",
]

CONFLICT_MESSAGE = "Concurrent modification detected, please retry"


def command_view(result: CommandResult, events: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """``POST /commands/{name}``: ok (with the appended events, :func:`appended_view`),
    rejected or conflict."""
    if result.outcome == "ok":
        return {"status": "ok", "events": list(events), "position": result.position}
    if result.outcome == "rejected":
        return {"status": "rejected", "code": result.code, "message": result.message}
    return {"status": "conflict", "message": CONFLICT_MESSAGE}


def appended_view(event: SequencedEvent) -> dict[str, Any]:
    """An event of ``POST /commands/{name}``'s answer."""
    return appended(event.event, event.data, timestamp(event.timestamp))


def appended(event: Event, data: Any, recorded: str) -> dict[str, Any]:
    """An event of ``POST /commands/{name}``'s answer with its ``data`` as stored, recorded at
    ``recorded`` (RFC 3339)."""
    return {"id": event.id, "type": event.type, "data": data, "timestamp": recorded}


def domain_ids(event: SequencedEvent) -> dict[str, Any]:
    """The domain ids of an event, from its ``field:value`` tags (a list when repeated)."""
    found: dict[str, Any] = {}
    for tag in event.tags:
        name, _, value = tag.partition(":")
        if name in found:
            previous = found[name]
            found[name] = [*previous, value] if isinstance(previous, list) else [previous, value]
        else:
            found[name] = value
    return found


def event_view(event: SequencedEvent, *, metadata: bool = False) -> dict[str, Any]:
    """An event of ``POST /events/query``; ``GET /events/{id}`` adds its metadata."""
    view = {
        "id": event.id,
        "type": event.type,
        "data": event.data,
        "domain_ids": domain_ids(event),
        "position": event.position,
        "timestamp": timestamp(event.timestamp),
    }
    if metadata:
        view["metadata"] = dict(event.event.metadata)
    return view


def handler_summary(info: HandlerInfo, executions_24h: int) -> dict[str, Any]:
    """An entry of ``GET /handlers``."""
    return {
        "name": info.name,
        "version": info.version,
        "kind": info.kind,
        "event_types": list(info.event_types),
        "uploaded_at": None if info.uploaded_at is None else timestamp(info.uploaded_at),
        "executions_24h": executions_24h,
    }


def handler_detail(info: HandlerInfo, versions: Sequence[HandlerVersion] = ()) -> dict[str, Any]:
    """``GET /handlers/{name}`` (size and digest are null for a handler registered in code):
    ``version`` is the one that runs, ``versions`` every uploaded one, oldest first."""
    return {
        "name": info.name,
        "version": info.version,
        "kind": info.kind,
        "event_types": list(info.event_types),
        "domain_id_fields": list(info.domain_id_fields),
        "uploaded_at": None if info.uploaded_at is None else timestamp(info.uploaded_at),
        "wasm_size_bytes": info.size,
        "sha256": info.sha256,
        "versions": [
            {
                "version": v.version,
                "uploaded_at": timestamp(v.uploaded_at),
                "wasm_size_bytes": v.size,
                "sha256": v.sha256,
                "current": v.version == info.version and v.sha256 == info.sha256,
            }
            for v in versions
        ],
    }


def upload_view(result: UploadResult) -> dict[str, Any]:
    """``PUT /handlers/{name}``: the stored version with warnings, or every error."""
    if isinstance(result, UploadAccepted):
        handler = result.handler
        return {
            "name": handler.name,
            "version": handler.version,
            "event_types": list(handler.event_types),
            "validation": {"status": "ok", "warnings": list(result.warnings)},
        }
    assert isinstance(result, UploadRejected)
    return {
        "status": "rejected",
        "errors": [{"code": e.code, "message": e.message} for e in result.errors],
    }
