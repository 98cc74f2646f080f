"""The OpenAPI description of every route: parameters, request bodies, responses and headers.

Plain JSON Schema (OpenAPI 3.1), so any adapter can publish it; the FastAPI adapter merges each
route's fragment into the operation FastAPI generates.
"""

from __future__ import annotations

import copy
from typing import Any

from esruntime.handlers.manifest import MAX_VERSION_LENGTH
from esruntime.web.openapi.bodies import (
    COMMAND_CONFLICT,
    COMMAND_OK,
    COMMAND_REJECTED,
    CURRENT_VERSION,
    ERROR,
    EVENT_DETAIL,
    EVENTS_PAGE,
    EVENTS_QUERY,
    HANDLER_DELETED,
    HANDLER_DETAIL,
    HANDLER_LIST,
    HEALTH,
    SCHEMA_ACCEPTED,
    SCHEMA_REJECTED,
    SCHEMA_VIEW,
    UPLOAD_ACCEPTED,
    UPLOAD_REJECTED,
    Schema,
)
from esruntime.web.openapi.dead_letters import DEAD_LETTER_OPERATIONS
from esruntime.web.openapi.scripts import SCRIPT_OPERATIONS

__all__ = ["OPERATIONS", "operation"]

_STRING: Schema = {"type": "string"}
_REQUEST_ID = {
    "X-Request-ID": {
        "description": "The request's id, also in error bodies and the server's log.",
        "schema": _STRING,
    }
}
_ERRORS = {
    400: "Invalid request: malformed JSON, wrong content type, unknown or invalid fields",
    401: "Missing or invalid API key",
    403: "The API key lacks the route's permission",
    404: "Not found",
    409: "Conflict",
    413: "The body exceeds the size limit",
    422: "Refused",
    500: "Internal error",
    503: "The event store does not answer",
}


def _json(description: str, *schemas: Schema, headers: dict[str, Any] | None = None) -> Schema:
    schema = schemas[0] if len(schemas) == 1 else {"oneOf": list(schemas)}
    return {
        "description": description,
        "headers": {**_REQUEST_ID, **(headers or {})},
        "content": {"application/json": {"schema": schema}},
    }


def _error(status: int, description: str | None = None) -> tuple[str, Schema]:
    return str(status), _json(description or _ERRORS[status], ERROR)


def _path_parameter(name: str, description: str) -> Schema:
    return {"name": name, "in": "path", "required": True, "description": description,
            "schema": _STRING}  # fmt: skip


def _body(media: str, schema: Schema, description: str) -> Schema:
    return {"required": True, "description": description, "content": {media: {"schema": schema}}}


_COMMON = dict([_error(400), _error(401), _error(403), _error(500), _error(503)])
_BODY_ERRORS = dict([_error(413)])


def _responses(specific: dict[str, Schema], *, authenticated: bool = True) -> dict[str, Schema]:
    """The route's own responses over the ones every route may give."""
    common = _COMMON if authenticated else dict([_error(400), _error(500)])
    return {**common, **specific}


_COMMAND = _path_parameter("command_name", "The command's name, e.g. transfer_funds.")
_RETRIES = {
    "X-Retry-Count": {
        "description": "How many times the command was re-run after a concurrent change.",
        "schema": {"type": "integer"},
    }
}
_FORCE = {
    "name": "force",
    "in": "query",
    "required": False,
    "description": "Accept breaking changes (creates a new schema version).",
    "schema": {"type": "boolean", "default": False},
}
_RAW = {
    "name": "raw",
    "in": "query",
    "required": False,
    "description": "Answer the data as stored; by default events are upcast to the current "
    "schema (fields added with a default since they were stored are filled in).",
    "schema": {"type": "boolean", "default": False},
}
_ESDL = _body("text/plain", _STRING, "ESDL schema text (UTF-8).")

