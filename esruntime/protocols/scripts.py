"""The script protocols: where scripts are kept, and what runs them.

:class:`ScriptRepository` is what a backend implements: scripts, versions and executions of
every tenant. Every method is scoped to one tenant: a script or execution id of another tenant
is not found. A repository keeps the invariants the script service relies on atomically: a
script's name and HTTP path are unique per tenant, a source change stores its version with the
script or not at all, and starting a run counts the runs in progress under the same lock that
records it.

:class:`ScriptRunner` is a JavaScript engine (see :mod:`esruntime.scripts.runner` for the
values it takes and returns); :class:`SdkHost` is the host side of the SDK a run calls.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from esruntime.errors import ScriptConflictError

if TYPE_CHECKING:
    from esruntime.scripts.models import (
        Execution,
        ExecutionStatus,
        Script,
        ScriptOrder,
        ScriptStatus,
        ScriptType,
        ScriptVersion,
    )
    from esruntime.scripts.runner import RunLimits, RunResult

__all__ = ["ScriptRepository", "ScriptRunner", "SdkHost", "conflict_error"]


@runtime_checkable
class ScriptRepository(Protocol):
    """Storage of scripts, versions and executions for many tenants."""

    def add_script(self, script: Script, version: ScriptVersion) -> None:
        """Store a new script with its first version.

        Raises :class:`ScriptConflictError` when the tenant has a script with its name or path.
        """

    def save_script(
        self, script: Script, *, expected_version: int, new_version: ScriptVersion | None = None
    ) -> bool:
        """Replace a stored script (and store ``new_version`` with it, atomically).

        False, with nothing changed, when the stored script is gone or its version is no longer
        ``expected_version`` (a concurrent source change). Raises :class:`ScriptConflictError`
        when another script of the tenant has the name or path.
        """
        ...

    def get_script(self, tenant: str, script_id: str) -> Script | None: ...

    def find_script(
        self, tenant: str, *, name: str | None = None, http_path: str | None = None
    ) -> Script | None:
        """The script with this name (or else this HTTP path), if any."""
        ...

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
        """Scripts by name (``updated``: the last changed first) whose name or description
        contains ``search`` (any case), of the type and status given; a window of them and how
        many matched in all."""
        ...

    def scripts_of_type(self, type: ScriptType) -> list[Script]:
        """Every script of this type, of every tenant (what the scheduler keeps rows for)."""
        ...

    def active_scripts(self, type: ScriptType) -> list[Script]:
        """Every tenant's ``active`` scripts of ``type``: what the triggers run."""
        ...

    def delete_script(self, tenant: str, script_id: str) -> bool:
        """Forget a script with its versions and executions; False when there was none."""
        ...

    def versions(self, tenant: str, script_id: str) -> list[ScriptVersion]:
        """Every version of a script, oldest first."""
        ...

    def get_version(self, tenant: str, script_id: str, version: int) -> ScriptVersion | None: ...

    def add_execution(self, execution: Execution) -> None:
        """Record a new execution (usually ``pending``)."""

    def start_execution(
        self, execution: Execution, *, max_running: int, stale_before: datetime
    ) -> bool:
        """Save ``execution`` (``running``) if fewer than ``max_running`` other runs of its
        script are running, counting only those started at or after ``stale_before`` (older
        ones belong to a process that died). False, with nothing saved, otherwise."""
        ...

    def save_execution(self, execution: Execution) -> None:
        """Replace a recorded execution."""

    def get_execution(self, tenant: str, execution_id: str) -> Execution | None: ...

    def completed_event_execution(
        self, tenant: str, script_id: str, event_id: str
    ) -> Execution | None:
        """A ``completed`` execution of the script for the event ``event_id`` (its trigger's
        ``event_id``), if there is one: an indexed look-up, made before each event run so that
        an event whose run was recorded is not run again."""
        ...

    def list_executions(
        self,
        tenant: str,
        script_id: str,
        *,
        status: ExecutionStatus | None = None,
        offset: int = 0,
        limit: int = 20,
    ) -> tuple[list[Execution], int]:
        """A script's executions, newest first: a window of them and how many there are."""
        ...


def conflict_error(tenant: str, field: str, value: str) -> ScriptConflictError:
    """The error a repository raises when another script of ``tenant`` has this name or path."""
    if field == "http_path":
        return ScriptConflictError(
            "http_path", f"Another script of tenant {tenant!r} already serves {value!r}"
        )
    return ScriptConflictError("name", f"A script named {value!r} already exists")


class SdkHost(Protocol):
    """The host side of the SDK, one per execution (it knows the tenant, script and execution).

    ``call`` may be called from several threads at once when a script awaits several SDK
    calls together (``Promise.all``); ``log.*`` calls come one at a time, in the script's order.
    """

    def call(self, name: str, args: list[Any]) -> Any:
        """Perform one SDK call; return a JSON value or raise :class:`SdkError`."""
        ...


@runtime_checkable
class ScriptRunner(Protocol):
    """Runs scripts: the source is the body of an async function (top-level ``await`` and
    ``return`` work) with the globals ``context``, ``sdk`` and ``events``.

    ``run`` is safe to call from several threads at once; each run gets a fresh engine context.
    """

    def run(
        self, source: str, *, context: Mapping[str, Any], host: SdkHost, limits: RunLimits
    ) -> RunResult: ...

    def close(self) -> None: ...
