"""The command executor (``docs/commands.md``, "The lifecycle"), for every kind of handler.

For each attempt: build the query from the manifest and the input, read the matching events
and the head, replay them into a fresh handler, let it decide, check what it emits (declared in
the manifest, valid against the schema), derive tags from the schema's domain-id fields, and
append on the condition that nothing matching the query was appended after the head. When that
condition fails, the whole attempt runs again (bounded, with jittered backoff); exhausted
retries end in ``conflict``.

With an idempotency key the first result is exactly-once: it is recorded in the transaction of
the append (or on its own when nothing is appended), a repeat returns it without running the
handler, and concurrent repeats converge on it (the loser's conditional append conflicts, or its
record collides, and either way it finds the winner's record). Conflicts and faults are not
recorded: the same key may try again.

With a :class:`~esruntime.commands.statecache.StateCache` (the default) the handler's state
after its fold is kept, and the next command with the same handler, schema and query restores
it and folds only the events appended since (``docs/commands.md``, "Cached decision state").
"""

from __future__ import annotations

import logging
import reprlib
import threading
import time
from collections.abc import Callable, Hashable, Mapping
from typing import Any, Literal

from attrs import evolve, field, frozen

from esruntime.backoff import backoff_delay
from esruntime.commands.emitted import emitted_event
from esruntime.commands.query import build_query
from esruntime.commands.statecache import CachedState, StateCache
from esruntime.commands.statecache import state_cache_of as _cache
from esruntime.errors import (
    EventValidationError,
    HandlerFault,
    IdempotencyKeyReused,
    IntegrityError,
    InvalidCommandInput,
    UnknownCommandError,
)
from esruntime.events import AppendCondition, Event, Query, ReadResult, new_id
from esruntime.handlers.checks import check_manifest
from esruntime.handlers.executions import ExecutionCounter
from esruntime.handlers.manifest import HandlerManifest
from esruntime.handlers.python import CommandHandler, Emit, PythonHandler, Rejection
from esruntime.idempotency import (
    DuplicateIdempotencyKey,
    IdempotencyRecord,
    check_key,
    fingerprint,
)
from esruntime.protocols import EventStore
from esruntime.schema.model import Schema
from esruntime.schema.upcasting import upcast_events

__all__ = ["CommandExecutor", "CommandResult"]

logger = logging.getLogger(__name__)

Outcome = Literal["ok", "rejected", "conflict"]


@frozen
class CommandResult:
    """What became of a command: ``ok`` (with the ids of what it appended), ``rejected`` (with
    the handler's code and message) or ``conflict`` (retries exhausted)."""

    outcome: Outcome
    position: int | None = None
    event_ids: tuple[str, ...] = ()
    code: str | None = None
    message: str | None = None
    retries: int = 0
    replayed: bool = False
    """True when this is the recorded result of an earlier request with the same key."""
    events: tuple[Event, ...] = field(default=(), eq=False, repr=False)
    """The events this call appended, as the handler emitted them (empty for a replay)."""

    def to_record(self) -> dict[str, Any]:
        """This result as JSON-ready data, as an idempotency record keeps it for replays."""
        return {
            "outcome": self.outcome,
            "position": self.position if not self.event_ids else None,
            "event_ids": list(self.event_ids),
            "code": self.code,
            "message": self.message,
        }


@frozen
class _Registered:
    manifest: HandlerManifest
    factory: Callable[[], CommandHandler] = field(repr=False)


