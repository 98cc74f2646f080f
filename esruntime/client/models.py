"""What the client returns: typed values for every answer of the HTTP API.

Outcomes a caller is expected to handle are values, not exceptions: a command is
:class:`CommandOk`, :class:`CommandRejected` or :class:`CommandConflict` (each with a ``status``
as in the API's body: a :data:`CommandResponse`); an upload :class:`HandlerUploaded` or
:class:`HandlerRejected`. Failures raise a ``ClientError``. A schema push is reported as in
process, with the same types (:mod:`esruntime.schema.outcomes`): ``SchemaAccepted``, or
``SchemaRejectedError`` holding a ``SchemaRejected``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal

from attrs import field, frozen

from esruntime.errors import ManifestProblem

__all__ = [
    "CommandConflict",
    "CommandEvent",
    "CommandOk",
    "CommandRejected",
    "CommandResponse",
    "EventPage",
    "HandlerDetails",
    "HandlerRejected",
    "HandlerSummary",
    "HandlerUploaded",
    "HandlerVersionInfo",
    "Health",
    "SchemaEvent",
    "SchemaField",
    "SchemaInfo",
    "StoredEvent",
]


# -- commands ---------------------------------------------------------------------------------


@frozen
class CommandEvent:
    """An event a command appended."""

    id: str
    type: str
    data: Any
    timestamp: datetime


@frozen
class CommandOk:
    """The command succeeded; ``position`` is the store's position after it (None: an empty
    store and nothing emitted).

    ``retries`` counts every re-run after a conflict: the server's (``X-Retry-Count``) and the
    client's resends; ``attempts`` the requests sent. ``replayed``: the answer is the recorded
    result of an earlier request with the same idempotency key.
    """

    position: int | None
    events: tuple[CommandEvent, ...]
    retries: int = 0
    attempts: int = 1
    replayed: bool = False
    status: Literal["ok"] = field(default="ok", init=False)

    @property
    def event_ids(self) -> tuple[str, ...]:
        return tuple(event.id for event in self.events)


@frozen
class CommandRejected:
    """The handler refused the command (HTTP 422, or 400 for ``invalid_input``); nothing was
    written."""

    code: str
    message: str | None
    retries: int = 0
    attempts: int = 1
    status: Literal["rejected"] = field(default="rejected", init=False)


@frozen
class CommandConflict:
    """The command kept conflicting with concurrent writes after every retry (HTTP 409);
    nothing was written."""

    message: str
    retries: int = 0
    attempts: int = 1
    status: Literal["conflict"] = field(default="conflict", init=False)


CommandResponse = CommandOk | CommandRejected | CommandConflict
"""What the server answered to a command: :class:`CommandOk`, :class:`CommandRejected` or
:class:`CommandConflict` (in process, :meth:`Runtime.execute <esruntime.runtime.Runtime.execute>`
returns an :class:`esruntime.CommandResult` instead)."""


# -- schema -----------------------------------------------------------------------------------


@frozen
class SchemaField:
    """A field of an event type; ``domain_id`` when it is one of the event's domain ids."""

    name: str
    type: str
    domain_id: bool
    doc: str | None = None


@frozen
class SchemaEvent:
    """An event type of the schema: its domain-id fields and every field."""

    name: str
    domain_ids: tuple[str, ...]
    fields: tuple[SchemaField, ...]
    doc: str | None = None


@frozen
class SchemaInfo:
    """``GET /schema``: the current version, its ESDL ``text`` and its event types.

    ``types`` and ``enums`` are the other declarations, as the server describes them.
    """

    version: str
    text: str
    events: tuple[SchemaEvent, ...]
    updated_at: datetime
    types: tuple[Mapping[str, Any], ...] = ()
    enums: tuple[Mapping[str, Any], ...] = ()


# -- handlers ---------------------------------------------------------------------------------


@frozen
class HandlerSummary:
    """An entry of ``GET /handlers``; ``kind`` is ``wasm`` (uploaded) or ``python`` (in code)."""

    name: str
    version: str
    event_types: tuple[str, ...]
    uploaded_at: datetime | None
    executions_24h: int
    kind: str | None = None


@frozen
class HandlerVersionInfo:
    """One uploaded version of a handler; ``current`` when it runs the commands."""

    version: str
    uploaded_at: datetime
    wasm_size_bytes: int
    sha256: str
    current: bool


@frozen
class HandlerDetails:
    """``GET /handlers/{name}``; size and digest are None for a handler registered in code.
    ``version`` is the version that runs; ``versions`` every uploaded one, oldest first."""

    name: str
    version: str
    event_types: tuple[str, ...]
    domain_id_fields: tuple[str, ...]
    uploaded_at: datetime | None
    wasm_size_bytes: int | None
    sha256: str | None
    kind: str | None = None
    versions: tuple[HandlerVersionInfo, ...] = ()


@frozen
class HandlerUploaded:
    """The module was validated and stored; it runs the next command."""

    name: str
    version: str
    event_types: tuple[str, ...]
    warnings: tuple[str, ...] = ()
    status: Literal["ok"] = field(default="ok", init=False)


@frozen
class HandlerRejected:
    """The module was refused; ``errors`` says why, every problem at once."""

    errors: tuple[ManifestProblem, ...]
    status: Literal["rejected"] = field(default="rejected", init=False)


# -- events and health ------------------------------------------------------------------------


@frozen
class StoredEvent:
    """An event of the store; ``metadata`` only comes with ``get_event``."""

    id: str
    type: str
    data: Any
    domain_ids: Mapping[str, Any]
    position: int
    timestamp: datetime
    metadata: Mapping[str, Any] | None = None


@frozen
class EventPage:
    """A page of ``POST /events/query``: ask again after ``next_position`` while ``has_more``."""

    events: tuple[StoredEvent, ...]
    next_position: int
    has_more: bool


@frozen
class Health:
    """``GET /health``: ``status`` (``healthy`` or not), the server's version, and the rest of
    the body (``umadb``, ``store``, ``backend``, ...)."""

    status: str
    version: str
    details: Mapping[str, Any] = field(factory=dict)

    @property
    def healthy(self) -> bool:
        return self.status == "healthy"
