"""What SQL storage classes have in common: :class:`SqlStorage` and :class:`SqlTenantStorage`.

The script repository, the consumer store and the schedule store keep every tenant's rows in
one set of tables on one engine (:class:`SqlStorage`). Each needs the same three things: the
tables created, the tenants' ids (registered once, then cached) and real transactions, which
differ per dialect (:attr:`~esruntime.backends.sql.dialects.Dialect.transaction`). Schema and
handler storage hold one tenant's rows (:class:`SqlTenantStorage`): the tenant is checked and
registered when the storage is made.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager

from sqlalchemy import Connection, Engine

from esruntime.backends.sql import setup
from esruntime.backends.sql.connections import create_store_engine
from esruntime.backends.sql.dialects import Dialect, dialect_of
from esruntime.backends.sql.errors import translate_errors
from esruntime.checks import check_tenant

__all__ = ["SqlStorage", "SqlTenantStorage"]


class SqlStorage:
    """A base for storage of every tenant on a SQLAlchemy engine (or a URL to open one)."""

    def __init__(self, engine: Engine | str, *, create_tables: bool = True) -> None:
        self._engine = create_store_engine(engine) if isinstance(engine, str) else engine
        self._dialect: Dialect = dialect_of(self._engine)
        self._tenant_ids: dict[str, int] = {}
        self._lock = threading.Lock()
        if create_tables:
            with translate_errors():
                setup.create_tables(self._engine)

    @property
    def engine(self) -> Engine:
        return self._engine

    def _tenant_id(self, tenant: str) -> int:
        found = self._tenant_ids.get(tenant)
        if found is None:
            with translate_errors():
                found = setup.register_tenant(self._engine, tenant)
            with self._lock:
                self._tenant_ids[tenant] = found
        return found

    @contextmanager
    def _transaction(self) -> Iterator[Connection]:
        """A real transaction, with driver errors translated to esruntime's."""
        with translate_errors(), self._dialect.transaction(self._engine) as conn:
            yield conn

    def _driver_transaction(self) -> AbstractContextManager[Connection]:
        """A real transaction whose driver errors pass unchanged (to tell a conflict apart)."""
        return self._dialect.transaction(self._engine)


class SqlTenantStorage:
    """A base for one tenant's storage on a SQLAlchemy engine (or a URL to open one)."""

    def __init__(
        self, engine: Engine | str, tenant: str = "default", *, create_tables: bool = True
    ) -> None:
        self._tenant = check_tenant(tenant)
        self._engine = create_store_engine(engine) if isinstance(engine, str) else engine
        self._dialect: Dialect = dialect_of(self._engine)
        with translate_errors():
            if create_tables:
                setup.create_tables(self._engine)
            self._tenant_id = setup.register_tenant(self._engine, self._tenant)

    @property
    def tenant(self) -> str:
        return self._tenant
