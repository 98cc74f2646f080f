"""API keys in SQL (``esr_api_keys``), shared by every tenant of a database."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, insert, select, update

from esruntime.auth.keys import ApiKey, ApiKeyService
from esruntime.backends.sql import setup
from esruntime.backends.sql.connections import create_store_engine
from esruntime.backends.sql.errors import translate_errors
from esruntime.backends.sql.tables import api_keys as table
from esruntime.backends.sql.timestamps import from_micros, to_micros

__all__ = ["SqlApiKeyStorage", "SqlApiKeyStore"]

_COLUMNS = (
    table.c.key_id,
    table.c.tenant,
    table.c.name,
    table.c.permissions,
    table.c.created_at,
    table.c.revoked_at,
    table.c.digest,
)


class SqlApiKeyStorage:
    """Key rows in SQLite or PostgreSQL; revocation is seen by every process at once.

    An engine passed in stays the host's; one made from a URL is disposed of by :meth:`close`.
    """

    def __init__(self, engine: Engine | str, *, create_tables: bool = True) -> None:
        self._owns_engine = isinstance(engine, str)
        self._engine = create_store_engine(engine) if isinstance(engine, str) else engine
        if create_tables:
            with translate_errors():
                setup.create_tables(self._engine)

    def insert(self, key: ApiKey, digest: str) -> None:
        values = {
            "key_id": key.key_id,
            "tenant": key.tenant,
            "name": key.name,
            "permissions": json.dumps(list(key.permissions)),
            "digest": digest,
            "created_at": to_micros(key.created_at),
        }
        with translate_errors(), self._engine.begin() as conn:
            conn.execute(insert(table).values(values))

    def find(self, key_id: str) -> tuple[ApiKey, str] | None:
        query = select(*_COLUMNS).where(table.c.key_id == key_id)
        with translate_errors(), self._engine.connect() as conn:
            row = conn.execute(query).first()
        return None if row is None else (_key(row), str(row.digest))

    def revoke(self, key_id: str, at: datetime) -> bool:
        statement = (
            update(table)
            .where(table.c.key_id == key_id, table.c.revoked_at.is_(None))
            .values(revoked_at=to_micros(at))
        )
        with translate_errors(), self._engine.begin() as conn:
            return conn.execute(statement).rowcount > 0

    def list_keys(self, tenant: str | None = None) -> list[ApiKey]:
        query = select(*_COLUMNS).order_by(table.c.created_at, table.c.key_id)
        if tenant is not None:
            query = query.where(table.c.tenant == tenant)
        with translate_errors(), self._engine.connect() as conn:
            return [_key(row) for row in conn.execute(query)]

    def close(self) -> None:
        if self._owns_engine:
            self._engine.dispose()


class SqlApiKeyStore(ApiKeyService):
    """A convenience: the key service over :class:`SqlApiKeyStorage` (it adds nothing else)."""

    def __init__(self, engine: Engine | str, *, create_tables: bool = True) -> None:
        super().__init__(SqlApiKeyStorage(engine, create_tables=create_tables))


def _key(row: Any) -> ApiKey:
    revoked = None if row.revoked_at is None else from_micros(int(row.revoked_at))
    return ApiKey(
        row.key_id,
        row.tenant,
        row.name,
        tuple(json.loads(row.permissions)),
        from_micros(int(row.created_at)),
        revoked,
    )
