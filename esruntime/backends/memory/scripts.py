"""Scripts, their versions and their executions in process memory."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from esruntime.errors import ScriptConflictError
from esruntime.protocols.scripts import conflict_error
from esruntime.scripts.models import (
    Execution,
    ExecutionStatus,
    Script,
    ScriptOrder,
    ScriptStatus,
    ScriptType,
    ScriptVersion,
)

__all__ = ["InMemoryScriptRepository"]


class InMemoryScriptRepository:
    """Scripts, versions and executions in process memory, under one lock."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._scripts: dict[tuple[str, str], Script] = {}
        self._versions: dict[tuple[str, str], list[ScriptVersion]] = {}
        self._executions: dict[tuple[str, str], Execution] = {}
        # Per script, its executions (by id) and the start times of those running.
        self._by_script: dict[tuple[str, str], dict[str, Execution]] = {}
        self._running: dict[tuple[str, str], dict[str, datetime]] = {}
        # Per (tenant, script, event id), a completed execution of an event run.
        self._completed_events: dict[tuple[str, str, str], Execution] = {}

    def _check_unique(self, script: Script) -> None:
        for (tenant, script_id), other in self._scripts.items():
            if tenant != script.tenant or script_id == script.id:
                continue
            if other.name == script.name:
                raise conflict_error(tenant, "name", script.name)
            if script.http_path is not None and other.http_path == script.http_path:
                raise conflict_error(tenant, "http_path", script.http_path)

    def add_script(self, script: Script, version: ScriptVersion) -> None:
        key = (script.tenant, script.id)
        with self._lock:
            if key in self._scripts:
                raise ScriptConflictError("id", f"A script with id {script.id!r} already exists")
            self._check_unique(script)
            self._scripts[key] = script
            self._versions[key] = [version]

    def save_script(
        self, script: Script, *, expected_version: int, new_version: ScriptVersion | None = None
    ) -> bool:
        key = (script.tenant, script.id)
        with self._lock:
            stored = self._scripts.get(key)
            if stored is None or stored.version != expected_version:
                return False
            self._check_unique(script)
            if new_version is not None:
                versions = self._versions[key]
                if any(v.version == new_version.version for v in versions):
                    return False
                versions.append(new_version)
            self._scripts[key] = script
            return True

    def get_script(self, tenant: str, script_id: str) -> Script | None:
        with self._lock:
            return self._scripts.get((tenant, script_id))

    def find_script(
        self, tenant: str, *, name: str | None = None, http_path: str | None = None
    ) -> Script | None:
        with self._lock:
            for (owner, _), script in self._scripts.items():
                if owner != tenant:
                    continue
                if name is not None and script.name == name:
                    return script
                if name is None and http_path is not None and script.http_path == http_path:
                    return script
        return None

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
        needle = None if not search else search.lower()
        with self._lock:
            found = [
                s
                for (owner, _), s in self._scripts.items()
                if owner == tenant
                and (type is None or s.type == type)
                and (status is None or s.status == status)
                and (needle is None or needle in s.name.lower() or needle in s.description.lower())
            ]
        found.sort(key=lambda s: (s.name, s.id))
        if order == "updated":
            found.sort(key=lambda s: s.updated_at or _NEVER, reverse=True)
        return found[offset : offset + limit], len(found)

    def scripts_of_type(self, type: ScriptType) -> list[Script]:
        with self._lock:
            return [s for s in self._scripts.values() if s.type == type]

    def active_scripts(self, type: ScriptType) -> list[Script]:
        with self._lock:
            return [s for s in self._scripts.values() if s.type == type and s.status == "active"]

    def delete_script(self, tenant: str, script_id: str) -> bool:
        key = (tenant, script_id)
        with self._lock:
            if self._scripts.pop(key, None) is None:
                return False
            self._versions.pop(key, None)
            self._running.pop(key, None)
            for execution_id in self._by_script.pop(key, {}):
                del self._executions[tenant, execution_id]
            self._completed_events = {
                k: e for k, e in self._completed_events.items() if k[:2] != key
            }
            return True

    def versions(self, tenant: str, script_id: str) -> list[ScriptVersion]:
        with self._lock:
            return list(self._versions.get((tenant, script_id), ()))

    def get_version(self, tenant: str, script_id: str, version: int) -> ScriptVersion | None:
        with self._lock:
            versions = self._versions.get((tenant, script_id), ())
            return next((v for v in versions if v.version == version), None)

    def _put(self, execution: Execution) -> None:
        script = (execution.tenant, execution.script_id)
        self._executions[execution.tenant, execution.id] = execution
        self._by_script.setdefault(script, {})[execution.id] = execution
        running = self._running.setdefault(script, {})
        if execution.status == "running" and execution.started_at is not None:
            running[execution.id] = execution.started_at
        else:
            running.pop(execution.id, None)
        event_id = execution.trigger.event_id
        if execution.status == "completed" and event_id is not None:
            self._completed_events[execution.tenant, execution.script_id, event_id] = execution

    def add_execution(self, execution: Execution) -> None:
        with self._lock:
            self._put(execution)

    def start_execution(
        self, execution: Execution, *, max_running: int, stale_before: datetime
    ) -> bool:
        with self._lock:
            running = self._running.get((execution.tenant, execution.script_id), {})
            others = sum(
                1
                for execution_id, started_at in running.items()
                if execution_id != execution.id and started_at >= stale_before
            )
            if others >= max_running:
                return False
            self._put(execution)
            return True

    def save_execution(self, execution: Execution) -> None:
        with self._lock:
            self._put(execution)

    def get_execution(self, tenant: str, execution_id: str) -> Execution | None:
        with self._lock:
            return self._executions.get((tenant, execution_id))

    def completed_event_execution(
        self, tenant: str, script_id: str, event_id: str
    ) -> Execution | None:
        with self._lock:
            return self._completed_events.get((tenant, script_id, event_id))

    def list_executions(
        self,
        tenant: str,
        script_id: str,
        *,
        status: ExecutionStatus | None = None,
        offset: int = 0,
        limit: int = 20,
    ) -> tuple[list[Execution], int]:
        with self._lock:
            found = [
                e
                for e in self._by_script.get((tenant, script_id), {}).values()
                if status is None or e.status == status
            ]
        found.sort(key=lambda e: (e.created_at or _NEVER, e.id), reverse=True)
        return found[offset : offset + limit], len(found)


_NEVER = datetime.min.replace(tzinfo=UTC)
