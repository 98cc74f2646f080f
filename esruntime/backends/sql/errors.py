"""Translation of driver errors into esruntime's own, at the store boundary."""

from __future__ import annotations

import sqlite3
from types import TracebackType

from sqlalchemy import exc as sa_exc

from esruntime.errors import (
    DuplicateEventIdError,
    EsruntimeError,
    EventStoreError,
    InvalidQueryError,
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


def _translate(exc: BaseException) -> EventStoreError | None:
    """The esruntime error for a driver error, or None to let it pass unchanged."""
    if isinstance(exc, UnicodeEncodeError):
        return InvalidQueryError(f"text cannot be encoded as UTF-8: {exc.reason}")
    if isinstance(exc, sqlite3.IntegrityError):
        if "event_id" in str(exc):
            return DuplicateEventIdError(f"an appended event id already exists ({exc})")
        return EventStoreError(f"the database refused the write: {exc}")
    if isinstance(exc, sqlite3.OperationalError):
        return StoreUnavailableError(f"SQLite: {exc}")
    if isinstance(exc, sqlite3.Error):
        return EventStoreError(f"SQLite: {exc}")
    if isinstance(exc, sa_exc.TimeoutError):
        return StoreUnavailableError(f"no database connection was free in time: {exc}")
    if isinstance(exc, sa_exc.DBAPIError):
        # SQLAlchemy wraps the driver's error: translate that one.
        translated = None if exc.orig is None else _translate(exc.orig)
        return translated or EventStoreError(str(exc))
    if not type(exc).__module__.startswith("psycopg"):
        return None
    import psycopg

    sqlstate = getattr(exc, "sqlstate", None)
    if sqlstate == "23505" and "event_id" in str(exc):
        return DuplicateEventIdError(f"an appended event id already exists ({exc})")
    if sqlstate is None:
        # Raised by the client itself: a lost or refused connection is worth retrying; a
        # parameter it cannot send is a bug of the caller.
        if isinstance(exc, psycopg.OperationalError | psycopg.InterfaceError):
            return StoreUnavailableError(f"PostgreSQL: {exc}")
        return EventStoreError(f"PostgreSQL client: {exc}")
    if sqlstate[:2] in _UNAVAILABLE_CLASSES:
        return StoreUnavailableError(f"PostgreSQL: {exc}")
    return EventStoreError(f"PostgreSQL [{sqlstate}]: {exc}")
