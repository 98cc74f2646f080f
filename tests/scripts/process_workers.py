"""What the child processes of test_processes.py run (importable under ``spawn``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from esruntime.backends.sql.scripts import SqlScriptRepository
from esruntime.testing.scripts import make_execution, make_script


def start_runs(url: str, script_id: str, attempts: int, limit: int, barrier: Any, out: Any) -> None:
    """Try to start ``attempts`` runs of the script; report how many were started."""
    repository = SqlScriptRepository(url, create_tables=False)
    script = make_script(id=script_id)
    now = datetime.now(UTC)
    barrier.wait()
    started = 0
    for _ in range(attempts):
        execution = make_execution(script, status="running", started_at=now, created_at=now)
        if repository.start_execution(
            execution, max_running=limit, stale_before=now - timedelta(minutes=5)
        ):
            started += 1
    out.put(started)
    repository.engine.dispose()


def create_named(url: str, name: str, barrier: Any, out: Any) -> None:
    """Try to create a script named ``name``; report whether this process won."""
    from esruntime.errors import ScriptConflictError
    from esruntime.testing.scripts import first_version

    repository = SqlScriptRepository(url, create_tables=False)
    script = make_script(name=name)
    barrier.wait()
    try:
        repository.add_script(script, first_version(script))
        out.put("created")
    except ScriptConflictError:
        out.put("conflict")
    repository.engine.dispose()
