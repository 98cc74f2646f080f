"""``events.publish``: a script appends an event to its tenant's DCB event store.

A type the tenant's ESDL schema declares is checked against it (defaults filled, then
validated) and tagged ``field:value`` from its domain-id fields, like a command's events. Any
other type must look like ``module.entity.action`` (``order.updated``, ``billing.invoice.sent``):
lowercase words separated by dots, two or three of them. Every event's metadata names the
tenant, user, script and execution that published it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from esruntime.commands.emitted import emitted_event
from esruntime.errors import (
    EventValidationError,
    InvalidCommandInput,
    InvalidEventError,
    SdkError,
    StoreQueryError,
    StoreUnavailableError,
)
from esruntime.events import Event
from esruntime.protocols import EventStore
from esruntime.schema.model import Schema

__all__ = ["CONVENTIONAL_TYPE", "EventPublisher"]

CONVENTIONAL_TYPE = re.compile(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*){1,2}")
MAX_TYPE_LENGTH = 200


class EventPublisher:
    """Publishes the events of one execution to its tenant's store (``store()`` is asked for it
    at the first publish)."""

    def __init__(
        self,
        store: Callable[[], EventStore],
        schema: Callable[[], Schema | None],
        metadata: Mapping[str, Any],
    ) -> None:
        self._store = store
        self._schema = schema
        self._metadata = dict(metadata)

    def publish(self, args: list[Any]) -> bool:
        if len(args) != 2:
            raise SdkError(
                f"events.publish takes (eventType, payload), got {len(args)} argument(s)"
            )
        event_type, payload = args
        if not isinstance(event_type, str) or not event_type:
            raise SdkError("events.publish: the event type must be a non-empty string")
        if not isinstance(payload, Mapping):
            kind = "null" if payload is None else _json_kind(payload)
            raise SdkError(f"events.publish: the payload must be an object, got {kind}")
        shown = event_type if len(event_type) <= 60 else event_type[:60] + "…"
        schema = self._schema()
        declared = None if schema is None else schema.event(event_type)
        if declared is None and (
            len(event_type) > MAX_TYPE_LENGTH or not CONVENTIONAL_TYPE.fullmatch(event_type)
        ):
            raise SdkError(
                f"events.publish: event type {shown!r} is not declared in the tenant's schema "
                "and does not follow module.entity.action (lowercase words joined by dots, "
                "e.g. order.updated)"
            )
        try:
            data, tags = emitted_event(schema, event_type, payload)
        except EventValidationError as exc:
            details = "; ".join(f"{path}: {message}" for path, message in exc.violations)
            raise SdkError(f"events.publish: invalid {event_type} payload: {details}") from None
        except InvalidCommandInput as exc:
            raise SdkError(f"events.publish: {exc}") from None
        try:
            self._store().append(Event(event_type, data, tags, metadata=self._metadata))
        except StoreUnavailableError:
            raise SdkError("events.publish: the event store is unavailable; try again") from None
        except StoreQueryError as exc:  # permanent: the same event would be refused again
            raise SdkError(
                f"events.publish: the event store cannot store the event: {exc}"
            ) from None
        except InvalidEventError as exc:
            raise SdkError(f"events.publish: the event was refused: {exc}") from None
        return True


def _json_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list | tuple):
        return "array"
    return json.dumps(type(value).__name__)
