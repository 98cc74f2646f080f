"""Argument checks shared by the backends' ``read``."""

from __future__ import annotations

from esruntime.errors import InvalidQueryError

__all__ = ["check_read_args"]


def check_read_args(start: int | None, limit: int | None) -> None:
    if start is not None and (not isinstance(start, int) or isinstance(start, bool) or start < 0):
        raise InvalidQueryError(f"'start' must be a non-negative integer or None, got {start!r}")
    if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool) or limit < 0):
        raise InvalidQueryError(f"'limit' must be a non-negative integer or None, got {limit!r}")
