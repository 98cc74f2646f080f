"""What a run hands to the prelude: the script, its context as ``docs/scripts.md`` lists it, limits.

The context a script sees is exactly ``tenantId``, ``userId``, ``organizationId``,
``scriptId``, ``executionId``, ``input`` and ``trigger`` (``type``, ``eventType``,
``eventPayload``, ``httpRequest``, ``cronExpression``): missing keys are ``null`` (``input``
defaults to ``{}``), unknown keys are refused so that a typo in the host cannot hide.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

from esruntime.errors import ScriptRunnerError
from esruntime.scripts.runner import RunLimits

__all__ = [
    "CONTEXT_KEYS",
    "MAX_PENDING_CALLS",
    "TRIGGER_KEYS",
    "encode_payload",
    "first_script_line",
    "prelude",
    "script_context",
]

CONTEXT_KEYS = (
    "tenantId",
    "userId",
    "organizationId",
    "scriptId",
    "executionId",
    "input",
    "trigger",
)
TRIGGER_KEYS = ("type", "eventType", "eventPayload", "httpRequest", "cronExpression")
MAX_PENDING_CALLS = 100_000
"""SDK calls a script may queue without yielding; log lines do not count (they are bounded by
``RunLimits.log_lines``)."""


@cache
def prelude() -> tuple[str, int]:
    """The prelude's source and its line count (the script is padded below that line)."""
    text = resources.files("esruntime.scripts").joinpath("prelude.js").read_text("utf-8")
    return text, text.count("\n") + 1


def script_context(context: Mapping[str, Any]) -> dict[str, Any]:
    """The context exactly as a script sees it; raise :class:`ScriptRunnerError` if unusable."""
    if not isinstance(context, Mapping):
        raise ScriptRunnerError(f"the script context must be a mapping, not {type(context)}")
    unknown = sorted(str(key) for key in context if key not in CONTEXT_KEYS)
    if unknown:
        raise ScriptRunnerError(f"unknown script context keys: {', '.join(unknown)}")
    shaped = {key: context.get(key) for key in CONTEXT_KEYS}
    if shaped["input"] is None:
        shaped["input"] = {}
    trigger = context.get("trigger") or {}
    if not isinstance(trigger, Mapping):
        raise ScriptRunnerError("the script context's trigger must be a mapping")
    unknown = sorted(str(key) for key in trigger if key not in TRIGGER_KEYS)
    if unknown:
        raise ScriptRunnerError(f"unknown script trigger keys: {', '.join(unknown)}")
    shaped["trigger"] = {key: trigger.get(key) for key in TRIGGER_KEYS}
    return shaped


def encode_payload(
    source: str,
    context: Mapping[str, Any],
    limits: RunLimits,
    *,
    remove: tuple[str, ...] = (),
) -> str:
    """The JSON the prelude's ``start`` takes (ASCII only, so every engine accepts it)."""
    if not isinstance(source, str):
        raise ScriptRunnerError(f"the script source must be a string, not {type(source)}")
    _, lines = prelude()
    removed = json.dumps(list(remove))
    try:
        shaped = json.dumps(script_context(context), allow_nan=False, separators=(",", ":"))
    except (TypeError, ValueError, RecursionError) as exc:
        raise ScriptRunnerError(f"the script context is not JSON: {exc}") from None
    return (
        f'{{"source":{json.dumps(source)},"context":{shaped},"outputLimit":{limits.output_bytes},'
        f'"maxPending":{MAX_PENDING_CALLS},"maxLogLines":{limits.log_lines},"padding":{lines},'
        f'"remove":{removed}}}'
    )


def first_script_line() -> int:
    """The line the script's first line has in engine stacks: the function header is two lines
    (``(async function anonymous(`` and ``) {``), then the padding."""
    return prelude()[1] + 3
