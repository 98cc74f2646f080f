"""Dead letters made the way they are in use: a failing event script, events of its type, and
the event triggers retrying (within milliseconds) until they give up."""

from __future__ import annotations

from typing import Any

from esruntime.consumers import DeadLetter
from esruntime.events import Event
from esruntime.runtime import Runtime
from esruntime.scripts.models import Script
from tests.triggers.helpers import FAST, wait_for

__all__ = ["FAILS", "TRIGGERS", "dead_letters_of", "failing_script"]

FAILS = "throw new Error('no ' + context.trigger.eventPayload.n);"
TRIGGERS: dict[str, Any] = {"event_triggers": FAST}
"""Runtime options: triggers that retry within milliseconds."""


def failing_script(runtime: Runtime, tenant: str, events: int, name: str = "failing") -> Script:
    """An active event script that throws, and ``events`` events of its type appended after it:
    once the triggers run, each becomes a dead letter (see :func:`dead_letters_of`)."""
    script = runtime.scripts.create(
        name=name,
        type="event",
        status="active",
        event_types=["order.created"],
        source=FAILS,
        tenant=tenant,
    )
    store = runtime.tenant(tenant).store
    for n in range(events):
        store.append(Event("order.created", {"n": n}))
    return script


def dead_letters_of(
    runtime: Runtime, tenant: str, count: int, script_id: str | None = None
) -> tuple[DeadLetter, ...]:
    """The tenant's dead letters (of one script), once there are ``count``."""

    def found() -> tuple[DeadLetter, ...] | None:
        page = runtime.scripts.dead_letters(tenant=tenant, script_id=script_id, limit=100)
        return page.items if page.total == count and len(page.items) == count else None

    return wait_for(found)
