"""The field rules of a script (``docs/scripts.md``), every problem reported per field.

:func:`check_fields` takes the fields as given by a caller (Python values or form strings
already converted by the web layer) and returns the normalized fields and a mapping from each
invalid field to its message. Trigger fields of another type than the script's are dropped, so a
form that keeps hidden inputs filled when its type changes stores nothing stray.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from esruntime.scripts.models import (
    HTTP_METHODS,
    LIMIT_RANGES,
    SCRIPT_STATUSES,
    SCRIPT_TYPES,
    ScriptLimits,
)
from esruntime.triggers.cron import ALIASES, CronError, CronSchedule, check_timezone

__all__ = [
    "CRON_ALIASES",
    "FIELDS",
    "MAX_SOURCE_BYTES",
    "check_cron",
    "check_fields",
    "check_limits",
]

MAX_SOURCE_BYTES = 100 * 1024
MAX_DESCRIPTION = 500
MAX_HTTP_PATH = 500
MAX_EVENT_TYPES = 50
MAX_EVENT_TYPE_LENGTH = 200
MAX_USER_LENGTH = 200
CRON_ALIASES = tuple(ALIASES)

FIELDS = (
    "name",
    "description",
    "source",
    "type",
    "status",
    "cron_expression",
    "timezone",
    "http_path",
    "http_methods",
    "event_types",
    "limits",
    "public",
)
"""The fields a caller may set on a script."""

_CONTROL = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")
_CONTROL_EXCEPT_LINES = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_PATH = re.compile(r"/[A-Za-z0-9\-._~!$&'()*+,;=:@%/{}]*")


def check_fields(fields: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The normalized fields and the problems of the invalid ones (empty when all are valid).

    ``fields`` holds every field of :data:`FIELDS` (absent ones are taken as empty).
    """
    problems: dict[str, str] = {}
    out: dict[str, Any] = {}
    unknown = sorted(set(fields) - set(FIELDS))
    for name in unknown:
        problems[name] = "is not a field of a script"

    out["name"] = _text(fields.get("name"), "name", problems, minimum=3, maximum=100)
    out["description"] = (
        _text(fields.get("description") or "", "description", problems, maximum=MAX_DESCRIPTION)
        or ""
    )
    out["source"] = _source(fields.get("source"), problems)
    script_type = fields.get("type")
    if script_type not in SCRIPT_TYPES:
        problems["type"] = _choice_problem(script_type, SCRIPT_TYPES, "type")
    out["type"] = script_type
    status = fields.get("status") or "draft"
    if status not in SCRIPT_STATUSES:
        problems["status"] = _choice_problem(status, SCRIPT_STATUSES, "status")
    out["status"] = status
    out["timezone"] = _timezone(fields.get("timezone") or "UTC", problems)

    out["cron_expression"] = None
    out["http_path"] = None
    out["http_methods"] = ()
    out["event_types"] = ()
    public = fields.get("public")
    if public is not None and not isinstance(public, bool):
        problems["public"] = f"must be true or false, got {type(public).__name__}"
    out["public"] = public is True and script_type == "http"
    if script_type == "scheduled":
        expression = fields.get("cron_expression")
        problem = check_cron(expression, out["timezone"] if "timezone" not in problems else "UTC")
        if problem:
            problems["cron_expression"] = problem
        out["cron_expression"] = (
            " ".join(expression.split()) if isinstance(expression, str) else None
        )
    elif script_type == "http":
        out["http_path"] = _http_path(fields.get("http_path"), problems)
        out["http_methods"] = _http_methods(fields.get("http_methods"), problems)
    elif script_type == "event":
        out["event_types"] = _event_types(fields.get("event_types"), problems)

    limits, limit_problems = check_limits(fields.get("limits"))
    problems.update(limit_problems)
    out["limits"] = limits
    return out, problems


def check_limits(value: object) -> tuple[ScriptLimits, dict[str, str]]:
    """Limits from a :class:`ScriptLimits`, a mapping of some of them, or None (the defaults);
    problems are keyed by the limit's name (``max_memory_bytes``...)."""
    if value is None:
        return ScriptLimits(), {}
    if isinstance(value, ScriptLimits):
        value = value.to_dict()
    if not isinstance(value, Mapping):
        return ScriptLimits(), {"limits": "must be a mapping of limit names to integers"}
    problems: dict[str, str] = {}
    values: dict[str, int] = {}
    for name, given in value.items():
        if name not in LIMIT_RANGES:
            problems[str(name)] = "is not a script limit"
            continue
        if given is None:
            continue
        low, high = LIMIT_RANGES[name]
        if not isinstance(given, int) or isinstance(given, bool):
            problems[name] = f"must be an integer, got {given!r}"
        elif not low <= given <= high:
            problems[name] = f"must be between {low:,} and {high:,}, got {given:,}"
        else:
            values[name] = given
    if problems:
        return ScriptLimits(), problems
    return ScriptLimits(**values), {}


