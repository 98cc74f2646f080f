"""Argument checks shared by the value types and the stores: what a name is, and the refusals
of a store's arguments before they reach a database.

A *name* (a tenant, an event id, a consumer, a lease's owner) is a non-empty string of at most
200 characters without control characters or unpaired surrogates: every backend keeps it as
given (PostgreSQL refuses NUL, UTF-8 refuses a lone surrogate), and it prints on one line. The
other checks refuse what a backend could not hold the same way as the others (a count past a
64-bit integer, a naive datetime, a single string where a list of ids belongs), so that every
backend answers bad input with the same error.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from datetime import datetime
from typing import TypeGuard

from esruntime.errors import ConfigurationError, InvalidQueryError

__all__ = [
    "CONTROL_CHARACTERS",
    "MAX_COUNT",
    "MAX_NAME_LENGTH",
    "MAX_TENANT_LENGTH",
    "check_count",
    "check_lookup",
    "check_moment",
    "check_name",
    "check_names",
    "check_read_args",
    "check_seconds",
    "check_tenant",
    "is_name",
]

MAX_NAME_LENGTH = 200
MAX_TENANT_LENGTH = MAX_NAME_LENGTH
MAX_COUNT = 2**63 - 1
"""The largest position, offset or limit: a 64-bit integer column's largest value."""

CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\ud800-\udfff]")
"""A control character (U+0000 to U+001F) or an unpaired surrogate."""

_search_control = CONTROL_CHARACTERS.search


def is_name(value: object, max_length: int = MAX_NAME_LENGTH) -> TypeGuard[str]:
    """Whether ``value`` is a name: a non-empty string of at most ``max_length`` characters
    without control characters or unpaired surrogates."""
    return (
        isinstance(value, str) and 0 < len(value) <= max_length and _search_control(value) is None
    )


def check_tenant(tenant: object) -> str:
    """``tenant``, when it is a name; else :class:`ConfigurationError`."""
    if not is_name(tenant):
        raise ConfigurationError(
            f"a tenant name is a non-empty string of at most {MAX_TENANT_LENGTH} characters "
            f"without control characters, got {tenant!r}"
        )
    return tenant


def check_read_args(start: int | None, limit: int | None) -> None:
    if start is not None and (not isinstance(start, int) or isinstance(start, bool) or start < 0):
        raise InvalidQueryError(f"'start' must be a non-negative integer or None, got {start!r}")
    if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool) or limit < 0):
        raise InvalidQueryError(f"'limit' must be a non-negative integer or None, got {limit!r}")


def check_lookup(name: str, value: object) -> str:
    """A string argument of ``get`` or ``count``; refused before it reaches a database."""
    if not isinstance(value, str) or _search_control(value):
        raise InvalidQueryError(
            f"{name} must be a string without control characters, got {value!r}"
        )
    return value


def check_name(what: str, value: object, max_length: int = MAX_NAME_LENGTH) -> str:
    """``value``, when it is a name of at most ``max_length`` characters; else
    :class:`InvalidQueryError` naming the argument ``what``."""
    if not is_name(value, max_length):
        raise InvalidQueryError(
            f"{what} must be a non-empty string of at most {max_length} characters without "
            f"control characters, got {_shown(value)}"
        )
    return value


def check_names(what: str, values: Iterable[str], max_length: int = MAX_NAME_LENGTH) -> list[str]:
    """The names of an iterable (not a single string: its characters are no list of names)."""
    if isinstance(values, str | bytes) or not isinstance(values, Iterable):
        raise InvalidQueryError(f"{what} must be an iterable of strings, got {_shown(values)}")
    return [check_name(f"each of {what}", value, max_length) for value in values]


def check_count(what: str, value: object, minimum: int = 0, maximum: int = MAX_COUNT) -> int:
    """An integer (not a bool) from ``minimum`` to ``maximum``: a position, offset or limit."""
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
        raise InvalidQueryError(
            f"{what} must be an integer from {minimum} to {maximum}, got {_shown(value)}"
        )
    return value


def check_seconds(what: str, value: object, maximum: int) -> float:
    """A positive, finite number of seconds of at most ``maximum`` (an int or a float)."""
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or not 0 < value <= maximum
    ):
        raise InvalidQueryError(
            f"{what} must be a number of seconds above 0 and at most {maximum}, got {_shown(value)}"
        )
    return float(value)


def check_moment(what: str, value: object) -> datetime:
    """A timezone-aware :class:`~datetime.datetime` (a naive one means no instant)."""
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise InvalidQueryError(f"{what} must be a timezone-aware datetime, got {_shown(value)}")
    return value


def _shown(value: object) -> str:
    """``value``'s repr, cut short: a refused argument may be megabytes long."""
    text = repr(value)
    return text if len(text) <= 80 else f"{text[:60]}... ({len(text)} characters)"
