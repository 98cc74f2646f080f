"""From what a handler decides, or a script publishes, to the data and tags of the event to
append: the same rules for both.

A type the tenant's schema declares gets its data completed with the declared defaults (so that
stored events have the current shape), validated, and tagged ``field:value`` from its declared
domain-id fields; any other type keeps its data and is tagged from the ``domain_ids`` the caller
names (a handler's manifest), if any.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from esruntime.commands.query import tag_value
from esruntime.errors import InvalidCommandInput
from esruntime.schema.model import Schema
from esruntime.schema.validation import upcast, validate_event

__all__ = ["emitted_event"]


def emitted_event(
    schema: Schema | None,
    event_type: str,
    data: Mapping[str, Any],
    domain_ids: Sequence[str] = (),
) -> tuple[dict[str, Any], list[str]]:
    """The data and the tags of an emitted event.

    Raises :class:`~esruntime.errors.EventValidationError` for data that does not match its
    declared type, and :class:`~esruntime.errors.InvalidCommandInput` (``Type.field: ...``) for a
    domain id that no tag can hold.
    """
    declared = None if schema is None else schema.event(event_type)
    completed: Any = data if isinstance(data, dict) else dict(data)  # upcast never mutates
    if declared is not None:
        assert schema is not None
        completed = upcast(schema, event_type, completed)  # an object, with its defaults
        validate_event(schema, event_type, completed)
        domain_ids = declared.domain_ids
    tags = []
    for name in domain_ids:
        try:
            value = tag_value(completed.get(name))
        except InvalidCommandInput as exc:
            raise InvalidCommandInput(f"{event_type}.{name}: {exc}") from None
        if value is not None:
            tags.append(f"{name}:{value}")
    return dict(completed), tags
