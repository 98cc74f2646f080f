"""What runs scripts by themselves: event triggers (:mod:`esruntime.triggers.events`)."""

from esruntime.triggers.events import EventTriggerOptions, EventTriggers

__all__ = ["EventTriggerOptions", "EventTriggers"]