OPERATIONS: dict[str, Schema] = {
    "execute_command": {
        "description": "Execute a registered command handler with the JSON body as its input.",
        "parameters": [
            _COMMAND,
            {
                "name": "X-Idempotency-Key",
                "in": "header",
                "required": False,
                "description": "Ensures exactly-once execution: a repeat returns the first "
                "result without running the handler. Visible ASCII, inner spaces allowed.",
                "schema": {
                    "type": "string",
                    "maxLength": 200,
                    "pattern": "^[\\x21-\\x7e]([\\x20-\\x7e]*[\\x21-\\x7e])?$",
                },
            },
        ],
        "requestBody": _body("application/json", {"type": "object"}, "The command's input."),
        "responses": _responses(
            {
                "200": _json("The command succeeded", COMMAND_OK, headers=_RETRIES),
                "400": _json(
                    "Invalid input (a rejection with code invalid_input), or an invalid request",
                    COMMAND_REJECTED,
                    ERROR,
                ),
                "404": _json("No handler is registered with this name", ERROR),
                "409": _json("Concurrent modification; retry", COMMAND_CONFLICT, headers=_RETRIES),
                "413": _json(_ERRORS[413], ERROR),
                "422": _json(
                    "The handler rejected the command, or the idempotency key was used for "
                    "another request",
                    COMMAND_REJECTED,
                    ERROR,
                    headers=_RETRIES,
                ),
                "500": _json("Internal error, or the handler faulted (code handler_fault)", ERROR),
            }
        ),
    },
    "get_schema": {
        "responses": _responses(
            {
                "200": _json("The current schema", SCHEMA_VIEW),
                **dict([_error(404, "No schema has been pushed yet")]),
            }
        )
    },
    "put_schema": {
        "parameters": [_FORCE],
        "requestBody": _ESDL,
        "responses": _responses(
            {
                "200": _json("The new version and its changes", SCHEMA_ACCEPTED),
                "400": _json("The text is not valid ESDL, or an invalid request", ERROR),
                "413": _json(_ERRORS[413], ERROR),
                "422": _json("Breaking changes rejected", SCHEMA_REJECTED),
            }
        ),
    },
    "validate_schema": {
        "description": "Same as PUT /schema, without storing anything.",
        "parameters": [_FORCE],
        "requestBody": _ESDL,
        "responses": _responses(
            {
                "200": _json("What would change", SCHEMA_ACCEPTED),
                "400": _json("The text is not valid ESDL, or an invalid request", ERROR),
                "413": _json(_ERRORS[413], ERROR),
                "422": _json("Breaking changes would be rejected", SCHEMA_REJECTED),
            }
        ),
    },
    "list_handlers": {
        "responses": _responses(
            {
                "200": _json("Every handler", HANDLER_LIST),
            }
        )
    },
    "get_handler": {
        "parameters": [_COMMAND],
        "responses": _responses(
            {
                "200": _json("The handler", HANDLER_DETAIL),
                **dict([_error(404, "No handler is registered with this name")]),
            }
        ),
    },
    "put_handler": {
        "parameters": [
            _COMMAND,
            {
                "name": "X-Handler-Version",
                "in": "header",
                "required": True,
                "description": "The semantic version of the module (1.2.0), at most 64 characters.",
                "schema": {"type": "string", "maxLength": MAX_VERSION_LENGTH},
            },
        ],
        "requestBody": _body(
            "application/wasm",
            {"type": "string", "format": "binary"},
            "The WebAssembly module (handler ABI v1).",
        ),
        "responses": _responses(
            {
                "200": _json("The module was validated and stored", UPLOAD_ACCEPTED),
                **_BODY_ERRORS,
                "422": _json("Validation errors", UPLOAD_REJECTED),
            }
        ),
    },
    "put_current_version": {
        "description": "Run another stored version of an uploaded handler from the next command "
        "on: a rollback, or a roll forward. The version is checked against today's schema as an "
        "upload is. Uploading a stored version again does not make it current.",
        "parameters": [_COMMAND],
        "requestBody": _body("application/json", CURRENT_VERSION, "The version to run."),
        "responses": _responses(
            {
                "200": _json("The version now runs the commands", UPLOAD_ACCEPTED),
                **dict([_error(404, "No handler with this name, or no such version of it")]),
                **dict([_error(409, "A handler registered in code has no uploaded versions")]),
                **_BODY_ERRORS,
                "422": _json("The version no longer passes the upload checks", UPLOAD_REJECTED),
            }
        ),
    },
    "delete_handler": {
        "parameters": [_COMMAND],
        "responses": _responses(
            {
                "200": _json("The handler and its versions are gone", HANDLER_DELETED),
                **dict([_error(404, "No handler is registered with this name")]),
                **dict([_error(409, "A handler registered in code cannot be deleted")]),
            }
        ),
    },
    "query_events": {
        "parameters": [_RAW],
        "requestBody": _body("application/json", EVENTS_QUERY, "What to read."),
        "responses": _responses(
            {
                "200": _json("A page of matching events, oldest first", EVENTS_PAGE),
                **_BODY_ERRORS,
            }
        ),
    },
    "get_event": {
        "parameters": [_path_parameter("event_id", "The event's id (evt_...)."), _RAW],
        "responses": _responses(
            {
                "200": _json("The event, with its metadata", EVENT_DETAIL),
                **dict([_error(404, "No event has this id")]),
            }
        ),
    },
    "health": {
        "description": "Needs no credentials.",
        "responses": _responses(
            {
                "200": _json("The runtime and its store are up", HEALTH),
                "503": _json("The store does not answer", HEALTH),
            },
            authenticated=False,
        ),
    },
    "metrics": {
        "description": "The caller's tenant's series, in the Prometheus text format (needs the "
        "admin permission).",
        "responses": _responses(
            {
                "200": {
                    "description": "Prometheus text format 0.0.4",
                    "headers": _REQUEST_ID,
                    "content": {"text/plain": {"schema": _STRING}},
                },
            }
        ),
    },
}


OPERATIONS.update(SCRIPT_OPERATIONS)
OPERATIONS.update(DEAD_LETTER_OPERATIONS)


def operation(route: str) -> Schema:
    """The OpenAPI operation fragment of a route (a fresh copy: callers may change it)."""
    return copy.deepcopy(OPERATIONS[route])
