"""Translation of driver errors into esruntime's own, at the store boundary."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

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


@contextmanager
def translate_errors() -> Iterator[None]:
    """Re-raise SQLite, psycopg and SQLAlchemy errors as :class:`EventStoreError` subclasses."""
    try:
        yield
    except EsruntimeError:
        raise
    except UnicodeEncodeError as exc:
        raise InvalidEventError(f"text cannot be encoded as UTF-8: {exc.reason}") from exc
    except sqlite3.IntegrityError as exc:
        if "event_id" in str(exc):
            raise DuplicateEventIdError(f"an appended event id already exists ({exc})") from exc
        raise EventStoreError(f"the database refused the write: {exc}") from exc
    except sqlite3.OperationalError as exc:
        raise StoreUnavailableError(f"SQLite: {exc}") from exc
    except sqlite3.Error as exc:
        raise EventStoreError(f"SQLite: {exc}") from exc
    except (sa_exc.TimeoutError, sa_exc.OperationalError, sa_exc.InterfaceError) as exc:
        raise StoreUnavailableError(str(exc)) from exc
    except Exception as exc:
        sqlstate = getattr(exc, "sqlstate", None)
        if not isinstance(sqlstate, str) or not type(exc).__module__.startswith("psycopg"):
            raise
        if sqlstate == "23505" and "event_id" in str(exc):
            raise DuplicateEventIdError(f"an appended event id already exists ({exc})") from exc
        if sqlstate[:2] in _UNAVAILABLE_CLASSES:
            raise StoreUnavailableError(f"PostgreSQL: {exc}") from exc
        raise EventStoreError(f"PostgreSQL [{sqlstate}]: {exc}") from exc
