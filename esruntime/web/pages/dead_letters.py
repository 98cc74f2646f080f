"""An event script's dead letters on its page: retry one (run the script for its event again)
or discard it. With htmx the section comes back in place, saying how a retry went; without
JavaScript the forms post and return to the script's page."""

from __future__ import annotations

from esruntime.errors import ScriptNotFoundError
from esruntime.protocols.consumers import DeadLetter, DeadLetterPage
from esruntime.scripts.models import Execution, Script
from esruntime.web.messages import WebResponse
from esruntime.web.pages.context import PageCall, redirect

__all__ = ["SHOWN", "dead_letters_of", "discard_dead_letter", "retry_dead_letter"]

SHOWN = 20
"""Dead letters shown on a script's page (the oldest events first)."""


def dead_letters_of(call: PageCall, script: Script) -> DeadLetterPage | None:
    """The script's dead letters to show: for an event script, or any script that has some."""
    found = call.pages.service.dead_letters(tenant=call.tenant, script_id=script.id, limit=SHOWN)
    if script.type != "event" and not found.total:
        return None
    return found


def retry_dead_letter(call: PageCall) -> WebResponse:
    """``POST /scripts/:id/dead-letters/:letter_id/retry``: run the script for the letter's
    event again; the letter goes when the run completes, else it counts one more attempt."""
    script, letter = _letter(call)
    execution = call.pages.service.retry_dead_letter(letter.id, tenant=call.tenant)
    if not call.htmx:
        return redirect(call.url(f"/{script.id}") + "#dead-letters")
    return _section(
        call, script, execution, (("HX-Trigger-After-Settle", "esr-executions-changed"),)
    )


def discard_dead_letter(call: PageCall) -> WebResponse:
    """``DELETE /scripts/:id/dead-letters/:letter_id``: forget the letter without running it."""
    script, letter = _letter(call)
    call.pages.service.discard_dead_letter(letter.id, tenant=call.tenant)
    if not call.htmx:
        return redirect(call.url(f"/{script.id}") + "#dead-letters")
    return _section(call, script, None)


def _letter(call: PageCall) -> tuple[Script, DeadLetter]:
    """The page's script and its dead letter (another script's is not found here)."""
    service = call.pages.service
    script = service.get(call.params["id"], tenant=call.tenant)
    letter = service.dead_letter(call.params["letter_id"], tenant=call.tenant)
    if letter.script_id != script.id:
        raise ScriptNotFoundError(f"Script {script.id!r} has no dead letter {letter.id!r}")
    return script, letter


def _section(
    call: PageCall,
    script: Script,
    outcome: Execution | None,
    headers: tuple[tuple[str, str], ...] = (),
) -> WebResponse:
    return call.render(
        "_dead_letters.html",
        200,
        headers,
        script=script,
        dead_letters=dead_letters_of(call, script),
        outcome=outcome,
    )
