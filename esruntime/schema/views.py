"""The JSON bodies of the schema routes, exactly as ``docs/http-api.md`` shows them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from esruntime.schema.model import Field, Schema
from esruntime.schema.registry import PushResult, SchemaAccepted, SchemaVersion

__all__ = ["push_view", "schema_view", "timestamp"]


def timestamp(moment: datetime) -> str:
    """RFC 3339 in UTC with a ``Z``, to the second: ``2025-01-10T08:00:00Z``."""
    utc = moment.astimezone(UTC)
    if utc.year < 1000:  # strftime writes such a year unpadded (glibc), isoformat padded
        return utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    return utc.isoformat(timespec="seconds")[:19] + "Z"


def _field(f: Field) -> dict[str, Any]:
    return {"name": f.name, "type": str(f.type), "domain_id": f.domain_id, "doc": f.doc}


def _declarations(schema: Schema) -> dict[str, Any]:
    return {
        "events": [
            {
                "name": event.name,
                "domain_ids": list(event.domain_ids),
                "fields": [_field(f) for f in event.fields],
                "doc": event.doc,
            }
            for event in schema.events
        ],
        "types": [
            {"name": t.name, "fields": [_field(f) for f in t.fields], "doc": t.doc}
            for t in schema.types
        ],
        "enums": [
            {"name": e.name, "variants": list(e.variants), "doc": e.doc} for e in schema.enums
        ],
    }


def schema_view(version: SchemaVersion) -> dict[str, Any]:
    """``GET /schema``: the version, its raw text, its declarations and when it was pushed."""
    return {
        "version": version.version,
        "schema": version.text,
        **_declarations(version.schema),
        "updated_at": timestamp(version.created_at),
    }


def push_view(result: PushResult) -> dict[str, Any]:
    """``PUT /schema`` and ``POST /schema/validate``: accepted or rejected."""
    if isinstance(result, SchemaAccepted):
        return {
            "version": result.version,
            "changes": {
                "added_events": list(result.changes.added_events),
                "modified_events": list(result.changes.modified_events),
                "removed_events": list(result.changes.removed_events),
            },
        }
    return {
        "status": result.status,
        "breaking_changes": [
            {"event": b.event, "change": b.change, "field": b.field, "message": b.message}
            for b in result.breaking_changes
        ],
        "hint": result.hint,
    }