def check_cron(expression: object, timezone: str = "UTC") -> str | None:
    """What is wrong with a cron expression, or None: 5 fields or an alias, and firing at all
    (:class:`~esruntime.triggers.cron.CronSchedule` is the rule)."""
    try:
        CronSchedule.parse(expression, timezone)
    except CronError as exc:
        return exc.message if exc.field == "cron_expression" else None
    return None


def _text(
    value: object, name: str, problems: dict[str, str], *, minimum: int = 0, maximum: int
) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip() and minimum):
        problems[name] = "is required"
        return None
    if not isinstance(value, str):
        problems[name] = f"must be a string, got {type(value).__name__}"
        return None
    text = value.strip()
    if _CONTROL.search(text) if name == "name" else _CONTROL_EXCEPT_LINES.search(text):
        problems[name] = "must not contain control characters"
    elif len(text) < minimum:
        problems[name] = f"must be at least {minimum} characters, got {len(text)}"
    elif len(text) > maximum:
        problems[name] = f"must be at most {maximum} characters, got {len(text)}"
    return text


def _source(value: object, problems: dict[str, str]) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        problems["source"] = "is required"
        return None
    if not isinstance(value, str):
        problems["source"] = f"must be a string, got {type(value).__name__}"
        return None
    try:
        size = len(value.encode("utf-8"))
    except UnicodeEncodeError:
        problems["source"] = "must be valid Unicode text (it has an unpaired surrogate)"
        return None
    if size > MAX_SOURCE_BYTES:
        problems["source"] = f"must be at most {MAX_SOURCE_BYTES:,} bytes, got {size:,}"
    elif "\x00" in value:
        problems["source"] = "must not contain NUL characters"
    return value


def _timezone(value: object, problems: dict[str, str]) -> str:
    try:
        return check_timezone(value).key
    except CronError as exc:
        problems["timezone"] = exc.message
        return value.strip() if isinstance(value, str) else "UTC"


def _http_path(value: object, problems: dict[str, str]) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        problems["http_path"] = "is required for an http script"
        return None
    if not isinstance(value, str):
        problems["http_path"] = f"must be a string, got {type(value).__name__}"
        return None
    path = value.strip()
    if not path.startswith("/"):
        problems["http_path"] = f"must start with '/', got {path[:100]!r}"
    elif len(path) > MAX_HTTP_PATH:
        problems["http_path"] = f"must be at most {MAX_HTTP_PATH} characters, got {len(path)}"
    elif "//" in path or "/../" in path + "/" or "/./" in path + "/":
        problems["http_path"] = f"must not contain empty, '.' or '..' segments: {path!r}"
    elif not _PATH.fullmatch(path):
        problems["http_path"] = (
            f"{path!r} has characters a URL path cannot hold (spaces, '?', '#', controls...)"
        )
    return path


def _http_methods(value: object, problems: dict[str, str]) -> tuple[str, ...]:
    items = _string_list(value, "http_methods", problems)
    if items is None:
        return ()
    if not items:
        problems["http_methods"] = "at least one method is required for an http script"
        return ()
    methods = tuple(dict.fromkeys(item.strip().upper() for item in items))
    bad = [m for m in methods if m not in HTTP_METHODS]
    if bad:
        problems["http_methods"] = (
            f"{', '.join(repr(m[:20]) for m in bad[:5])} not allowed; use {', '.join(HTTP_METHODS)}"
        )
    return methods


def _event_types(value: object, problems: dict[str, str]) -> tuple[str, ...]:
    items = _string_list(value, "event_types", problems)
    if items is None:
        return ()
    types = tuple(dict.fromkeys(item.strip() for item in items))
    if not types:
        problems["event_types"] = "at least one event type is required for an event script"
    elif len(types) > MAX_EVENT_TYPES:
        problems["event_types"] = f"at most {MAX_EVENT_TYPES} event types, got {len(types)}"
    else:
        for event_type in types:
            if not event_type or len(event_type) > MAX_EVENT_TYPE_LENGTH:
                problems["event_types"] = (
                    f"an event type is 1 to {MAX_EVENT_TYPE_LENGTH} characters, "
                    f"got {event_type[:40]!r}"
                )
                break
            if _CONTROL.search(event_type) or any(c.isspace() for c in event_type):
                problems["event_types"] = (
                    f"{event_type[:40]!r} must not contain spaces or control characters"
                )
                break
    return types


def _string_list(value: object, name: str, problems: dict[str, str]) -> list[str] | None:
    if value is None:
        return []
    if isinstance(value, str):
        # One value, or a comma-separated list as a text input gives it.
        return [part for part in value.split(",") if part.strip()]
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        problems[name] = "must be a list of strings"
        return None
    return [v for v in value if v.strip()]


def _choice_problem(value: object, choices: tuple[str, ...], what: str) -> str:
    if value is None or value == "":
        return f"is required ({', '.join(choices)})"
    return f"{str(value)[:40]!r} is not a script {what} ({', '.join(choices)})"
