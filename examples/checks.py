"""Input checks shared by the Python example handlers, worded like the guest SDKs' own, and the
pieces of their input schemas."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from esruntime.handlers import Rejection

TEXT: Mapping[str, Any] = {"type": "string", "minLength": 1}
"""The input schema of a field ``need_str`` accepts: a non-empty string."""


def required(**fields: Mapping[str, Any]) -> dict[str, Any]:
    """An input schema: an object with these fields (schemas by name, in order), all required."""
    return {"type": "object", "properties": fields, "required": list(fields)}


def need_str(command: Mapping[str, Any], key: str) -> Rejection | None:
    """A rejection unless ``command[key]`` is a non-empty string (``esr_need_str`` in C)."""
    value = command.get(key)
    if isinstance(value, str) and value:
        return None
    return Rejection("invalid_input", f"{key} must be a non-empty string")


def number(value: object) -> float | None:
    """The value as the guests read a JSON number (a double), or None if it is not a finite one."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        result = float(value)
    except OverflowError:  # an integer beyond a double's range reads as infinity
        return None
    return result if math.isfinite(result) else None


def need_num(command: Mapping[str, Any], key: str) -> Rejection | None:
    """A rejection unless ``command[key]`` is a finite number (``esr_need_num`` in C)."""
    if number(command.get(key)) is None:
        return Rejection("invalid_input", f"{key} must be a number")
    return None


def first(*checks: Rejection | None) -> Rejection | None:
    """The first rejection among checks made in order (the first rejection wins)."""
    return next((check for check in checks if check is not None), None)
