"""``sdk.db``: a tenant script's SQL against the host's database, confined to the tenant's rows.

Statements are checked and rewritten by :mod:`.sqlguard` (one statement, placeholders only,
SELECT for ``query``/``queryOne``, INSERT/UPDATE/DELETE for ``execute``, ``tenant_id`` on
every table). Each call runs in its own transaction unless it names one opened with
:meth:`ScriptDatabase.begin`. Reads outside a script transaction run read-only (PostgreSQL
``SET TRANSACTION READ ONLY``, SQLite ``PRAGMA query_only``) as a second line of defence.
Every statement is bounded in time (PostgreSQL ``SET LOCAL statement_timeout``, SQLite a
progress handler) and in rows (``max_rows``: the statement is limited to one row past it).
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from types import TracebackType
from typing import Any, TypeVar

import sqlalchemy
from attrs import Factory, define
from sqlalchemy import TextClause, text

from esruntime.errors import ConfigurationError, SdkError
from esruntime.scripts.sdk.sqlguard import LIMIT_BIND, Mode, compile_statement
from esruntime.scripts.sdk.sqltenant import TENANT_BIND
from esruntime.scripts.sdk.sqlvalues import bind_values, rows_values, translate_error

__all__ = ["ScriptDatabase"]

T = TypeVar("T")
_DIALECTS = {"postgresql": "postgres", "sqlite": "sqlite"}
_IDLE_TRANSACTION_MS = 60_000


@define
class _Transaction:
    connection: sqlalchemy.Connection
    root: sqlalchemy.RootTransaction
    lock: threading.Lock = Factory(threading.Lock)
    done: bool = False


class ScriptDatabase:
    """The ``sdk.db`` of one script execution: a tenant's view of a host database.

    ``tables`` (names) limits which tables scripts may use; by default any unqualified table
    but the system ones (``pg_*``, ``sqlite_*``) and the runtime's own (``esr_*``). Every table
    a script uses needs a ``tenant_id`` column. Thread-safe; :meth:`close` rolls back what the
    script left open.
    """

    def __init__(
        self,
        engine: sqlalchemy.Engine,
        tenant_id: str,
        *,
        max_rows: int = 1000,
        timeout_s: float = 5.0,
        tables: Collection[str] | None = None,
        max_transactions: int = 4,
    ) -> None:
        dialect = _DIALECTS.get(engine.dialect.name)
        if dialect is None:
            raise ConfigurationError(f"sdk.db supports PostgreSQL and SQLite, not {engine.name}")
        levels = (
            engine.get_execution_options().get("isolation_level"),
            getattr(engine.dialect, "_on_connect_isolation_level", None),
        )
        if "AUTOCOMMIT" in levels:
            raise ConfigurationError(
                "sdk.db needs an engine with transactions, not AUTOCOMMIT: its timeouts and "
                "read-only reads are set per transaction"
            )
        if not isinstance(tenant_id, str) or not tenant_id:
            raise ConfigurationError("ScriptDatabase needs a non-empty tenant id")
        if max_rows < 1 or timeout_s <= 0 or max_transactions < 1:
            raise ConfigurationError("max_rows, timeout_s and max_transactions must be positive")
        self._engine = engine
        self._dialect = dialect
        self._tenant = tenant_id
        self._max_rows = max_rows
        self._timeout_s = timeout_s
        self._tables = None if tables is None else frozenset(t.lower() for t in tables)
        self._max_transactions = max_transactions
        self._open: dict[str, _Transaction] = {}
        self._lock = threading.Lock()
        self._closed = False

    def query(
        self, sql: str, params: Sequence[Any] | None = None, transaction: str | None = None
    ) -> list[dict[str, Any]]:
        """The rows of a SELECT, as objects; more than ``max_rows`` is an error."""
        statement, values = self._prepare("query", sql, params)

        values[LIMIT_BIND] = self._max_rows + 1

        def fetch(connection: sqlalchemy.Connection) -> list[dict[str, Any]]:
            result = connection.execute(statement, values)
            rows = result.fetchmany(self._max_rows + 1)
            keys = list(result.keys())
            result.close()
            if len(rows) > self._max_rows:
                raise SdkError(f"Row limit exceeded: more than {self._max_rows} rows")
            return rows_values(keys, rows)

        return self._run(transaction, fetch, read_only=True)

    def query_one(
        self, sql: str, params: Sequence[Any] | None = None, transaction: str | None = None
    ) -> dict[str, Any] | None:
        """The first row of a SELECT, or None when it has none."""
        statement, values = self._prepare("query", sql, params)

        values[LIMIT_BIND] = 1

        def first(connection: sqlalchemy.Connection) -> dict[str, Any] | None:
            result = connection.execute(statement, values)
            rows = rows_values(list(result.keys()), result.fetchmany(1))
            result.close()
            return rows[0] if rows else None

        return self._run(transaction, first, read_only=True)

    def execute(
        self, sql: str, params: Sequence[Any] | None = None, transaction: str | None = None
    ) -> int:
        """Run an INSERT, UPDATE or DELETE; the number of rows it touched."""
        statement, values = self._prepare("execute", sql, params)

        def change(connection: sqlalchemy.Connection) -> int:
            result = connection.execute(statement, values)
            count = result.rowcount
            result.close()
            return int(count)

        return self._run(transaction, change, read_only=False)

    def begin(self) -> str:
        """Open a transaction; its handle is passed to the calls that belong to it."""
        self._check_open()
        connection = self._engine.connect()
        try:
            root = connection.begin()
            if self._dialect == "postgres":
                self._set_limits(connection, read_only=False, idle=True)
        except sqlalchemy.exc.SQLAlchemyError as exc:
            connection.close()
            raise translate_error(exc, self._timeout_s) from None
        with self._lock:
            refusal = self._closed or len(self._open) >= self._max_transactions
            if not refusal:
                handle = f"tx_{secrets.token_hex(16)}"
                self._open[handle] = _Transaction(connection, root)
        if refusal:
            connection.close()
            self._check_open()
            raise SdkError(
                f"Invalid transaction: at most {self._max_transactions} may be open at once"
            )
        return handle

    def commit(self, transaction: str) -> None:
        """Commit the transaction; its handle is finished either way."""
        self._finish(transaction, commit=True)

    def rollback(self, transaction: str) -> None:
        """Roll the transaction back; its handle is finished."""
        self._finish(transaction, commit=False)

    def close(self) -> None:
        """Roll back every transaction left open; later calls are refused."""
        with self._lock:
            self._closed = True
            left = list(self._open.values())
            self._open.clear()
        for tx in left:
            with tx.lock:
                tx.done = True
                try:
                    tx.root.rollback()
                except sqlalchemy.exc.SQLAlchemyError:
                    pass  # the connection is discarded below either way
                finally:
                    tx.connection.close()

    def __enter__(self) -> ScriptDatabase:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _prepare(
        self, mode: Mode, sql: str, params: Sequence[Any] | None
    ) -> tuple[TextClause, dict[str, Any]]:
        self._check_open()
        compiled = compile_statement(sql, self._dialect, mode, self._tables)
        values = bind_values(params, compiled.parameters)
        values[TENANT_BIND] = self._tenant
        return text(compiled.sql), values

    def _run(
        self,
        transaction: str | None,
        work: Callable[[sqlalchemy.Connection], T],
        *,
        read_only: bool,
    ) -> T:
        if transaction is None:
            try:
                with self._engine.connect() as connection, connection.begin():
                    if self._dialect == "postgres":
                        self._set_limits(connection, read_only=read_only, idle=False)
                    with self._bounded(connection, read_only=read_only):
                        return work(connection)
            except sqlalchemy.exc.SQLAlchemyError as exc:
                raise translate_error(exc, self._timeout_s) from None
        tx = self._transaction(transaction)
        with tx.lock:
            if tx.done:
                raise _unknown_transaction()
            try:
                with self._bounded(tx.connection, read_only=False):
                    return work(tx.connection)
            except sqlalchemy.exc.SQLAlchemyError as exc:
                raise translate_error(exc, self._timeout_s) from None

    def _set_limits(
        self, connection: sqlalchemy.Connection, *, read_only: bool, idle: bool
    ) -> None:
        """PostgreSQL: the transaction's settings, in one round trip."""
        timeout_ms = max(1, int(self._timeout_s * 1000))
        settings = [f"SET LOCAL statement_timeout = {timeout_ms}"]
        if read_only:
            settings.insert(0, "SET TRANSACTION READ ONLY")
        if idle:
            idle_ms = max(_IDLE_TRANSACTION_MS, timeout_ms)
            settings.append(f"SET LOCAL idle_in_transaction_session_timeout = {idle_ms}")
        connection.exec_driver_sql("; ".join(settings))

    @contextmanager
    def _bounded(self, connection: sqlalchemy.Connection, *, read_only: bool) -> Iterator[None]:
        """SQLite: interrupt the statement at its deadline; refuse writes in read-only calls."""
        if self._dialect != "sqlite":
            yield
            return
        raw: Any = connection.connection.driver_connection
        deadline = time.monotonic() + self._timeout_s
        # Asked every 10,000 virtual machine steps (well under a millisecond).
        raw.set_progress_handler(lambda: int(time.monotonic() > deadline), 10_000)
        if read_only:
            raw.execute("PRAGMA query_only = ON")
        try:
            yield
        finally:
            raw.set_progress_handler(None, 0)
            if read_only:
                raw.execute("PRAGMA query_only = OFF")

    def _transaction(self, handle: object) -> _Transaction:
        with self._lock:
            tx = self._open.get(handle) if isinstance(handle, str) else None
        if tx is None:
            self._check_open()
            raise _unknown_transaction()
        return tx

    def _finish(self, handle: object, *, commit: bool) -> None:
        with self._lock:
            tx = self._open.pop(handle, None) if isinstance(handle, str) else None
        if tx is None:
            self._check_open()
            raise _unknown_transaction()
        with tx.lock:
            tx.done = True
            try:
                tx.root.commit() if commit else tx.root.rollback()
            except sqlalchemy.exc.SQLAlchemyError as exc:
                raise translate_error(exc, self._timeout_s) from None
            finally:
                tx.connection.close()

    def _check_open(self) -> None:
        if self._closed:
            raise SdkError("Database unavailable: the script's database session is closed")


def _unknown_transaction() -> SdkError:
    return SdkError("Invalid transaction: unknown or finished transaction handle")
