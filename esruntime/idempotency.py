"""Idempotency records: the first result of a command under a key, kept by the event store.

A record is written in the same transaction as the command's events (or on its own when the
command appended nothing), so a repeat of the key finds either no trace of the command or its
complete result. Its fingerprint (the command name and its input) tells a true repeat from a
key reused for something else.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from attrs import frozen

from esruntime.errors import EventStoreError, InvalidQueryError

__all__ = [
    "MAX_KEY_LENGTH",
    "DuplicateIdempotencyKey",
    "IdempotencyRecord",
    "check_key",
    "fingerprint",
]

MAX_KEY_LENGTH = 200


@frozen
class IdempotencyRecord:
    """The key, the fingerprint of the request, and the result it got (JSON)."""

    key: str
    fingerprint: str
    result: Mapping[str, Any]

    def __attrs_post_init__(self) -> None:
        check_key(self.key)


def check_key(key: object) -> str:
    """An idempotency key: a non-empty string, at most 200 characters, no control characters."""
    if not isinstance(key, str) or not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise InvalidQueryError(
            f"an idempotency key is a non-empty string of at most {MAX_KEY_LENGTH} printable "
            f"characters, got {key!r}"
        )
    return key


class DuplicateIdempotencyKey(EventStoreError):
    """The key already has a record (``existing``): nothing of this append was written."""

    def __init__(self, existing: IdempotencyRecord) -> None:
        self.existing = existing
        super().__init__(f"idempotency key {existing.key!r} already has a result")


def fingerprint(command: str, command_input: object) -> str:
    """A digest of the command name and its input, independent of key order."""
    canonical = json.dumps(
        {"command": command, "input": command_input},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=repr,
    )
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()
