"""What runs scripts by themselves: schedules (:mod:`esruntime.triggers.cron`,
:mod:`esruntime.triggers.schedule`)."""

from __future__ import annotations

__all__: list[str] = []