class CommandExecutor:
    """Runs commands against one tenant's event store.

    ``schema`` returns the tenant's current schema (or None): every handler's manifest is
    checked against it before a command runs (:func:`~esruntime.handlers.checks.check_manifest`,
    as an upload is; a handler that no longer fits faults with ``schema_mismatch``), emitted
    events are validated against it and tagged by its domain-id fields, and replayed events are
    upcast to it. Without a schema nothing is checked, unless ``schema_required``: then every
    command faults as an upload would be refused.
    A conflicting attempt waits :func:`~esruntime.backoff.backoff_delay` (full jitter over
    ``backoff`` doubling up to ``max_backoff``) before the next one, at most ``max_retries``
    times.
    """

    def __init__(
        self,
        store: EventStore,
        *,
        schema: Callable[[], Schema | None] = lambda: None,
        max_retries: int = 5,
        backoff: float = 0.002,
        max_backoff: float = 0.05,
        executions: ExecutionCounter | None = None,
        schema_required: bool = False,
        state_cache: StateCache | Literal[False] | None = None,
        cache_owner: Hashable | None = None,
    ) -> None:
        self._store = store
        self._states = _cache(state_cache)
        self._token = 0 if self._states is None else self._states.token()
        self._owner = self._token if cache_owner is None else cache_owner
        self._schema_required = schema_required
        self._fits: dict[str, Schema] = {}
        self._executions = executions
        self._schema = schema
        self.max_retries = max_retries
        self._backoff = backoff
        self._max_backoff = max_backoff
        self._handlers: dict[str, _Registered] = {}
        self._lock = threading.Lock()

    def register(self, handler: type[PythonHandler]) -> HandlerManifest:
        """Register a Python handler class under its command name (replacing an earlier one)."""
        manifest = handler.manifest()
        self.register_factory(manifest, handler)
        return manifest

    def register_factory(
        self, manifest: HandlerManifest, factory: Callable[[], CommandHandler]
    ) -> None:
        """Register any handler: ``factory`` makes a fresh instance for every attempt."""
        with self._lock:
            self._handlers[manifest.name] = _Registered(manifest, factory)
            self._fits.pop(manifest.name, None)
        self.discard_states(manifest.name)

    @property
    def state_cache(self) -> StateCache | None:
        """Where decision states are kept (None: caching is off)."""
        return self._states

    def discard_states(self, name: str | None = None) -> None:
        """Drop this executor's kept states of handler ``name`` (of every handler when None)."""
        if self._states is not None:
            self._states.discard(self._owner, name, executor=self._token)

    def _check_fit(self, manifest: HandlerManifest, schema: Schema | None) -> None:
        """Fault unless ``manifest`` passes the upload checks against ``schema`` (remembered per
        schema object, which the tenant keeps until the schema changes)."""
        if schema is None and not self._schema_required:
            return
        if schema is not None and self._fits.get(manifest.name) is schema:
            return
        errors, _ = check_manifest(manifest, schema)
        if errors:
            details = "; ".join(f"{p.message} [{p.code}]" for p in errors)
            raise HandlerFault(
                "schema_mismatch",
                f"handler {manifest.name!r} does not fit the tenant's schema: {details}",
            )
        if schema is not None:
            self._fits[manifest.name] = schema

    def manifest(self, name: str) -> HandlerManifest:
        return self._lookup(name).manifest

    def _lookup(self, name: str) -> _Registered:
        registered = self._handlers.get(name)
        if registered is None:
            raise UnknownCommandError(f"no handler is registered for command {name!r}")
        return registered

    def execute(
        self,
        name: str,
        command: object,
        *,
        idempotency_key: str | None = None,
        context: Mapping[str, Any] | None = None,
    ) -> CommandResult:
        """Run ``command`` through handler ``name``; see the module docstring."""
        registered = self._lookup(name)
        try:
            return self._execute_once(registered, name, command, idempotency_key, context)
        finally:
            if self._executions is not None:
                try:
                    self._executions.record(name)
                except Exception:  # statistics never fail a command
                    logger.warning("could not record an execution of %r", name, exc_info=True)

    def _execute_once(
        self,
        registered: _Registered,
        name: str,
        command: object,
        idempotency_key: str | None,
        context: Mapping[str, Any] | None,
    ) -> CommandResult:
        if idempotency_key is None:
            return self._execute(registered, command, None, context)
        check_key(idempotency_key)
        try:
            digest = fingerprint(name, command)
        except RecursionError:
            return CommandResult(
                "rejected", code="invalid_input", message="command input nests too deeply"
            )
        previous = self._store.recall(idempotency_key)
        if previous is not None:
            return self._replay(previous, digest)
        result = self._execute(registered, command, (idempotency_key, digest), context)
        if result.outcome == "conflict" or result.replayed or result.event_ids:
            return result  # conflicts are not recorded; appended results were, with the events
        kept = self._store.remember(IdempotencyRecord(idempotency_key, digest, result.to_record()))
        if kept.fingerprint != digest or kept.result != result.to_record():
            return self._replay(kept, digest)  # a concurrent repeat recorded its result first
        return result

    def _replay(self, record: IdempotencyRecord, digest: str) -> CommandResult:
        if record.fingerprint != digest:
            raise IdempotencyKeyReused(
                f"idempotency key {record.key!r} was first used with another command or input"
            )
        stored = record.result
        event_ids = tuple(stored.get("event_ids") or ())
        position = stored.get("position")
        if event_ids:
            last = self._store.get(event_ids[-1])
            position = None if last is None else last.position
        return CommandResult(
            stored["outcome"],
            position=position,
            event_ids=event_ids,
            code=stored.get("code"),
            message=stored.get("message"),
            replayed=True,
        )

    def _execute(
        self,
        registered: _Registered,
        command: object,
        key: tuple[str, str] | None,
        context: Mapping[str, Any] | None,
    ) -> CommandResult:
        if not isinstance(command, dict):
            kind = type(command).__name__
            return CommandResult(
                "rejected",
                code="invalid_input",
                message=f"command input must be a JSON object, got {kind}",
            )
        manifest = registered.manifest
        self._check_fit(manifest, self._schema())
        metadata = _metadata(manifest, context)
        query = None
        for attempt in range(self.max_retries + 1):
            if key is not None and attempt > 0:
                previous = self._store.recall(key[0])
                if previous is not None:  # a concurrent repeat won the race
                    return self._replay(previous, key[1])
            handler = _guarded(manifest, "constructing the handler", registered.factory)
            rejection = _guarded(manifest, "validate", handler.validate, command)
            if rejection is not None:
                if not isinstance(rejection, Rejection):
                    raise HandlerFault(
                        "invalid_result",
                        f"handler {manifest.name!r} validate returned "
                        f"{reprlib.repr(rejection)}; it must return None (valid) or a Rejection",
                    )
                return CommandResult(
                    "rejected", code=rejection.code, message=rejection.message, retries=attempt
                )
            if query is None:  # after validate: the handler's own input errors come first
                try:
                    query = build_query(manifest, command)
                except InvalidCommandInput as exc:
                    return CommandResult("rejected", code="invalid_input", message=str(exc))
            schema = self._schema()
            result = self._fold(registered, handler, query, schema)
            decision = _decision(manifest, handler, command)
            if isinstance(decision, Rejection):
                return CommandResult(
                    "rejected", code=decision.code, message=decision.message, retries=attempt
                )
            events = [_event(manifest, schema, emit, metadata) for emit in decision]
            if not events:
                return CommandResult("ok", position=result.head, retries=attempt)
            outcome = CommandResult("ok", event_ids=tuple(e.id for e in events), retries=attempt)
            record = None if key is None else IdempotencyRecord(*key, outcome.to_record())
            try:
                position = self._store.append(
                    events, AppendCondition(query, after=result.head), record=record
                )
            except IntegrityError:
                if attempt < self.max_retries:
                    time.sleep(backoff_delay(attempt + 1, self._backoff, self._max_backoff))
                continue
            except DuplicateIdempotencyKey as exc:  # a concurrent repeat recorded first
                assert key is not None
                return self._replay(exc.existing, key[1])
            return evolve(outcome, position=position, events=tuple(events))
        return CommandResult(
            "conflict",
            message=(
                "the decision kept conflicting with concurrent appends after "
                f"{self.max_retries} retries"
            ),
            retries=self.max_retries,
        )

    def _fold(
        self,
        registered: _Registered,
        handler: CommandHandler,
        query: Query,
        schema: Schema | None,
    ) -> ReadResult:
        """Fold the events ``query`` selects into ``handler`` (after ``validate``): all of
        them, or those after a kept state restored into it; keep the state it reaches."""
        manifest = registered.manifest
        states = self._states
        key = (self._owner, self._token, manifest.name, query)
        kept = None if states is None else states.get(key)
        start = None
        if kept is not None and kept.handler is registered and kept.schema is schema:
            restore = getattr(handler, "restore_state", None)
            if restore is not None and _guarded(manifest, "restore_state", restore, kept.snapshot):
                start = 1 if kept.position is None else kept.position + 1
            else:
                kept = None
        else:
            kept = None
        result = self._store.read(query) if start is None else self._store.read(query, start=start)
        replayed = result.events
        if schema is not None and replayed:
            replayed = upcast_events(schema, replayed)
        _guarded(manifest, "apply", handler.apply_all, replayed)
        if states is None:
            return result
        if kept is not None:
            if not replayed:
                if result.head != kept.position:
                    states.put(key, evolve(kept, position=result.head))
                return result
            events = kept.events + len(replayed)
        else:
            events = len(replayed)
            if events < states.min_events or not states.admit(key):
                return result
        snapshot_state = getattr(handler, "snapshot_state", None)
        try:
            snapshot = None if snapshot_state is None else snapshot_state()
        except Exception:  # a state that cannot be kept costs a replay, never the command
            logger.warning("could not keep the state of %r", manifest.name, exc_info=True)
            snapshot = None
        if snapshot is not None:
            states.put(key, CachedState(registered, schema, result.head, events, snapshot))
        return result


