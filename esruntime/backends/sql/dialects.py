"""The SQL dialects esruntime supports, chosen once per engine from a table.

Code that differs between SQLite and PostgreSQL asks this module for the dialect's part
instead of branching on the dialect's name.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, Table
from sqlalchemy.dialects import postgresql, sqlite

from esruntime.errors import ConfigurationError

__all__ = ["SUPPORTED", "check_supported", "upsert_for"]

Upsert = Callable[[Table], Any]
"""A dialect's ``insert`` construct, the one with ``on_conflict_do_update``/``do_nothing``."""

_UPSERTS: dict[str, Upsert] = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}
SUPPORTED = tuple(_UPSERTS)


def check_supported(engine: Engine) -> str:
    """The engine's dialect name; a ConfigurationError for one esruntime does not support."""
    name = str(engine.dialect.name)
    if name not in _UPSERTS:
        raise ConfigurationError(f"unsupported database dialect {name!r}")
    return name


def upsert_for(engine: Engine) -> Upsert:
    """The ``insert`` construct of ``engine``'s dialect."""
    return _UPSERTS[check_supported(engine)]
