"""The handler registry's versions in SQL (``esr_handlers``), and which one runs each
handler's commands (``esr_handler_current``: a row per handler, written with the upload or the
rollback in the same transaction; a handler without one runs its latest upload)."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, delete, func, insert, select
from sqlalchemy import exc as sa_exc

from esruntime.backends.sql.errors import translate_errors
from esruntime.backends.sql.storage import SqlTenantStorage
from esruntime.backends.sql.tables import current_handlers as pointers
from esruntime.backends.sql.tables import handler_executions as executions
from esruntime.backends.sql.tables import handlers as table
from esruntime.backends.sql.timestamps import from_micros, to_micros
from esruntime.handlers.manifest import HandlerManifest, manifest_document, parse_manifest
from esruntime.handlers.registry import Describe, HandlerService, HandlerVersion
from esruntime.schema.model import Schema

__all__ = ["SqlHandlerRegistry", "SqlHandlerStorage"]

_COLUMNS = (
    table.c.name,
    table.c.version,
    table.c.sha256,
    table.c.size,
    table.c.manifest,
    table.c.uploaded_at,
)


class SqlHandlerStorage(SqlTenantStorage):
    """One tenant's handler versions in SQLite or PostgreSQL; every version's bytes are kept."""

    def __init__(
        self, engine: Engine | str, tenant: str = "default", *, create_tables: bool = True
    ) -> None:
        super().__init__(engine, tenant, create_tables=create_tables)
        self._upsert = self._dialect.upsert

    def store(self, handler: HandlerVersion, module: bytes) -> bool:
        mine = (table.c.tenant_id == self._tenant_id) & (table.c.name == handler.name)
        with translate_errors():
            try:
                with self._engine.begin() as conn:
                    seq = 1 + int(
                        conn.execute(
                            select(func.coalesce(func.max(table.c.seq), 0)).where(mine)
                        ).scalar_one()
                    )
                    conn.execute(
                        insert(table).values(
                            tenant_id=self._tenant_id,
                            name=handler.name,
                            seq=seq,
                            version=handler.version,
                            sha256=handler.sha256,
                            size=handler.size,
                            manifest=json.dumps(manifest_document(handler.manifest)),
                            module=module,
                            uploaded_at=to_micros(handler.uploaded_at),
                        )
                    )
                    self._point(conn, handler.name, seq)
            except sa_exc.IntegrityError:
                return False
        return True

    def _point(self, conn: Connection, name: str, seq: int) -> None:
        """Make row ``seq`` the handler's current one (an upsert: the last writer wins)."""
        statement = self._upsert(pointers).values(tenant_id=self._tenant_id, name=name, seq=seq)
        conn.execute(
            statement.on_conflict_do_update(
                index_elements=["tenant_id", "name"], set_={"seq": statement.excluded.seq}
            )
        )

    def set_current(self, name: str, version: str) -> bool:
        query = select(table.c.seq).where(
            table.c.tenant_id == self._tenant_id, table.c.name == name, table.c.version == version
        )
        with translate_errors(), self._engine.begin() as conn:
            seq = conn.execute(query).scalar()
            if seq is None:
                return False
            self._point(conn, name, int(seq))
        return True

    def versions(self, name: str) -> list[HandlerVersion]:
        query = (
            select(*_COLUMNS)
            .where(table.c.tenant_id == self._tenant_id, table.c.name == name)
            .order_by(table.c.seq)
        )
        with translate_errors(), self._engine.connect() as conn:
            return [_version(row) for row in conn.execute(query)]

    def current(self, name: str) -> HandlerVersion | None:
        # Asked for every command: one prepared statement, only the latest row, and its
        # manifest parsed once.
        with translate_errors(), self._engine.connect() as conn:
            row = conn.execute(_CURRENT, {"tenant": self._tenant_id, "name": name}).first()
        return None if row is None else _version(row)

    def handlers(self) -> list[HandlerVersion]:
        latest = (
            select(table.c.name, func.max(table.c.seq).label("seq"))
            .where(table.c.tenant_id == self._tenant_id)
            .group_by(table.c.name)
            .subquery()
        )
        chosen = (
            select(pointers.c.name, pointers.c.seq)
            .where(pointers.c.tenant_id == self._tenant_id)
            .subquery()
        )
        current = (
            select(latest.c.name, func.coalesce(chosen.c.seq, latest.c.seq).label("seq"))
            .outerjoin(chosen, chosen.c.name == latest.c.name)
            .subquery()
        )
        query = (
            select(*_COLUMNS)
            .join(current, (table.c.name == current.c.name) & (table.c.seq == current.c.seq))
            .where(table.c.tenant_id == self._tenant_id)
            .order_by(table.c.name)
        )
        with translate_errors(), self._engine.connect() as conn:
            return [_version(row) for row in conn.execute(query)]

    def module(self, name: str, version: str | None = None) -> bytes | None:
        mine = (table.c.tenant_id == self._tenant_id) & (table.c.name == name)
        if version is None:
            current = _current_seq(self._tenant_id, name)
            query = select(table.c.module).where(mine, table.c.seq == current)
        else:
            query = select(table.c.module).where(mine, table.c.version == version)
        with translate_errors(), self._engine.connect() as conn:
            found = conn.execute(query).scalar()
        return None if found is None else bytes(found)

    def delete(self, name: str) -> bool:
        statement = delete(table).where(table.c.tenant_id == self._tenant_id, table.c.name == name)
        pointer = delete(pointers).where(
            pointers.c.tenant_id == self._tenant_id, pointers.c.name == name
        )
        with translate_errors(), self._engine.begin() as conn:
            conn.execute(pointer)
            return conn.execute(statement).rowcount > 0

    def add_executions(self, hour: int, counts: Mapping[str, int]) -> None:
        rows = [
            {"tenant_id": self._tenant_id, "name": name, "hour": hour, "count": count}
            for name, count in counts.items()
            if count
        ]
        if not rows:
            return
        statement = self._upsert(executions).values(rows)
        statement = statement.on_conflict_do_update(
            index_elements=["tenant_id", "name", "hour"],
            set_={"count": executions.c.count + statement.excluded.count},
        )
        with translate_errors(), self._engine.begin() as conn:
            conn.execute(statement)

    def executions_since(self, name: str, hour: int) -> int:
        query = select(func.coalesce(func.sum(executions.c.count), 0)).where(
            executions.c.tenant_id == self._tenant_id,
            executions.c.name == name,
            executions.c.hour >= hour,
        )
        with translate_errors(), self._engine.connect() as conn:
            return int(conn.execute(query).scalar_one())

    def all_executions_since(self, hour: int) -> dict[str, int]:
        query = (
            select(executions.c.name, func.sum(executions.c.count))
            .where(executions.c.tenant_id == self._tenant_id, executions.c.hour >= hour)
            .group_by(executions.c.name)
        )
        with translate_errors(), self._engine.connect() as conn:
            return {name: int(count) for name, count in conn.execute(query)}


