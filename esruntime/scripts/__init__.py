"""Scripts: tenant JavaScript that the host's Python code runs (``execute``, ``call``), that the
JSON API runs on demand, and that ``http`` scripts' routes run (:mod:`esruntime.web.hooks`).
See ``docs/scripts.md``. The engines live in :mod:`esruntime.scripts.engines`; the SDK the scripts
call (``sdk.http``, ``sdk.db``, ``sdk.cache``, ``sdk.log``, ``events``) in
:mod:`esruntime.scripts.sdk`. The names below are imported on first use, so that an engine's
worker process importing :mod:`esruntime.scripts.runner` does not load the service.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from esruntime.lazy import lazy_exports

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
    from esruntime.scripts.settings import ScriptResources, ScriptSettings

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
    "ScriptResources",
    "ScriptService",
    "ScriptSettings",
    "ScriptVersion",
    "Trigger",
]

if not TYPE_CHECKING:
    __getattr__, __dir__ = lazy_exports(
        __name__,
        {
            **dict.fromkeys(__all__, "esruntime.scripts.models"),
            # Kept here for code written before the memory backend had a package of its own.
            "InMemoryScriptRepository": "esruntime.backends.memory.scripts",
            "ScriptRepository": "esruntime.protocols.scripts",
            "InMemoryScriptCache": "esruntime.scripts.sdk.cache",
            "ScriptCache": "esruntime.scripts.sdk.cache",
            "LogBounds": "esruntime.scripts.sdk.logs",
            "RunCapacity": "esruntime.scripts.capacity",
            "ScriptService": "esruntime.scripts.service",
            "ScriptResources": "esruntime.scripts.settings",
            "ScriptSettings": "esruntime.scripts.settings",
        },
    )
