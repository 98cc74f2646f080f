"""What runs scripts by themselves: cron schedules and the scheduler
(:mod:`esruntime.triggers.schedule`), and event triggers (:mod:`esruntime.triggers.events`).

The names below are imported on first use: :mod:`esruntime.scripts.validation` checks cron
expressions with :mod:`esruntime.triggers.cron` and must not load the scheduler, which needs
the script service.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from esruntime.lazy import lazy_exports

if TYPE_CHECKING:
    from esruntime.triggers.cron import CronError, CronSchedule
    from esruntime.triggers.events import EventTriggerOptions, EventTriggers
    from esruntime.triggers.schedule import Scheduler
    from esruntime.triggers.state import InMemoryScheduleStore, ScheduleState, ScheduleStore

__all__ = [
    "CronError",
    "CronSchedule",
    "EventTriggerOptions",
    "EventTriggers",
    "InMemoryScheduleStore",
    "ScheduleState",
    "ScheduleStore",
    "Scheduler",
]

if not TYPE_CHECKING:
    __getattr__, __dir__ = lazy_exports(
        __name__,
        {
            "CronError": "esruntime.triggers.cron",
            "CronSchedule": "esruntime.triggers.cron",
            "EventTriggerOptions": "esruntime.triggers.events",
            "EventTriggers": "esruntime.triggers.events",
            "Scheduler": "esruntime.triggers.schedule",
            "InMemoryScheduleStore": "esruntime.triggers.state",
            "ScheduleState": "esruntime.triggers.state",
            "ScheduleStore": "esruntime.triggers.state",
        },
    )