class SqlHandlerRegistry(HandlerService):
    """A convenience: the handler service over :class:`SqlHandlerStorage` (it adds nothing
    else)."""

    def __init__(
        self,
        engine: Engine | str,
        describe: Describe,
        schema: Callable[[], Schema | None] = lambda: None,
        tenant: str = "default",
        *,
        create_tables: bool = True,
    ) -> None:
        storage = SqlHandlerStorage(engine, tenant, create_tables=create_tables)
        super().__init__(storage, describe, schema)


_others = table.alias("esr_handlers_latest")


def _current_seq(tenant: Any, name: Any) -> Any:
    """The seq of a handler's current row: the one chosen, else the latest upload."""
    chosen = (
        select(pointers.c.seq)
        .where(pointers.c.tenant_id == tenant, pointers.c.name == name)
        .scalar_subquery()
    )
    latest = (
        select(func.max(_others.c.seq))
        .where(_others.c.tenant_id == tenant, _others.c.name == name)
        .scalar_subquery()
    )
    return func.coalesce(chosen, latest)


_CURRENT = select(*_COLUMNS).where(
    table.c.tenant_id == bindparam("tenant"),
    table.c.name == bindparam("name"),
    table.c.seq == _current_seq(bindparam("tenant"), bindparam("name")),
)


def _version(row: Any) -> HandlerVersion:
    name, version, sha256, size, manifest, uploaded_at = row
    return HandlerVersion(
        name, version, sha256, int(size), _manifest(manifest), from_micros(int(uploaded_at))
    )


@functools.lru_cache(maxsize=1024)
def _manifest(text: str) -> HandlerManifest:
    """A stored manifest, parsed once (manifests are frozen values)."""
    return parse_manifest(json.loads(text))
