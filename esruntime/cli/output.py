"""What every command of the CLI shares: exit codes, errors on stderr, values printed as JSON.

Exit codes:

==  =====================================================================================
0   success
1   refused: a command rejected or still conflicting, a schema or a module refused, a 409
2   usage: bad arguments or input, an unreadable file, a request the server calls invalid
3   authentication: the API key is missing, unknown, revoked (401) or lacks a permission (403)
4   not found: no such handler, event, schema, script or key (404)
5   unavailable: a server error (5xx), no connection, a timeout, an answer that is not the
    API's, or a database that does not answer
==  =====================================================================================
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import attrs

from esruntime.errors import (
    ApiError,
    BadRequestError,
    ConfigurationError,
    EsruntimeError,
    ForbiddenError,
    InvalidCommandInput,
    InvalidQueryError,
    NotFoundError,
    PayloadTooLargeError,
    RequestConflictError,
    UnauthorizedError,
    UnprocessableError,
)

__all__ = [
    "AUTH",
    "NOT_FOUND",
    "OK",
    "REFUSED",
    "UNAVAILABLE",
    "USAGE",
    "CliFailure",
    "exit_code",
    "fail",
    "print_json",
    "print_table",
    "say",
    "to_json",
]

OK, REFUSED, USAGE, AUTH, NOT_FOUND, UNAVAILABLE = 0, 1, 2, 3, 4, 5


class CliFailure(EsruntimeError):
    """A failure the CLI reports with a message and an exit code (never leaves :func:`main`)."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


def fail(message: str, code: int = USAGE) -> CliFailure:
    return CliFailure(message, code)


def exit_code(exc: EsruntimeError) -> int:
    """The exit code of an error (see the table above)."""
    if isinstance(exc, CliFailure):
        return exc.code
    if isinstance(exc, ApiError) and exc.code is None:
        return UNAVAILABLE  # not the API's error body: a proxy's page, another server, a wrong path
    if isinstance(exc, UnauthorizedError | ForbiddenError):
        return AUTH
    if isinstance(exc, NotFoundError):
        return NOT_FOUND
    if isinstance(exc, RequestConflictError):
        return REFUSED
    if isinstance(exc, BadRequestError | PayloadTooLargeError | UnprocessableError):
        return USAGE
    if isinstance(exc, ApiError):
        return UNAVAILABLE
    if isinstance(exc, ConfigurationError | InvalidCommandInput | InvalidQueryError):
        return USAGE
    return UNAVAILABLE


def say(message: str) -> None:
    """A message for the person at the terminal: on stderr, so stdout stays the result."""
    print(message, file=sys.stderr, flush=True)


def _plain(value: Any) -> Any:
    if attrs.has(type(value)):
        return {f.name: _plain(getattr(value, f.name)) for f in attrs.fields(type(value))}
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def to_json(value: Any) -> Any:
    """A client value (attrs classes, tuples, times) as plain JSON data."""
    return _plain(value)


def print_table(rows: Sequence[Sequence[str]]) -> None:
    """Rows of text in aligned columns (the first row is the header)."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )


def print_json(value: Any, *, indent: int | None = 2) -> None:
    print(json.dumps(to_json(value), indent=indent, ensure_ascii=False), flush=True)
