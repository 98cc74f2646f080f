"""Values crossing ``sdk.db``: script parameters bound, database values made JSON, errors named.

Parameters are scalars (objects and arrays are bound as JSON text); results are JSON values
(numerics become numbers, dates ISO strings, binary base64, json/jsonb objects). Driver errors
become :class:`SdkError` with the driver's first line, and a cancelled statement a timeout.
"""

from __future__ import annotations

import base64
import datetime
import decimal
import json
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy

from esruntime.errors import SdkError

__all__ = ["bind_values", "rows_values", "translate_error"]

_PLAIN = frozenset({type(None), bool, int, float, str})


def translate_error(exc: sqlalchemy.exc.SQLAlchemyError, timeout_s: float) -> SdkError:
    """The error a script sees for a failed statement."""
    original = getattr(exc, "orig", None)
    message = str(original if original is not None else exc).strip().splitlines()
    first = message[0] if message else type(exc).__name__
    if getattr(original, "sqlstate", None) == "57014" or first == "interrupted":
        return SdkError(f"Query timed out after {int(timeout_s * 1000)} ms")
    return SdkError(f"Query failed: {first}")


def bind_values(params: Sequence[Any] | None, expected: int) -> dict[str, Any]:
    """``{"p1": ..., "p2": ...}`` for a statement taking ``expected`` parameters."""
    params = [] if params is None else params
    if isinstance(params, str | bytes | Mapping) or not isinstance(params, Sequence):
        raise SdkError("Invalid query parameters: params must be an array")
    if len(params) != expected:
        raise SdkError(
            f"Invalid query parameters: the statement takes {expected}, {len(params)} given"
        )
    return {f"p{index}": _parameter(value, index) for index, value in enumerate(params, 1)}


def _parameter(value: Any, index: int) -> Any:
    if value is None or isinstance(value, bool | int | float | str | bytes):
        return value
    if isinstance(value, Mapping | list | tuple):
        try:
            return json.dumps(value, allow_nan=False, separators=(",", ":"))
        except (TypeError, ValueError) as exc:
            raise SdkError(f"Invalid query parameters: parameter {index} ({exc})") from None
    raise SdkError(f"Invalid query parameters: parameter {index} is a {type(value).__name__}")


def rows_values(keys: Sequence[str], rows: Sequence[sqlalchemy.Row[Any]]) -> list[dict[str, Any]]:
    """Rows as the script's objects: column name to JSON value."""
    names = [str(key) for key in keys]
    return [
        {
            name: value if type(value) in _PLAIN else _jsonable(value)
            for name, value in zip(names, row, strict=True)
        }
        for row in rows
    ]


def _jsonable(value: Any) -> Any:
    """Database values as the script sees them: JSON types only."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, decimal.Decimal):
        return (
            int(value) if value.is_finite() and value == value.to_integral_value() else float(value)
        )
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, datetime.timedelta):
        return value.total_seconds()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return str(value)
