"""Scripts: tenant JavaScript that the host's Python code runs (``execute``, ``call``).

A script's type may be ``scheduled``, ``http``, ``event`` or ``oneoff`` with its trigger fields
stored, but nothing triggers scripts by schedule, event or HTTP route yet. See
``docs/scripts.md``. The engines live in :mod:`esruntime.scripts.engines`; the SDK the scripts
call (``sdk.http``, ``sdk.db``, ``sdk.cache``, ``sdk.log``, ``events``) in
:mod:`esruntime.scripts.sdk`. The names below are imported on first use, so that an engine's
worker process importing :mod:`esruntime.scripts.runner` does not load the service.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from esruntime.backends.memory.scripts import InMemoryScriptRepository
    from esruntime.protocols.scripts import ScriptRepository
    from esruntime.scripts.capacity import RunCapacity
    from esruntime.scripts.models import (
        Execution,
        ExecutionFailure,
        ExecutionMetrics,
        ExecutionPage,
        LogEntry,
        Script,
        ScriptLimits,
        ScriptPage,
        ScriptVersion,
        Trigger,
    )
    from esruntime.scripts.sdk.cache import InMemoryScriptCache, ScriptCache
    from esruntime.scripts.sdk.logs import LogBounds
    from esruntime.scripts.service import ScriptService

__all__ = [
    "Execution",
    "ExecutionFailure",
    "ExecutionMetrics",
    "ExecutionPage",
    "InMemoryScriptCache",
    "InMemoryScriptRepository",
    "LogBounds",
    "LogEntry",
    "RunCapacity",
    "Script",
    "ScriptCache",
    "ScriptLimits",
    "ScriptPage",
    "ScriptRepository",
    "ScriptService",
    "ScriptVersion",
    "Trigger",
]

_HOMES = {
    # Kept here for code written before the memory backend had a package of its own.
    "InMemoryScriptRepository": "esruntime.backends.memory.scripts",
    "ScriptRepository": "esruntime.protocols.scripts",
    "InMemoryScriptCache": "esruntime.scripts.sdk.cache",
    "ScriptCache": "esruntime.scripts.sdk.cache",
    "LogBounds": "esruntime.scripts.sdk.logs",
    "RunCapacity": "esruntime.scripts.capacity",
    "ScriptService": "esruntime.scripts.service",
}


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module 'esruntime.scripts' has no attribute {name!r}")
    value = getattr(importlib.import_module(_HOMES.get(name, "esruntime.scripts.models")), name)
    globals()[name] = value
    return value
