"""What runs scripts by themselves: cron schedules and the scheduler
(:mod:`esruntime.triggers.schedule`), and event triggers (:mod:`esruntime.triggers.events`).

The names below are imported on first use: :mod:`esruntime.scripts.validation` checks cron
expressions with :mod:`esruntime.triggers.cron` and must not load the scheduler, which needs
the script service. The scheduler's rows are kept by a backend's ``schedule_store()``;
``InMemoryScheduleStore`` stays importable from here for code written before the memory backend
held it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from esruntime.lazy import lazy_exports

if TYPE_CHECKING:
    from esruntime.backends.memory.schedules import InMemoryScheduleStore
    from esruntime.protocols.schedules import ScheduleState, ScheduleStore
    from esruntime.triggers.cron import CronError, CronSchedule
    from esruntime.triggers.events import EventTriggerOptions, EventTriggers
    from esruntime.triggers.schedule import Scheduler, SchedulerOptions

__all__ = [
    "CronError",
    "CronSchedule",
    "EventTriggerOptions",
    "EventTriggers",
    "InMemoryScheduleStore",
    "ScheduleState",
    "ScheduleStore",
    "Scheduler",
    "SchedulerOptions",
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
            "SchedulerOptions": "esruntime.triggers.schedule",
            "InMemoryScheduleStore": "esruntime.backends.memory.schedules",
            "ScheduleState": "esruntime.protocols.schedules",
            "ScheduleStore": "esruntime.protocols.schedules",
        },
    )
