"""Translation of driver errors into esruntime's own, at the store boundary.

Three outcomes besides the precise ones (a duplicate event id, text that cannot be encoded):

- :class:`StoreUnavailableError` for what may pass: a connection lost or refused, a lock or the
  pool not free in time, a server shutting down or out of resources. Retrying may succeed.
- :class:`StoreQueryError` for what never will: a limit of the database exceeded (parameters,
  terms, sizes), data it refuses (a constraint, a value out of range), SQL it cannot run.
- :class:`EventStoreError` for the rest (a corrupt file, an internal error of the server).
"""

from __future__ import annotations

import sqlite3
from types import TracebackType

from sqlalchemy import exc as sa_exc

from esruntime.errors import (
    DuplicateEventIdError,
    EsruntimeError,
    EventStoreError,
    InvalidQueryError,
    StoreQueryError,
    StoreUnavailableError,
)

__all__ = ["raise_translated", "translate_errors"]

# SQLSTATE classes that mean "not now": connection, resources, lock or deadlock, shutdown.
_UNAVAILABLE_CLASSES = {"08", "40", "53", "55", "57", "58", "HY"}
# SQLSTATE classes that mean "never": feature not supported, cardinality, data exception,
# integrity constraint, WITH CHECK OPTION, syntax or access rule, program limit exceeded.
_REFUSED_CLASSES = {"0A", "21", "22", "23", "44", "42", "54"}
_INSUFFICIENT_PRIVILEGE = "42501"  # the server's configuration, not the call
# SQLite result codes that mean "never": a statement it cannot prepare (syntax, too many
# variables or terms), a string or blob too big, a constraint, a type mismatch, a bad binding.
_SQLITE_REFUSED = {1, 18, 19, 20, 21, 25}  # ERROR, TOOBIG, CONSTRAINT, MISMATCH, MISUSE, RANGE
# Raised by sqlite3 itself before the database sees the statement (bad bindings).
_SQLITE_CLIENT_ERRORS = (
    sqlite3.ProgrammingError,
    sqlite3.DataError,
    sqlite3.InterfaceError,
    sqlite3.NotSupportedError,
)
# libpq's refusal to send a statement with more than 65,535 parameters (no SQLSTATE).
_LIBPQ_TOO_MANY_PARAMETERS = "number of parameters must be between"


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
        if exc is None or not isinstance(exc, Exception):
            return
        raise_translated(exc)


translate_errors = TranslateErrors


# What a remote caller is told of an outage (the message, for the log, has the driver's words:
# addresses, file paths, statements).
_POOL_SUMMARY = "no database connection was free in time; try again"
_SQLITE_SUMMARY = "the SQLite database is busy or unavailable; try again"
_POSTGRES_SUMMARY = "the PostgreSQL database does not answer or is busy; try again"


def raise_translated(exc: Exception) -> None:
    """Raise the esruntime error for a driver error (from it); return for any other error,
    which the caller re-raises unchanged (``except Exception as exc: raise_translated(exc);
    raise``, the same as :class:`TranslateErrors` without its calls when nothing fails)."""
    if isinstance(exc, EsruntimeError):
        return
    translated = _translate(exc)
    if translated is not None:
        raise translated from exc


def _translate(exc: BaseException) -> EventStoreError | None:
    """The esruntime error for a driver error, or None to let it pass unchanged."""
    if isinstance(exc, UnicodeEncodeError):
        return InvalidQueryError(f"text cannot be encoded as UTF-8: {exc.reason}")
    if isinstance(exc, sqlite3.Error):
        return _translate_sqlite(exc)
    if isinstance(exc, OverflowError) and "SQLite INTEGER" in str(exc):
        return StoreQueryError(f"SQLite: {exc}")
    if isinstance(exc, sa_exc.TimeoutError):
        return StoreUnavailableError(
            f"no database connection was free in time: {exc}", summary=_POOL_SUMMARY
        )
    if isinstance(exc, sa_exc.DBAPIError):
        # SQLAlchemy wraps the driver's error: translate that one.
        translated = None if exc.orig is None else _translate(exc.orig)
        return translated or EventStoreError(str(exc))
    if not type(exc).__module__.startswith("psycopg"):
        return None
    return _translate_psycopg(exc)


def _translate_sqlite(exc: sqlite3.Error) -> EventStoreError:
    if isinstance(exc, sqlite3.IntegrityError) and "event_id" in str(exc):
        return DuplicateEventIdError(f"an appended event id already exists ({exc})")
    if isinstance(exc, sqlite3.IntegrityError):
        return StoreQueryError(f"the database refused the write: {exc}")
    code = getattr(exc, "sqlite_errorcode", None)
    if isinstance(exc, _SQLITE_CLIENT_ERRORS) or (
        code is not None and code & 0xFF in _SQLITE_REFUSED
    ):
        return StoreQueryError(f"SQLite: {exc}")
    if isinstance(exc, sqlite3.OperationalError):  # busy, locked, I/O, disk full, no memory
        return StoreUnavailableError(f"SQLite: {exc}", summary=_SQLITE_SUMMARY)
    return EventStoreError(f"SQLite: {exc}")


def _translate_psycopg(exc: BaseException) -> EventStoreError:
    import psycopg

    sqlstate = getattr(exc, "sqlstate", None)
    if sqlstate == "23505" and "event_id" in str(exc):
        return DuplicateEventIdError(f"an appended event id already exists ({exc})")
    if sqlstate is None:
        # Raised by the client itself: a lost or refused connection is worth retrying; a
        # statement or parameter it cannot send never is.
        if _LIBPQ_TOO_MANY_PARAMETERS in str(exc):
            return StoreQueryError(f"PostgreSQL client: {exc}")
        if isinstance(exc, psycopg.OperationalError | psycopg.InterfaceError):
            return StoreUnavailableError(f"PostgreSQL: {exc}", summary=_POSTGRES_SUMMARY)
        return StoreQueryError(f"PostgreSQL client: {exc}")
    if sqlstate[:2] in _UNAVAILABLE_CLASSES:
        return StoreUnavailableError(f"PostgreSQL: {exc}", summary=_POSTGRES_SUMMARY)
    if sqlstate[:2] in _REFUSED_CLASSES and sqlstate != _INSUFFICIENT_PRIVILEGE:
        return StoreQueryError(f"PostgreSQL [{sqlstate}]: {exc}")
    return EventStoreError(f"PostgreSQL [{sqlstate}]: {exc}")
