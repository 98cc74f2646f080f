"""``/scripts/dead-letters``: the events a tenant's event scripts gave up on after their retries.

A dead letter names the script, the event, how many tries it had and the last error. Retrying
runs the script for the event again, now, and forgets the letter when the run completes (a
failed try is counted on the letter); discarding forgets it without running anything. The
routes are declared before ``/scripts/{script_id}`` so that routers matching in order reach them.
"""

from __future__ import annotations

from esruntime.errors import ScriptNotFoundError
from esruntime.web.call import Call, Route
from esruntime.web.messages import WebResponse, json_response
from esruntime.web.script_views import dead_letter_page_view, dead_letter_view, execution_view
from esruntime.web.scripts import query_integer, script_errors

__all__ = [
    "DEAD_LETTER_ROUTES",
    "discard_dead_letter",
    "get_dead_letter",
    "list_dead_letters",
    "retry_dead_letter",
]

_NOT_FOUND = "dead_letter_not_found"


def list_dead_letters(call: Call) -> WebResponse:
    """Oldest event first; ``script_id`` keeps one script's."""
    query = call.query
    with script_errors():
        page = call.runtime.scripts.dead_letters(
            tenant=call.tenant.name,
            script_id=query.get("script_id"),
            offset=query_integer(query, "offset", 0),
            limit=query_integer(query, "limit", 20),
        )
    return json_response(200, dead_letter_page_view(page))


def get_dead_letter(call: Call) -> WebResponse:
    with script_errors(_NOT_FOUND):
        letter = call.runtime.scripts.dead_letter(call.param("letter_id"), tenant=call.tenant.name)
    return json_response(200, dead_letter_view(letter))


def retry_dead_letter(call: Call) -> WebResponse:
    """Run the letter's script for its event again and answer the execution with the letter
    as kept (null when the run completed and the letter is gone)."""
    scripts = call.runtime.scripts
    tenant = call.tenant.name
    letter_id = call.param("letter_id")
    with script_errors(_NOT_FOUND):
        execution = scripts.retry_dead_letter(letter_id, tenant=tenant)
    kept = None
    if execution.status != "completed":
        try:
            kept = scripts.dead_letter(letter_id, tenant=tenant)
        except ScriptNotFoundError:  # discarded meanwhile
            kept = None
    return json_response(
        200,
        {
            "execution": execution_view(execution),
            "dead_letter": None if kept is None else dead_letter_view(kept),
        },
    )


def discard_dead_letter(call: Call) -> WebResponse:
    letter_id = call.param("letter_id")
    with script_errors(_NOT_FOUND):
        call.runtime.scripts.discard_dead_letter(letter_id, tenant=call.tenant.name)
    return json_response(200, {"id": letter_id, "status": "discarded"})


_LETTERS = "/scripts/dead-letters"
_LETTER = _LETTERS + "/{letter_id}"
DEAD_LETTER_ROUTES = (
    Route(
        "list_dead_letters",
        "GET",
        _LETTERS,
        list_dead_letters,
        "scripts.read",
        query=("script_id", "offset", "limit"),
        summary="List the events event scripts gave up on",
    ),
    Route(
        "get_dead_letter",
        "GET",
        _LETTER,
        get_dead_letter,
        "scripts.read",
        summary="Get a dead letter",
    ),
    Route(
        "retry_dead_letter",
        "POST",
        _LETTER + "/retry",
        retry_dead_letter,
        "scripts.execute",
        summary="Run a dead letter's script for its event again",
    ),
    Route(
        "discard_dead_letter",
        "DELETE",
        _LETTER,
        discard_dead_letter,
        "scripts.delete",
        summary="Forget a dead letter without running it",
    ),
)