def _guarded(manifest: HandlerManifest, step: str, call: Callable[..., Any], *args: Any) -> Any:
    """``call(*args)`` of a handler; an exception it raises is the handler's fault, named."""
    try:
        return call(*args)
    except HandlerFault:
        raise
    except Exception as exc:
        logger.warning("handler %r raised in %s", manifest.name, step, exc_info=True)
        raise HandlerFault(
            "handler_error",
            f"handler {manifest.name!r} raised {type(exc).__name__} in {step}: {exc}",
        ) from exc


def _decision(
    manifest: HandlerManifest, handler: CommandHandler, command: dict[str, Any]
) -> list[Emit] | Rejection:
    """What ``handle`` decided: a Rejection, or the events (a list, tuple or other iterable)."""
    decision = _guarded(manifest, "handle", handler.handle, command)
    if isinstance(decision, Rejection):
        return decision
    if decision is None or isinstance(decision, Emit | str | bytes | Mapping):
        raise HandlerFault(
            "invalid_result",
            f"handler {manifest.name!r} handle returned {reprlib.repr(decision)}; it must "
            "return a list of Emit (empty to emit nothing) or a Rejection",
        )
    try:
        iter(decision)
    except TypeError:
        raise HandlerFault(
            "invalid_result",
            f"handler {manifest.name!r} handle returned {reprlib.repr(decision)}; it must "
            "return a list of Emit (empty to emit nothing) or a Rejection",
        ) from None
    emitted: list[Emit] = _guarded(manifest, "handle", list, decision)
    return emitted


