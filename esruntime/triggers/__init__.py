"""What runs scripts by themselves: cron schedules and the scheduler (``docs/scripts.md``,
"Scheduled scripts").

The names below are imported on first use: :mod:`esruntime.scripts.validation` checks cron
expressions with :mod:`esruntime.triggers.cron` and must not load the scheduler, which needs
the script service.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from esruntime.triggers.cron import CronError, CronSchedule
    from esruntime.triggers.schedule import Scheduler
    from esruntime.triggers.state import InMemoryScheduleStore, ScheduleState, ScheduleStore

__all__ = [
    "CronError",
    "CronSchedule",
    "InMemoryScheduleStore",
    "ScheduleState",
    "ScheduleStore",
    "Scheduler",
]

_HOMES = {
    "CronError": "esruntime.triggers.cron",
    "CronSchedule": "esruntime.triggers.cron",
    "Scheduler": "esruntime.triggers.schedule",
    "InMemoryScheduleStore": "esruntime.triggers.state",
    "ScheduleState": "esruntime.triggers.state",
    "ScheduleStore": "esruntime.triggers.state",
}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'esruntime.triggers' has no attribute {name!r}")
    value = getattr(importlib.import_module(_HOMES[name]), name)
    globals()[name] = value
    return value
