"""The OpenAPI description of the ``/scripts`` routes: their bodies and operations."""

from __future__ import annotations

from typing import Any

from esruntime.scripts.models import (
    EXECUTION_STATUSES,
    HTTP_METHODS,
    LIMIT_RANGES,
    SCRIPT_STATUSES,
    SCRIPT_TYPES,
    TRIGGER_TYPES,
)
from esruntime.scripts.service import MAX_PER_PAGE
from esruntime.scripts.validation import MAX_DESCRIPTION, MAX_HTTP_PATH
from esruntime.web.openapi.bodies import ERROR, Schema

__all__ = ["SCRIPT_OPERATIONS", "SCRIPT_SCHEMAS"]

_STRING: Schema = {"type": "string"}
_NULLABLE_STRING: Schema = {"type": ["string", "null"]}
_TIME: Schema = {"type": "string", "format": "date-time"}
_NULLABLE_TIME: Schema = {"type": ["string", "null"], "format": "date-time"}
_INTEGER: Schema = {"type": "integer"}


def _object(properties: dict[str, Any], *, required: list[str] | None = None) -> Schema:
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties) if required is None else required,
        "additionalProperties": False,
    }


LIMITS = _object(
    {
        name: {"type": "integer", "minimum": low, "maximum": high}
        for name, (low, high) in LIMIT_RANGES.items()
    }
)
_SCRIPT_PROPERTIES: dict[str, Any] = {
    "id": _STRING,
    "name": _STRING,
    "description": _STRING,
    "type": {"enum": list(SCRIPT_TYPES)},
    "status": {"enum": list(SCRIPT_STATUSES)},
    "cron_expression": _NULLABLE_STRING,
    "timezone": _STRING,
    "http_path": _NULLABLE_STRING,
    "http_methods": {"type": "array", "items": {"enum": list(HTTP_METHODS)}},
    "public": {"type": "boolean"},
    "event_types": {"type": "array", "items": _STRING},
    "limits": LIMITS,
    "version": _INTEGER,
    "created_by": _NULLABLE_STRING,
    "created_at": _TIME,
    "updated_by": _NULLABLE_STRING,
    "updated_at": _TIME,
}
SCRIPT_SUMMARY = _object(_SCRIPT_PROPERTIES)
SCRIPT = _object(
    {
        **_SCRIPT_PROPERTIES,
        "source": _STRING,
        "next_runs": {
            "type": "array",
            "items": _TIME,
            "maxItems": 5,
            "description": "When an active scheduled script runs next (its next 5 ticks, in "
            "UTC); empty for the other scripts.",
        },
    }
)
SCRIPT_PAGE = _object(
    {
        "scripts": {"type": "array", "items": SCRIPT_SUMMARY},
        "total": _INTEGER,
        "page": _INTEGER,
        "per_page": _INTEGER,
        "pages": _INTEGER,
    }
)
_FIELDS: dict[str, Any] = {
    "name": {"type": "string", "minLength": 3, "maxLength": 100},
    "description": {"type": "string", "maxLength": MAX_DESCRIPTION},
    "source": {"type": "string", "minLength": 1, "description": "JavaScript, at most 100 KB"},
    "type": {"enum": list(SCRIPT_TYPES)},
    "status": {"enum": list(SCRIPT_STATUSES), "default": "draft"},
    "cron_expression": {
        "type": ["string", "null"],
        "description": "scheduled: 5 cron fields or an alias such as @daily",
    },
    "timezone": {"type": "string", "default": "UTC", "description": "an IANA time zone"},
    "http_path": {
        "type": ["string", "null"],
        "maxLength": MAX_HTTP_PATH,
        "description": "http: the path under the hooks prefix, starting with /",
    },
    "http_methods": {
        "type": "array",
        "items": {"enum": list(HTTP_METHODS)},
        "description": "http: the methods the route takes",
    },
    "public": {
        "type": "boolean",
        "default": False,
        "description": "http: the route runs without an API key",
    },
    "event_types": {"type": "array", "items": _STRING, "description": "event: the types"},
    "limits": {
        **LIMITS,
        "required": [],
        "description": "Some limits; the others keep their values (defaults on create).",
    },
}
SCRIPT_CREATE = _object(_FIELDS, required=["name", "source", "type"])
SCRIPT_UPDATE = _object(_FIELDS, required=[])
VERSION_SUMMARY = _object(
    {
        "version": _INTEGER,
        "created_at": _TIME,
        "created_by": _NULLABLE_STRING,
        "restored_from": {"type": ["integer", "null"]},
    }
)
VERSION = _object({**VERSION_SUMMARY["properties"], "source": _STRING})
VERSION_LIST = _object({"versions": {"type": "array", "items": VERSION_SUMMARY}})
ROLLBACK = _object({"version": {"type": "integer", "minimum": 1}})
TRIGGER = _object(
    {
        "type": {"enum": list(TRIGGER_TYPES)},
        "eventType": _NULLABLE_STRING,
        "eventPayload": {},
        "httpRequest": {"type": ["object", "null"]},
        "cronExpression": _NULLABLE_STRING,
    }
)
FAILURE = _object(
    {
        "name": _STRING,
        "message": _STRING,
        "line": {"type": ["integer", "null"]},
        "column": {"type": ["integer", "null"]},
        "stack": _NULLABLE_STRING,
    }
)
LOG = _object(
    {
        "level": {"enum": ["debug", "info", "warn", "error"]},
        "message": _STRING,
        "metadata": {"type": ["object", "null"]},
        "timestamp": _NULLABLE_TIME,
    }
)
EXECUTION = _object(
    {
        "id": _STRING,
        "script_id": _STRING,
        "script_version": _INTEGER,
        "status": {"enum": list(EXECUTION_STATUSES)},
        "trigger": TRIGGER,
        "input": {},
        "output": {},
        "error": {"anyOf": [FAILURE, {"type": "null"}]},
        "logs": {"type": "array", "items": LOG},
        "metrics": {"type": "object"},
        "user_id": {"type": ["string", "integer", "null"]},
        "created_at": _NULLABLE_TIME,
        "started_at": _NULLABLE_TIME,
        "completed_at": _NULLABLE_TIME,
        "event_id": _NULLABLE_STRING,
    }
)
EXECUTION_PAGE = _object(
    {
        "executions": {"type": "array", "items": EXECUTION},
        "total": _INTEGER,
        "offset": _INTEGER,
        "limit": _INTEGER,
    }
)
SCRIPT_DELETED = _object({"id": _STRING, "status": {"const": "deleted"}})

