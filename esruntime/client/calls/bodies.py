"""Request bodies, headers and path segments: checked so that HTTP can carry them."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from esruntime.errors import InvalidCommandInput

__all__ = ["JSON", "header", "json_body", "segment", "text_body"]

JSON = "application/json"


def segment(kind: str, value: str) -> str:
    """A path segment: a name or id percent-encoded, so that ``/`` or ``?`` stays inside it."""
    if not isinstance(value, str) or not value:
        raise InvalidCommandInput(f"{kind} is a non-empty string, got {value!r}")
    return quote(value, safe="")


def json_body(value: Any, what: str) -> bytes:
    try:
        text = json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        return text.encode()
    except (TypeError, ValueError) as exc:  # UnicodeEncodeError: an unpaired surrogate
        raise InvalidCommandInput(f"{what} cannot be sent as JSON: {exc}") from None


def text_body(text: str, what: str) -> bytes:
    if not isinstance(text, str):
        raise InvalidCommandInput(f"{what} is text (a str), got {type(text).__name__}")
    try:
        return text.encode()
    except UnicodeEncodeError as exc:
        raise InvalidCommandInput(f"{what} cannot be sent as UTF-8: {exc}") from None


def header(name: str, value: str) -> tuple[str, str]:
    if not isinstance(value, str) or not value.isascii() or not value.isprintable():
        raise InvalidCommandInput(f"{name} must be printable ASCII, got {value!r}")
    return (name, value)
