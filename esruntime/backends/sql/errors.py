"""Translation of driver errors into esruntime's own, at the store boundary."""

from __future__ import annotations

import sqlite3
from types import TracebackType

from sqlalchemy import exc as sa_exc

from esruntime.errors import (
    DuplicateEventIdError,
    EsruntimeError,
    EventStoreError,
    InvalidEventError,
    StoreUnavailableError,
)

__all__ = ["translate_errors"]

# SQLSTATE classes that mean "not now": connection, resources, lock or deadlock, shutdown.
_UNAVAILABLE_CLASSES = {"08", "40", "53", "55", "57", "58", "HY"}


class TranslateErrors:
    """Re-raise SQLite, psycopg and SQLAlchemy errors as :class:`EventStoreError` subclasses.

    A class rather than a generator-based context manager: it wraps every store call.
    """

    def __enter__(self) -> None:
        return None

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if exc is None or isinstance(exc, EsruntimeError) or not isinstance(exc, Exception):
            return
        translated = _translate(exc)
        if translated is not None:
            raise translated from exc


translate_errors = TranslateErrors


def _translate(exc: Exception) -> EventStoreError | None:
    """The esruntime error for a driver error, or None to let it pass unchanged."""
    if isinstance(exc, UnicodeEncodeError):
        return InvalidEventError(f"text cannot be encoded as UTF-8: {exc.reason}")
    if isinstance(exc, sqlite3.IntegrityError):
        if "event_id" in str(exc):
            return DuplicateEventIdError(f"an appended event id already exists ({exc})")
        return EventStoreError(f"the database refused the write: {exc}")
    if isinstance(exc, sqlite3.OperationalError):
        return StoreUnavailableError(f"SQLite: {exc}")
    if isinstance(exc, sqlite3.Error):
        return EventStoreError(f"SQLite: {exc}")
    if isinstance(exc, sa_exc.TimeoutError | sa_exc.OperationalError | sa_exc.InterfaceError):
        return StoreUnavailableError(str(exc))
    sqlstate = getattr(exc, "sqlstate", None)
    if not type(exc).__module__.startswith("psycopg"):
        return None
    if sqlstate == "23505" and "event_id" in str(exc):
        return DuplicateEventIdError(f"an appended event id already exists ({exc})")
    if not isinstance(sqlstate, str) or sqlstate[:2] in _UNAVAILABLE_CLASSES:
        # No SQLSTATE: the client lost or could not open its connection.
        return StoreUnavailableError(f"PostgreSQL: {exc}")
    return EventStoreError(f"PostgreSQL [{sqlstate}]: {exc}")