SCRIPT_SCHEMAS = {
    "Script": SCRIPT,
    "ScriptPage": SCRIPT_PAGE,
    "ScriptCreate": SCRIPT_CREATE,
    "ScriptUpdate": SCRIPT_UPDATE,
    "ScriptVersion": VERSION,
    "ScriptVersions": VERSION_LIST,
    "ScriptRollback": ROLLBACK,
    "Execution": EXECUTION,
    "ExecutionPage": EXECUTION_PAGE,
    "ScriptDeleted": SCRIPT_DELETED,
}


def _response(description: str, schema: Schema) -> Schema:
    return {
        "description": description,
        "headers": {"X-Request-ID": {"description": "The request's id.", "schema": _STRING}},
        "content": {"application/json": {"schema": schema}},
    }


_COMMON = {
    "400": _response("Invalid request: each invalid field in error.fields", ERROR),
    "401": _response("Missing or invalid API key", ERROR),
    "403": _response("The API key lacks the route's permission", ERROR),
    "500": _response("Internal error", ERROR),
    "503": _response("The store or the script runner does not answer", ERROR),
}
_NOT_FOUND = {"404": _response("No such script (in the key's tenant)", ERROR)}
_TOO_LARGE = {"413": _response("The body exceeds the size limit", ERROR)}
_CONFLICT = {"409": _response("Another script of the tenant has the name or HTTP path", ERROR)}


def _parameter(name: str, where: str, schema: Schema, description: str) -> Schema:
    return {
        "name": name,
        "in": where,
        "required": where == "path",
        "description": description,
        "schema": schema,
    }


def _body(schema: Schema, description: str) -> Schema:
    return {
        "required": True,
        "description": description,
        "content": {"application/json": {"schema": schema}},
    }


_ID = _parameter("script_id", "path", _STRING, "The script's id (a UUID).")
_MAX_COUNT = 999_999_999
_COUNT: Schema = {"type": "integer", "minimum": 1, "maximum": _MAX_COUNT}
_OFFSET: Schema = {"type": "integer", "minimum": 0, "maximum": _MAX_COUNT}
_PER_PAGE: Schema = {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE}
_SEARCH: Schema = {"type": "string", "maxLength": 200, "pattern": "^[^\\x00-\\x1f\\x7f]*$"}

