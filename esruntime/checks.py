"""Argument checks shared by the backends."""

from __future__ import annotations

import re

from esruntime.errors import ConfigurationError, InvalidQueryError

__all__ = ["check_lookup", "check_read_args", "check_tenant"]

MAX_TENANT_LENGTH = 200
_CONTROL = re.compile(r"[\x00-\x1f\ud800-\udfff]")


def check_read_args(start: int | None, limit: int | None) -> None:
    if start is not None and (not isinstance(start, int) or isinstance(start, bool) or start < 0):
        raise InvalidQueryError(f"'start' must be a non-negative integer or None, got {start!r}")
    if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool) or limit < 0):
        raise InvalidQueryError(f"'limit' must be a non-negative integer or None, got {limit!r}")


def check_lookup(name: str, value: object) -> str:
    """A string argument of ``get`` or ``count``; refused before it reaches a database."""
    if not isinstance(value, str) or _CONTROL.search(value):
        raise InvalidQueryError(
            f"{name} must be a string without control characters, got {value!r}"
        )
    return value


def check_tenant(tenant: object) -> str:
    if (
        not isinstance(tenant, str)
        or not tenant
        or len(tenant) > MAX_TENANT_LENGTH
        or _CONTROL.search(tenant)
    ):
        raise ConfigurationError(
            f"a tenant name is a non-empty string of at most {MAX_TENANT_LENGTH} characters "
            f"without control characters, got {tenant!r}"
        )
    return tenant
