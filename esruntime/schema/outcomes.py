"""What a schema push comes to, in process and through the HTTP client alike: accepted with its
new version and the events it changes, or rejected with every change that breaks stored events.

:meth:`SchemaRegistry.push <esruntime.schema.SchemaRegistry.push>` (and ``Runtime.push_schema``,
and ``Client.push_schema``) return :class:`SchemaAccepted` or raise
:class:`~esruntime.errors.SchemaRejectedError` holding a :class:`SchemaRejected`; a validation
(the dry run) returns either. This module imports no parser, so the client can use it cheaply.
"""

from __future__ import annotations

from typing import Literal

from attrs import field, frozen

from esruntime.schema.changes import BreakingChange, SchemaChanges

__all__ = ["REJECTION_HINT", "PushResult", "SchemaAccepted", "SchemaRejected"]

REJECTION_HINT = "Use --force flag via CLI to override (creates new schema version)"


@frozen
class SchemaAccepted:
    """A push that was (or, for a dry run, would be) accepted as ``version``."""

    version: str
    changes: SchemaChanges
    status: Literal["ok"] = field(default="ok", init=False)


@frozen
class SchemaRejected:
    """A push refused because it breaks stored events: every breaking change, and how to
    override (push again with ``force``)."""

    breaking_changes: tuple[BreakingChange, ...]
    hint: str = REJECTION_HINT
    status: Literal["rejected"] = "rejected"


PushResult = SchemaAccepted | SchemaRejected
