"""Backends: where the protocols of :mod:`esruntime.protocols` are implemented.

:mod:`~esruntime.backends.memory` keeps everything in process memory,
:mod:`~esruntime.backends.sql` in SQLite or PostgreSQL. :func:`open_backend` and
:func:`open_event_store` open either from a URL.
"""

from esruntime.backends.urls import (
    DEFAULT_DATABASE_URL,
    SCHEMES,
    Scheme,
    open_backend,
    open_event_store,
    scheme_of,
    sqlite_file,
)

__all__ = [
    "DEFAULT_DATABASE_URL",
    "SCHEMES",
    "Scheme",
    "open_backend",
    "open_event_store",
    "scheme_of",
    "sqlite_file",
]