def _metadata(manifest: HandlerManifest, context: Mapping[str, Any] | None) -> dict[str, Any]:
    context = context or {}
    return {
        "correlation_id": context.get("correlation_id") or new_id("cor"),
        "causation_id": context.get("causation_id"),
        "handler": manifest.name,
        "handler_version": manifest.version,
    }


def _event(
    manifest: HandlerManifest, schema: Schema | None, emit: Emit, metadata: dict[str, Any]
) -> Event:
    """The stored form of an emitted event: checked, tagged, with an id and metadata."""
    if not isinstance(emit, Emit):
        raise HandlerFault(
            "invalid_result", f"handler {manifest.name!r} returned {emit!r}, not an Emit"
        )
    if emit.type not in manifest.emit_types:
        raise HandlerFault(
            "undeclared_event",
            f"handler {manifest.name!r} emitted {emit.type!r}, which its manifest does not declare "
            f"(emits: {', '.join(manifest.emit_types) or 'nothing'})",
        )
    if not isinstance(emit.data, Mapping):
        raise HandlerFault(
            "invalid_event",
            f"handler {manifest.name!r} emitted {emit.type} data that is not an object",
        )
    if schema is not None and schema.event(emit.type) is None:
        raise HandlerFault(
            "unknown_event_type",
            f"handler {manifest.name!r} emitted {emit.type!r}, which is not in the schema",
        )
    read = next((r for r in manifest.reads if r.type == emit.type), None)
    try:
        data, tags = emitted_event(schema, emit.type, emit.data, read.domain_ids if read else ())
    except EventValidationError as exc:
        raise HandlerFault(
            "invalid_event", f"handler {manifest.name!r} emitted invalid data: {exc}"
        ) from None
    except InvalidCommandInput as exc:
        raise HandlerFault("invalid_event", str(exc)) from None
    return Event(emit.type, data, tags, metadata=metadata)
