"""Semantic versions of a tenant's schema: the first is 0.1.0, each push bumps by its changes."""

from __future__ import annotations

import re

from esruntime.schema.changes import Level

__all__ = ["FIRST_VERSION", "next_version", "version_key"]

FIRST_VERSION = "0.1.0"
_SEMVER = re.compile(r"(\d+)\.(\d+)\.(\d+)")


def version_key(version: str) -> tuple[int, int, int]:
    """``"1.10.2"`` → ``(1, 10, 2)``, for ordering versions."""
    match = _SEMVER.fullmatch(version)
    if match is None:
        raise ValueError(f"not a version: {version!r}")
    major, minor, patch = (int(part) for part in match.groups())
    return major, minor, patch


def next_version(current: str, level: Level) -> str:
    """The version after ``current`` for changes of ``level`` (``breaking`` only when forced)."""
    major, minor, patch = version_key(current)
    if level == "breaking":
        return f"{major + 1}.0.0"
    if level == "minor":
        return f"{major}.{minor + 1}.0"
    return f"{major}.{minor}.{patch + 1}"
