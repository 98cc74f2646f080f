"""JSON Schemas (OpenAPI 3.1) of the API's request and response bodies."""

from __future__ import annotations

from typing import Any

from esruntime.events import MAX_TYPE_LENGTH
from esruntime.web.events import MAX_EVENT_TYPES, MAX_FIELDS, MAX_LIMIT, MAX_VALUES

__all__ = ["SCHEMAS", "Schema"]

Schema = dict[str, Any]


def _object(properties: dict[str, Any], *, required: list[str] | None = None) -> Schema:
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties) if required is None else required,
        "additionalProperties": False,
    }


_STRING: Schema = {"type": "string"}
_STRINGS: Schema = {"type": "array", "items": _STRING}
_TIME: Schema = {"type": "string", "format": "date-time"}
_NULLABLE_TIME: Schema = {"type": ["string", "null"], "format": "date-time"}

ERROR = _object(
    {
        "error": _object(
            {
                "code": _STRING,
                "message": _STRING,
                "request_id": _STRING,
                "fields": {
                    "type": "object",
                    "additionalProperties": _STRING,
                    "description": "Each invalid field and what is wrong with it.",
                },
            },
            required=["code", "message", "request_id"],
        )
    }
)
COMMAND_EVENT = _object({"id": _STRING, "type": _STRING, "data": {}, "timestamp": _TIME})
COMMAND_OK = _object(
    {
        "status": {"const": "ok"},
        "events": {"type": "array", "items": COMMAND_EVENT},
        "position": {"type": ["integer", "null"]},
    }
)
COMMAND_REJECTED = _object(
    {"status": {"const": "rejected"}, "code": _STRING, "message": {"type": ["string", "null"]}}
)
COMMAND_CONFLICT = _object({"status": {"const": "conflict"}, "message": _STRING})
_FIELD = _object(
    {"name": _STRING, "type": _STRING, "domain_id": {"type": "boolean"}, "doc": {}},
    required=["name", "type", "domain_id"],
)
SCHEMA_VIEW = _object(
    {
        "version": _STRING,
        "schema": _STRING,
        "events": {
            "type": "array",
            "items": _object(
                {
                    "name": _STRING,
                    "domain_ids": _STRINGS,
                    "fields": {"type": "array", "items": _FIELD},
                    "doc": {},
                },
                required=["name", "domain_ids", "fields"],
            ),
        },
        "types": {"type": "array", "items": {"type": "object"}},
        "enums": {"type": "array", "items": {"type": "object"}},
        "updated_at": _TIME,
    }
)
SCHEMA_ACCEPTED = _object(
    {
        "version": _STRING,
        "changes": _object(
            {"added_events": _STRINGS, "modified_events": _STRINGS, "removed_events": _STRINGS}
        ),
    }
)
SCHEMA_REJECTED = _object(
    {
        "status": {"const": "rejected"},
        "breaking_changes": {
            "type": "array",
            "items": _object(
                {
                    "event": _STRING,
                    "change": _STRING,
                    "field": {"type": ["string", "null"]},
                    "message": _STRING,
                }
            ),
        },
        "hint": _STRING,
    }
)
_KIND: Schema = {"enum": ["wasm", "python"]}
HANDLER_SUMMARY = _object(
    {
        "name": _STRING,
        "version": _STRING,
        "kind": _KIND,
        "event_types": _STRINGS,
        "uploaded_at": _NULLABLE_TIME,
        "executions_24h": {"type": "integer"},
    }
)
HANDLER_LIST = _object({"handlers": {"type": "array", "items": HANDLER_SUMMARY}})
HANDLER_VERSION = _object(
    {
        "version": _STRING,
        "uploaded_at": _TIME,
        "wasm_size_bytes": {"type": "integer"},
        "sha256": _STRING,
        "current": {"type": "boolean", "description": "Whether this version runs the commands."},
    }
)
HANDLER_DETAIL = _object(
    {
        "name": _STRING,
        "version": {"type": "string", "description": "The version that runs the commands."},
        "kind": _KIND,
        "event_types": _STRINGS,
        "domain_id_fields": _STRINGS,
        "uploaded_at": _NULLABLE_TIME,
        "wasm_size_bytes": {"type": ["integer", "null"]},
        "sha256": {"type": ["string", "null"]},
        "versions": {
            "type": "array",
            "items": HANDLER_VERSION,
            "description": "Every uploaded version, oldest first (none for a handler in code).",
        },
    }
)
CURRENT_VERSION = _object({"version": {"type": "string", "minLength": 1}})
UPLOAD_ACCEPTED = _object(
    {
        "name": _STRING,
        "version": _STRING,
        "event_types": _STRINGS,
        "validation": _object({"status": {"const": "ok"}, "warnings": _STRINGS}),
    }
)
UPLOAD_REJECTED = _object(
    {
        "status": {"const": "rejected"},
        "errors": {"type": "array", "items": _object({"code": _STRING, "message": _STRING})},
    }
)
HANDLER_DELETED = _object({"name": _STRING, "status": {"const": "deleted"}})
_DOMAIN_VALUE: Schema = {
    "anyOf": [
        {"type": "string", "minLength": 1, "pattern": "^[^\\x00-\\x1f]+$"},
        {"type": "number"},
    ]
}
EVENTS_QUERY = _object(
    {
        "event_types": {
            "type": "array",
            "maxItems": MAX_EVENT_TYPES,
            "items": {
                "type": "string",
                "minLength": 1,
                "maxLength": MAX_TYPE_LENGTH,
                "pattern": "^[^\\x00-\\x1f]+$",
            },
            "description": "Any of these types (any type when empty).",
        },
        "domain_ids": {
            "type": "object",
            "description": "Field name to the values it may take; every field named must match. "
            "At most 1,000 combinations of values, and 10,000 terms (combinations x (event "
            "types + fields)).",
            "maxProperties": MAX_FIELDS,
            "propertyNames": {"pattern": "^[a-z_][a-z0-9_]*$"},
            "additionalProperties": {
                "anyOf": [
                    _DOMAIN_VALUE,
                    {
                        "type": "array",
                        "items": _DOMAIN_VALUE,
                        "minItems": 1,
                        "maxItems": MAX_VALUES,
                    },
                ]
            },
        },
        "after_position": {"type": "integer", "minimum": 0, "default": 0},
        "limit": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": 100},
    },
    required=[],
)
_EVENT_PROPERTIES = {
    "id": _STRING,
    "type": _STRING,
    "data": {},
    "domain_ids": {"type": "object"},
    "position": {"type": "integer"},
    "timestamp": _TIME,
}
EVENT = _object(_EVENT_PROPERTIES)
EVENT_DETAIL = _object({**_EVENT_PROPERTIES, "metadata": {"type": "object"}})
EVENTS_PAGE = _object(
    {
        "events": {"type": "array", "items": EVENT},
        "next_position": {"type": "integer"},
        "has_more": {"type": "boolean"},
    }
)
HEALTH = _object(
    {
        "status": {"enum": ["healthy", "unhealthy"]},
        "version": _STRING,
        "umadb": {"enum": ["connected", "unreachable"]},
        "store": {"enum": ["connected", "unreachable"]},
        "backend": _STRING,
    }
)

SCHEMAS = {
    "Error": ERROR,
    "CommandOk": COMMAND_OK,
    "CommandRejected": COMMAND_REJECTED,
    "CommandConflict": COMMAND_CONFLICT,
    "Schema": SCHEMA_VIEW,
    "SchemaAccepted": SCHEMA_ACCEPTED,
    "SchemaRejected": SCHEMA_REJECTED,
    "HandlerList": HANDLER_LIST,
    "Handler": HANDLER_DETAIL,
    "UploadAccepted": UPLOAD_ACCEPTED,
    "UploadRejected": UPLOAD_REJECTED,
    "HandlerDeleted": HANDLER_DELETED,
    "CurrentVersion": CURRENT_VERSION,
    "EventsQuery": EVENTS_QUERY,
    "EventsPage": EVENTS_PAGE,
    "Event": EVENT_DETAIL,
    "Health": HEALTH,
}
"""Every body schema by name (inlined in the operations, so a host's document needs nothing
else)."""
