"""The OpenAPI description of the ``/scripts/dead-letters`` routes: their bodies and operations."""

from __future__ import annotations

from esruntime.scripts.service import MAX_PER_PAGE
from esruntime.web.openapi.bodies import ERROR, Schema
from esruntime.web.openapi.scripts import (
    _COMMON,
    _OFFSET,
    _PER_PAGE,
    _STRING,
    _TIME,
    EXECUTION,
    _object,
    _parameter,
    _response,
)

__all__ = ["DEAD_LETTER_OPERATIONS", "DEAD_LETTER_SCHEMAS"]

DEAD_LETTER = _object(
    {
        "id": _STRING,
        "script_id": _STRING,
        "event_id": _STRING,
        "event_type": _STRING,
        "position": {"type": "integer", "description": "The event's position in the store."},
        "attempts": {"type": "integer", "description": "How many times the script ran for it."},
        "error": {"type": "string", "description": "The last try's error."},
        "created_at": _TIME,
    }
)
DEAD_LETTER_PAGE = _object(
    {
        "dead_letters": {"type": "array", "items": DEAD_LETTER},
        "total": {"type": "integer"},
        "offset": {"type": "integer"},
        "limit": {"type": "integer"},
    }
)
DEAD_LETTER_RETRY = _object(
    {
        "execution": EXECUTION,
        "dead_letter": {
            "anyOf": [DEAD_LETTER, {"type": "null"}],
            "description": "The letter as kept after a failed try; null once the run completed.",
        },
    }
)
DEAD_LETTER_DISCARDED = _object({"id": _STRING, "status": {"const": "discarded"}})

DEAD_LETTER_SCHEMAS = {
    "DeadLetter": DEAD_LETTER,
    "DeadLetterPage": DEAD_LETTER_PAGE,
    "DeadLetterRetry": DEAD_LETTER_RETRY,
    "DeadLetterDiscarded": DEAD_LETTER_DISCARDED,
}

_ID = _parameter("letter_id", "path", _STRING, "The dead letter's id.")
_NOT_FOUND = {"404": _response("No such dead letter (in the key's tenant)", ERROR)}
_SCRIPT_ID: Schema = {
    "type": "string",
    "minLength": 1,
    "maxLength": 100,
    "pattern": "^[^\\x00-\\x1f\\x7f]*$",
}

DEAD_LETTER_OPERATIONS: dict[str, Schema] = {
    "list_dead_letters": {
        "description": "The events the tenant's event scripts gave up on after their retries, "
        "oldest event first.",
        "parameters": [
            _parameter("script_id", "query", _SCRIPT_ID, "Only this script's."),
            _parameter("offset", "query", _OFFSET, "How many to skip (default 0)."),
            _parameter("limit", "query", _PER_PAGE, f"1 to {MAX_PER_PAGE} (default 20)."),
        ],
        "responses": {**_COMMON, "200": _response("A window of dead letters", DEAD_LETTER_PAGE)},
    },
    "get_dead_letter": {
        "parameters": [_ID],
        "responses": {**_COMMON, **_NOT_FOUND, "200": _response("The dead letter", DEAD_LETTER)},
    },
    "retry_dead_letter": {
        "description": "Run the letter's script for its event again, now, and wait for it. A "
        "completed run forgets the letter; any other outcome counts one more attempt on it and "
        "keeps its error.",
        "parameters": [_ID],
        "responses": {
            **_COMMON,
            "404": _response("No such dead letter, or its event is gone", ERROR),
            "409": _response("The script is disabled or archived", ERROR),
            "200": _response("The execution, and the letter unless it is gone", DEAD_LETTER_RETRY),
        },
    },
    "discard_dead_letter": {
        "parameters": [_ID],
        "responses": {
            **_COMMON,
            **_NOT_FOUND,
            "200": _response("The letter is forgotten", DEAD_LETTER_DISCARDED),
        },
    },
}