SCRIPT_OPERATIONS: dict[str, Schema] = {
    "list_scripts": {
        "description": "Scripts by name, filtered; search matches the name or description.",
        "parameters": [
            _parameter("type", "query", {"enum": list(SCRIPT_TYPES)}, "Only this type."),
            _parameter("status", "query", {"enum": list(SCRIPT_STATUSES)}, "Only this status."),
            _parameter("search", "query", _SEARCH, "In the name or description, any case."),
            _parameter("page", "query", _COUNT, "From 1 (default 1)."),
            _parameter("per_page", "query", _PER_PAGE, f"1 to {MAX_PER_PAGE} (default 20)."),
        ],
        "responses": {**_COMMON, "200": _response("A page of scripts", SCRIPT_PAGE)},
    },
    "create_script": {
        "requestBody": _body(SCRIPT_CREATE, "The script's fields."),
        "responses": {
            **_COMMON,
            **_CONFLICT,
            **_TOO_LARGE,
            "201": {
                **_response("The script, stored with its version 1", SCRIPT),
                "headers": {
                    "X-Request-ID": {"description": "The request's id.", "schema": _STRING},
                    "Location": {"description": "The script's path.", "schema": _STRING},
                },
            },
        },
    },
    "get_script": {
        "parameters": [_ID],
        "responses": {**_COMMON, **_NOT_FOUND, "200": _response("The script", SCRIPT)},
    },
    "update_script": {
        "description": "Change the fields given; the others are kept. A new source is stored "
        "as a new version.",
        "parameters": [_ID],
        "requestBody": _body(SCRIPT_UPDATE, "The fields that change."),
        "responses": {
            **_COMMON,
            **_NOT_FOUND,
            **_CONFLICT,
            **_TOO_LARGE,
            "200": _response("The script as changed", SCRIPT),
        },
    },
    "delete_script": {
        "parameters": [_ID],
        "responses": {
            **_COMMON,
            **_NOT_FOUND,
            "200": _response("The script, its versions and executions are gone", SCRIPT_DELETED),
        },
    },
    "list_script_versions": {
        "parameters": [_ID],
        "responses": {
            **_COMMON,
            **_NOT_FOUND,
            "200": _response("Every stored version, oldest first", VERSION_LIST),
        },
    },
    "get_script_version": {
        "parameters": [_ID, _parameter("version", "path", _STRING, "The version's number.")],
        "responses": {
            **_COMMON,
            "404": _response("No such script or version", ERROR),
            "200": _response("The version, with its source", VERSION),
        },
    },
    "rollback_script": {
        "description": "Make a stored version's source the current one, stored as a new version.",
        "parameters": [_ID],
        "requestBody": _body(ROLLBACK, "The version to restore."),
        "responses": {
            **_COMMON,
            "404": _response("No such script or version", ERROR),
            "409": _response("The script changed meanwhile; try again", ERROR),
            **_TOO_LARGE,
            "200": _response("The script as restored", SCRIPT),
        },
    },
    "execute_script": {
        "description": "Run the script with the body as context.input (trigger type api), "
        "wait for it and answer the recorded execution: its status is completed, failed, "
        "timeout or cancelled.",
        "parameters": [_ID],
        "requestBody": _body({"type": "object"}, "The script's input."),
        "responses": {
            **_COMMON,
            **_NOT_FOUND,
            "409": _response("The script is disabled or archived", ERROR),
            **_TOO_LARGE,
            "200": _response("The execution", EXECUTION),
        },
    },
    "list_script_executions": {
        "parameters": [
            _ID,
            _parameter("status", "query", {"enum": list(EXECUTION_STATUSES)}, "Only these."),
            _parameter("offset", "query", _OFFSET, "How many to skip (default 0)."),
            _parameter("limit", "query", _PER_PAGE, "1 to 100 (default 20)."),
        ],
        "responses": {
            **_COMMON,
            **_NOT_FOUND,
            "200": _response("A window of executions, newest first", EXECUTION_PAGE),
        },
    },
    "get_script_execution": {
        "parameters": [_ID, _parameter("execution_id", "path", _STRING, "The execution's id.")],
        "responses": {
            **_COMMON,
            "404": _response("No such script or execution", ERROR),
            "200": _response("The execution", EXECUTION),
        },
    },
}
