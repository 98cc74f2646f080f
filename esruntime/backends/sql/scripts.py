"""Scripts, their versions and executions in SQLite or PostgreSQL (``esr_scripts``,
``esr_script_versions``, ``esr_script_executions``).

Names and HTTP paths are unique per tenant by index, so of two concurrent creates only one can
commit. Every change to a script bumps its tenant's revision in the same transaction, which is
what lets a lookup made before be reused while nothing changed.

A run is written twice, when it starts (counting the runs in progress and recording it cannot
interleave with another process doing the same) and when it ends:
:mod:`esruntime.backends.sql.runs`.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, bindparam, delete, func, insert, or_, select, update
from sqlalchemy import exc as sa_exc

from esruntime.backends.sql.errors import translate_errors
from esruntime.backends.sql.paging import read_page
from esruntime.backends.sql.revisions import PostgresRevisions, bump_revision, committed
from esruntime.backends.sql.runs import RunPath
from esruntime.backends.sql.storage import SqlStorage
from esruntime.backends.sql.tables import script_executions as executions
from esruntime.backends.sql.tables import script_versions as versions
from esruntime.backends.sql.tables import scripts, tenants
from esruntime.backends.sql.timestamps import from_micros, to_micros
from esruntime.errors import ScriptConflictError
from esruntime.protocols.scripts import conflict_error
from esruntime.scripts import codec
from esruntime.scripts.models import (
    Execution,
    ExecutionStatus,
    Script,
    ScriptOrder,
    ScriptStatus,
    ScriptType,
    ScriptVersion,
)

__all__ = ["SqlScriptRepository"]


_COMPLETED_EVENT = (
    select(executions)
    .where(
        executions.c.tenant_id == bindparam("tenant_id"),
        executions.c.script_id == bindparam("script_id"),
        executions.c.event_id == bindparam("event_id"),
        executions.c.status == "completed",
    )
    .limit(1)
)


class SqlScriptRepository(SqlStorage):
    """A :class:`~esruntime.protocols.ScriptRepository` on a SQLAlchemy engine."""

    def __init__(
        self,
        engine: Engine | str,
        *,
        create_tables: bool = True,
        notified: PostgresRevisions | None = None,
    ) -> None:
        super().__init__(engine, create_tables=create_tables)
        self._runs = RunPath(self._engine, notified=notified)

    # -- scripts ---------------------------------------------------------------------------------

    def add_script(self, script: Script, version: ScriptVersion) -> None:
        tenant_id = self._tenant_id(script.tenant)
        with translate_errors():
            try:
                with self._driver_transaction() as conn:
                    conn.execute(insert(scripts).values(_script_row(tenant_id, script)))
                    conn.execute(insert(versions).values(_version_row(tenant_id, version)))
                    revision = bump_revision(conn, tenant_id)
            except sa_exc.IntegrityError as exc:
                raise _conflict(script, exc) from None
        committed(self._engine, tenant_id, revision)

    def save_script(
        self, script: Script, *, expected_version: int, new_version: ScriptVersion | None = None
    ) -> bool:
        tenant_id = self._tenant_id(script.tenant)
        row = _script_row(tenant_id, script)
        del row["created_at"], row["created_by"]
        statement = (
            update(scripts)
            .where(
                scripts.c.tenant_id == tenant_id,
                scripts.c.id == script.id,
                scripts.c.version == expected_version,
            )
            .values(row)
        )
        with translate_errors():
            try:
                with self._driver_transaction() as conn:
                    if conn.execute(statement).rowcount != 1:
                        return False
                    if new_version is not None:
                        conn.execute(insert(versions).values(_version_row(tenant_id, new_version)))
                    revision = bump_revision(conn, tenant_id)
            except sa_exc.IntegrityError as exc:
                if "esr_script_versions" in str(exc.orig):
                    return False
                raise _conflict(script, exc) from None
        committed(self._engine, tenant_id, revision)
        return True

    def get_script(self, tenant: str, script_id: str) -> Script | None:
        return self._runs.script(
            self._tenant_id(tenant), "id", script_id, lambda row: _script(tenant, row)
        )

    def find_script(
        self, tenant: str, *, name: str | None = None, http_path: str | None = None
    ) -> Script | None:
        if name is None and http_path is None:
            return None
        key, value = ("name", name) if name is not None else ("http_path", http_path)
        assert value is not None
        return self._runs.script(
            self._tenant_id(tenant), key, value, lambda row: _script(tenant, row)
        )

    def list_scripts(
        self,
        tenant: str,
        *,
        search: str | None = None,
        type: ScriptType | None = None,
        status: ScriptStatus | None = None,
        offset: int = 0,
        limit: int = 20,
        order: ScriptOrder = "name",
    ) -> tuple[list[Script], int]:
        conditions: list[Any] = [scripts.c.tenant_id == self._tenant_id(tenant)]
        if type is not None:
            conditions.append(scripts.c.type == type)
        if status is not None:
            conditions.append(scripts.c.status == status)
        if search:
            pattern = "%" + _escape_like(search.lower()) + "%"
            conditions.append(
                or_(
                    func.lower(scripts.c.name).like(pattern, escape="\\"),
                    func.lower(scripts.c.description).like(pattern, escape="\\"),
                )
            )
        name = self._dialect.bytewise(scripts.c.name)
        query = (
            select(scripts)
            .where(*conditions)
            .order_by(
                *((scripts.c.updated_at.desc(),) if order == "updated" else ()), name, scripts.c.id
            )
            .offset(offset)
            .limit(limit)
        )
        counting = select(func.count()).select_from(scripts).where(*conditions)
        with translate_errors(), self._engine.connect() as conn:
            rows, total = read_page(conn, query, counting, offset=offset)
        return [_script(tenant, row) for row in rows], total

    def scripts_of_type(self, type: ScriptType) -> list[Script]:
        query = (
            select(tenants.c.name.label("tenant_name"), scripts)
            .join_from(scripts, tenants, tenants.c.id == scripts.c.tenant_id)
            .where(scripts.c.type == type)
        )
        with translate_errors(), self._engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
        return [_script(row["tenant_name"], row) for row in rows]

    def active_scripts(self, type: ScriptType) -> list[Script]:
        query = (
            select(tenants.c.name.label("tenant_name"), scripts)
            .join(tenants, tenants.c.id == scripts.c.tenant_id)
            .where(scripts.c.type == type, scripts.c.status == "active")
        )
        with translate_errors(), self._engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
        return [_script(row["tenant_name"], row) for row in rows]

    def delete_script(self, tenant: str, script_id: str) -> bool:
        tenant_id = self._tenant_id(tenant)
        with self._transaction() as conn:
            deleted = conn.execute(
                delete(scripts).where(scripts.c.tenant_id == tenant_id, scripts.c.id == script_id)
            ).rowcount
            conn.execute(
                delete(versions).where(
                    versions.c.tenant_id == tenant_id, versions.c.script_id == script_id
                )
            )
            conn.execute(
                delete(executions).where(
                    executions.c.tenant_id == tenant_id, executions.c.script_id == script_id
                )
            )
            revision = bump_revision(conn, tenant_id)
        committed(self._engine, tenant_id, revision)
        return bool(deleted)

    def versions(self, tenant: str, script_id: str) -> list[ScriptVersion]:
        query = (
            select(versions)
            .where(
                versions.c.tenant_id == self._tenant_id(tenant), versions.c.script_id == script_id
            )
            .order_by(versions.c.version)
        )
        with translate_errors(), self._engine.connect() as conn:
            return [_version(row) for row in conn.execute(query).mappings()]

    def get_version(self, tenant: str, script_id: str, version: int) -> ScriptVersion | None:
        query = select(versions).where(
            versions.c.tenant_id == self._tenant_id(tenant),
            versions.c.script_id == script_id,
            versions.c.version == version,
        )
        with translate_errors(), self._engine.connect() as conn:
            row = conn.execute(query).mappings().first()
        return None if row is None else _version(row)

    # -- executions ------------------------------------------------------------------------------

    def add_execution(self, execution: Execution) -> None:
        row = _execution_row(self._tenant_id(execution.tenant), execution)
        with self._transaction() as conn:
            conn.execute(insert(executions), row)

    def start_execution(
        self, execution: Execution, *, max_running: int, stale_before: datetime
    ) -> bool:
        row = _execution_row(self._tenant_id(execution.tenant), execution)
        return self._runs.start(row, max_running=max_running, stale_before=to_micros(stale_before))

    def save_execution(self, execution: Execution) -> None:
        self._runs.save(_execution_row(self._tenant_id(execution.tenant), execution))

    def get_execution(self, tenant: str, execution_id: str) -> Execution | None:
        query = select(executions).where(
            executions.c.tenant_id == self._tenant_id(tenant), executions.c.id == execution_id
        )
        with translate_errors(), self._engine.connect() as conn:
            row = conn.execute(query).mappings().first()
        return None if row is None else _execution(tenant, row)

    def completed_event_execution(
        self, tenant: str, script_id: str, event_id: str
    ) -> Execution | None:
        keys = {"tenant_id": self._tenant_id(tenant), "script_id": script_id, "event_id": event_id}
        with translate_errors(), self._engine.connect() as conn:
            row = conn.execute(_COMPLETED_EVENT, keys).mappings().first()
        return None if row is None else _execution(tenant, row)

    def list_executions(
        self,
        tenant: str,
        script_id: str,
        *,
        status: ExecutionStatus | None = None,
        offset: int = 0,
        limit: int = 20,
    ) -> tuple[list[Execution], int]:
        conditions: list[Any] = [
            executions.c.tenant_id == self._tenant_id(tenant),
            executions.c.script_id == script_id,
        ]
        if status is not None:
            conditions.append(executions.c.status == status)
        query = (
            select(executions)
            .where(*conditions)
            .order_by(executions.c.created_at.desc(), executions.c.id.desc())
            .offset(offset)
            .limit(limit)
        )
        counting = select(func.count()).select_from(executions).where(*conditions)
        with translate_errors(), self._engine.connect() as conn:
            rows, total = read_page(conn, query, counting, offset=offset)
        return [_execution(tenant, row) for row in rows], total


def _conflict(script: Script, exc: sa_exc.IntegrityError) -> ScriptConflictError:
    if "http_path" in str(exc.orig) and script.http_path is not None:
        return conflict_error(script.tenant, "http_path", script.http_path)
    return conflict_error(script.tenant, "name", script.name)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _micros(moment: datetime | None) -> int | None:
    return None if moment is None else to_micros(moment)


def _moment(micros: int | None) -> datetime | None:
    return None if micros is None else from_micros(int(micros))


def _script_row(tenant_id: int, script: Script) -> dict[str, Any]:
    assert script.created_at is not None
    assert script.updated_at is not None
    return {
        "tenant_id": tenant_id,
        "id": script.id,
        "name": script.name,
        "description": script.description,
        "source": script.source,
        "type": script.type,
        "status": script.status,
        "cron_expression": script.cron_expression,
        "timezone": script.timezone,
        "http_path": script.http_path,
        "http_methods": codec.dump(list(script.http_methods)),
        "event_types": codec.dump(list(script.event_types)),
        "limits": codec.dump(script.limits.to_dict()),
        "version": script.version,
        "created_by": script.created_by,
        "created_at": to_micros(script.created_at),
        "updated_by": script.updated_by,
        "updated_at": to_micros(script.updated_at),
        "public": script.public,
    }


def _script(tenant: str, row: Any) -> Script:
    return Script(
        id=row["id"],
        tenant=tenant,
        name=row["name"],
        source=row["source"],
        type=row["type"],
        status=row["status"],
        description=row["description"],
        cron_expression=row["cron_expression"],
        timezone=row["timezone"],
        http_path=row["http_path"],
        http_methods=tuple(json.loads(row["http_methods"])),
        event_types=tuple(json.loads(row["event_types"])),
        limits=codec.load_limits(row["limits"]),
        version=int(row["version"]),
        created_by=row["created_by"],
        created_at=from_micros(int(row["created_at"])),
        updated_by=row["updated_by"],
        updated_at=from_micros(int(row["updated_at"])),
        public=bool(row["public"]),
    )


def _version_row(tenant_id: int, version: ScriptVersion) -> dict[str, Any]:
    return {
        "tenant_id": tenant_id,
        "script_id": version.script_id,
        "version": version.version,
        "source": version.source,
        "created_by": version.created_by,
        "created_at": to_micros(version.created_at),
        "restored_from": version.restored_from,
    }


def _version(row: Any) -> ScriptVersion:
    return ScriptVersion(
        script_id=row["script_id"],
        version=int(row["version"]),
        source=row["source"],
        created_at=from_micros(int(row["created_at"])),
        created_by=row["created_by"],
        restored_from=row["restored_from"],
    )


def _execution_row(tenant_id: int, execution: Execution) -> dict[str, Any]:
    assert execution.created_at is not None
    return {
        "tenant_id": tenant_id,
        "id": execution.id,
        "script_id": execution.script_id,
        "script_version": execution.script_version,
        "status": execution.status,
        "trigger": codec.dump(execution.trigger.to_record()),
        "input": codec.dump(execution.input),
        "output": None if execution.output is None else codec.dump(execution.output),
        "error": None if execution.error is None else codec.dump(execution.error.to_dict()),
        "logs": codec.dump_logs(execution.logs),
        "metrics": codec.dump(execution.metrics.to_dict()),
        "user_id": None if execution.user_id is None else codec.dump(execution.user_id),
        "created_at": to_micros(execution.created_at),
        "started_at": _micros(execution.started_at),
        "completed_at": _micros(execution.completed_at),
        "event_id": execution.trigger.event_id,
    }


def _execution(tenant: str, row: Any) -> Execution:
    return Execution(
        id=row["id"],
        tenant=tenant,
        script_id=row["script_id"],
        script_version=int(row["script_version"]),
        status=row["status"],
        trigger=codec.load_trigger(row["trigger"]),
        input=json.loads(row["input"]),
        output=None if row["output"] is None else json.loads(row["output"]),
        error=codec.load_failure(row["error"]),
        logs=codec.load_logs(row["logs"]),
        metrics=codec.load_metrics(row["metrics"]),
        user_id=None if row["user_id"] is None else json.loads(row["user_id"]),
        created_at=from_micros(int(row["created_at"])),
        started_at=_moment(row["started_at"]),
        completed_at=_moment(row["completed_at"]),
    )
