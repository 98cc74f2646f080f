"""The value-level parts of validation: checks of scalar values against ESDL's scalar types,
the words used to describe values in messages, and the nesting limit of event data.

Each check takes a non-null value and returns ``None`` when it is acceptable, or the violation
message (``expected a number (Float), got the string '12'``). Checks are plain functions so that
the compiled validators call them without any dispatch; they never raise.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from math import isfinite

__all__ = [
    "INT_RANGE",
    "LONG_RANGE",
    "MAX_DEPTH",
    "SCALAR_CHECKS",
    "ScalarCheck",
    "describe",
    "enum_check",
    "expected",
]

MAX_DEPTH = 100
"""The deepest nesting of objects and arrays in event data, the data itself being level 1.

Deeper data could not be encoded or decoded by the stores' JSON codecs (they recurse), and the
bound keeps the validator and the upcaster from recursing without end through cyclic Python
structures.
"""

ScalarCheck = Callable[[object], str | None]
"""A non-null value's violation message, or ``None``."""

INT_RANGE = (-(2**31), 2**31 - 1)
LONG_RANGE = (-(2**63), 2**63 - 1)
_SHOWN_CHARACTERS = 40
_SHOWN_VARIANTS = 10

# RFC 4648 base64, standard alphabet, padding required. b64decode(s, validate=True) is not
# strict enough: it accepts excess padding ("QUJD=", "QUJD=="), so the grammar is stated here.
_BASE64 = re.compile(r"(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?")

# RFC 3339 date-time, in the upper-case form: datetime.fromisoformat alone is too lenient (it
# takes "2024-01-01 00:00Z", "+0530", "20240101T000000Z", ",5" fractions and offset minutes
# above 59) and, on Python 3.11, refuses the lower-case "t" and "z" that RFC 3339 allows, so
# handlers could not read those back. The regex fixes the syntax; fromisoformat then checks the
# calendar (February 30th, hour 24) and refuses what datetime cannot represent: year 0000 and
# the leap second :60.
_RFC3339 = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?"
    r"(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])"
)

# The canonical text form (str(uuid.UUID(s)) == s). Lower case only: a Uuid domain id becomes a
# tag, and "A0..." and "a0..." would otherwise be two tags for one identity.
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def describe(value: object) -> str:
    """What a value is, in JSON words: ``the string '12'``, ``an array``, ``a Python tuple``.

    Never ``repr`` of a container (it may be deeply nested or cyclic) nor of a huge value.
    """
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"the boolean {'true' if value else 'false'}"
    if isinstance(value, int):
        if value.bit_length() > 128:
            return f"a {value.bit_length():,}-bit integer"
        return f"the integer {int(value)}"
    if isinstance(value, float):
        return f"the number {float(value)!r}"
    if isinstance(value, str):
        if len(value) > _SHOWN_CHARACTERS:
            return f"the string {value[:_SHOWN_CHARACTERS]!r}... ({len(value):,} characters)"
        return f"the string {str(value)!r}"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return f"a Python {type(value).__qualname__}"


def expected(what: str, type_name: str, value: object) -> str:
    """The message for a value of the wrong kind: ``expected <what> (<Type>), got <value>``."""
    return f"expected {what} ({type_name}), got {describe(value)}"


def _string(value: object) -> str | None:
    return None if isinstance(value, str) else expected("a string", "String", value)


def _integer(type_name: str, low: int, high: int) -> ScalarCheck:
    in_range = f"an integer between {low} and {high}"

    def check(value: object) -> str | None:
        if type(value) is int or (isinstance(value, int) and not isinstance(value, bool)):
            return None if low <= value <= high else expected(in_range, type_name, value)
        return expected("an integer", type_name, value)

    return check


def _number(type_name: str) -> ScalarCheck:
    def check(value: object) -> str | None:
        if isinstance(value, float):
            return None if isfinite(value) else expected("a finite number", type_name, value)
        if isinstance(value, int) and not isinstance(value, bool):
            try:
                float(value)  # rounds to the nearest double; overflows only beyond them all
            except OverflowError:
                return expected("a number within the range of a double", type_name, value)
            return None
        return expected("a number", type_name, value)

    return check


def _bool(value: object) -> str | None:
    return None if isinstance(value, bool) else expected("a boolean", "Bool", value)


def _bytes(value: object) -> str | None:
    if isinstance(value, str) and _BASE64.fullmatch(value):
        return None
    return expected("a padded standard base64 string", "Bytes", value)


def _timestamp(value: object) -> str | None:
    if isinstance(value, str) and _RFC3339.fullmatch(value):
        try:
            datetime.fromisoformat(value)
        except ValueError as exc:
            return f"{expected('an RFC 3339 timestamp', 'Timestamp', value)} ({exc})"
        return None
    return expected("an RFC 3339 timestamp", "Timestamp", value)


def _uuid(value: object) -> str | None:
    if isinstance(value, str) and _UUID.fullmatch(value):
        return None
    return expected("a lower-case hyphenated UUID", "Uuid", value)


SCALAR_CHECKS: dict[str, ScalarCheck] = {
    "String": _string,
    "Int": _integer("Int", *INT_RANGE),
    "Long": _integer("Long", *LONG_RANGE),
    "Float": _number("Float"),
    "Double": _number("Double"),
    "Bool": _bool,
    "Bytes": _bytes,
    "Timestamp": _timestamp,
    "Uuid": _uuid,
}
"""Every scalar but ``Json``, whose values are containers and are walked by the validator."""


def enum_check(name: str, variants: tuple[str, ...]) -> ScalarCheck:
    """A check that the value is one of an enum's variant names."""
    allowed = frozenset(variants)
    shown = ", ".join(repr(v) for v in variants[:_SHOWN_VARIANTS])
    if len(variants) > _SHOWN_VARIANTS:
        shown += f" (and {len(variants) - _SHOWN_VARIANTS} more)"
    what = f"one of {shown}" if variants else "a variant of an enum that has none"

    def check(value: object) -> str | None:
        if isinstance(value, str) and value in allowed:
            return None
        return expected(what, name, value)

    return check
