"""One tenant of a runtime: its store, schema, handlers, and the executors that run commands.

Commands go to a Python handler registered in code when there is one by that name; otherwise to
the current version of the uploaded WebAssembly handler, looked up in the handler registry for
every command, so a new upload (from any process) takes effect for the next command. Each
uploaded version gets its own executor over the shared store, so a command runs exactly the
version it looked up even while another is being uploaded.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from attrs import evolve, frozen

from esruntime.commands.executor import CommandExecutor, CommandResult
from esruntime.commands.statecache import StateCache
from esruntime.commands.statecache import state_cache_of as _cache
from esruntime.errors import HandlerFault, UnknownCommandError
from esruntime.handlers.checks import ManifestProblem, check_handler
from esruntime.handlers.executions import ExecutionCounter
from esruntime.handlers.manifest import COMMAND_NAME, HandlerManifest
from esruntime.handlers.python import PythonHandler
from esruntime.handlers.registry import HandlerVersion, UploadRejected, UploadResult
from esruntime.protocols import EventStore, HandlerRegistry, SchemaRegistry
from esruntime.runtime.modules import ModuleCache
from esruntime.runtime.recent import Recent, Revised
from esruntime.schema.model import Schema
from esruntime.schema.registry import SchemaAccepted

if TYPE_CHECKING:
    from esruntime.metrics import RuntimeMetrics

__all__ = ["HandlerInfo", "Tenant"]

logger = logging.getLogger(__name__)

_EXECUTORS_PER_TENANT = 64  # uploaded versions kept ready, least recently used dropped first


@frozen
class HandlerInfo:
    """A handler a tenant can run: registered in code (``python``) or uploaded (``wasm``)."""

    name: str
    version: str
    kind: Literal["python", "wasm"]
    event_types: tuple[str, ...]
    domain_id_fields: tuple[str, ...]
    uploaded_at: datetime | None = None
    size: int | None = None
    sha256: str | None = None

    @classmethod
    def of_upload(cls, handler: HandlerVersion) -> HandlerInfo:
        return cls(
            handler.name,
            handler.version,
            "wasm",
            handler.event_types,
            handler.domain_id_fields,
            handler.uploaded_at,
            handler.size,
            handler.sha256,
        )

    @classmethod
    def of_code(cls, manifest: HandlerManifest) -> HandlerInfo:
        fields = tuple(dict.fromkeys(f for r in manifest.reads for f in r.domain_ids))
        return cls(manifest.name, manifest.version, "python", manifest.read_types, fields)


class Tenant:
    """A tenant's view of the runtime: ``execute`` commands, and its services."""

    def __init__(
        self,
        name: str,
        store: EventStore,
        schema_registry: SchemaRegistry,
        handler_registry: HandlerRegistry,
        modules: ModuleCache,
        *,
        max_retries: int = 5,
        metrics: RuntimeMetrics | None = None,
        refresh_interval: float = 0.0,
        revision: Callable[[], int] | None = None,
        state_cache: StateCache | Literal[False] | None = None,
    ) -> None:
        self.name = name
        self._states = _cache(state_cache)
        self._states_owner = object()  # this tenant's entries in a cache shared by tenants
        self.store = store
        self.schema_registry = schema_registry
        self.handler_registry = handler_registry
        self._modules = modules
        self._max_retries = max_retries
        self._metrics = metrics
        self._executions = ExecutionCounter(handler_registry)
        self._schemas: Recent[None, Schema] = Recent(refresh_interval)
        self._versions: Recent[str, HandlerVersion] = Recent(refresh_interval)
        # With a revision (and no interval): lookups reused while the revision stays the same.
        self._revision = revision if refresh_interval <= 0 else None
        self._seen = -1
        self._revised_schema: Revised[None, Schema] = Revised()
        self._revised_versions: Revised[str, HandlerVersion] = Revised()
        self._python = self._executor()
        self._python_manifests: dict[str, HandlerManifest] = {}
        self._uploaded: OrderedDict[tuple[str, str], CommandExecutor] = OrderedDict()
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"<Tenant {self.name!r}>"

    def _executor(self) -> CommandExecutor:
        return CommandExecutor(
            self.store,
            schema=self._schema,
            max_retries=self._max_retries,
            executions=self._executions,
            schema_required=True,
            state_cache=False if self._states is None else self._states,
            cache_owner=self._states_owner,
        )

    def _refresh(self) -> None:
        """Read the tenant's revision (when it has one): lookups made under an older revision
        are made again. Revisions only grow, so the newest one read is kept."""
        if self._revision is not None:
            revision = self._revision()
            with self._lock:
                if revision > self._seen:
                    self._seen = revision

    def discard_states(self, name: str | None = None) -> None:
        """Drop the decision states kept for handler ``name`` (every handler when None): a
        new version or schema would miss them anyway, this frees their memory now."""
        if self._states is not None:
            self._states.discard(self._states_owner, name)

    def _schema(self) -> Schema | None:
        if self._revision is not None:
            return self._revised_schema.get(None, self._seen, self.schema_registry.schema)
        return self._schemas.get(None, self.schema_registry.schema)

    def _current(self, name: str) -> HandlerVersion | None:
        if not COMMAND_NAME.fullmatch(name):
            return None
        look_up = functools.partial(self.handler_registry.current, name)
        if self._revision is not None:
            return self._revised_versions.get(name, self._seen, look_up)
        return self._versions.get(name, look_up)

    # -- commands ----------------------------------------------------------------------------

    def execute(
        self,
        name: str,
        command: object,
        *,
        idempotency_key: str | None = None,
        context: Mapping[str, Any] | None = None,
    ) -> CommandResult:
        """Run command ``name`` (see :meth:`esruntime.commands.CommandExecutor.execute`).

        Raises UnknownCommandError when no handler has this name, HandlerFault when the handler
        breaks its contract, IdempotencyKeyReused when the key's first use was another request.
        """
        self._refresh()
        executor = self._executor_for(name)
        started = time.perf_counter()
        try:
            result = executor.execute(
                name, command, idempotency_key=idempotency_key, context=context
            )
        except HandlerFault as fault:
            if self._metrics is not None:
                self._metrics.record_fault(self.name, name, fault.code, _since(started))
            raise
        if self._metrics is not None:
            self._metrics.record_command(self.name, name, result, _since(started))
        return result

    def _executor_for(self, name: str) -> CommandExecutor:
        with self._lock:
            if name in self._python_manifests:
                return self._python
        current = self._current(name)
        if current is None:
            raise UnknownCommandError(f"No handler registered with name '{name}'")
        key = (current.sha256, current.version)
        with self._lock:
            executor = self._uploaded.get(key)
            if executor is not None:
                self._uploaded.move_to_end(key)
                return executor
        module = self._modules.get(
            current.sha256, lambda: self.handler_registry.module(name, current.version)
        )
        if module is None:  # deleted since we looked
            raise UnknownCommandError(f"No handler registered with name '{name}'")
        executor = self._executor()
        # The stored version is the one events are attributed to (the module may say another).
        executor.register_factory(evolve(module.manifest, version=current.version), module.handler)
        with self._lock:
            executor = self._uploaded.setdefault(key, executor)
            while len(self._uploaded) > _EXECUTORS_PER_TENANT:
                _, dropped = self._uploaded.popitem(last=False)
                dropped.discard_states()
        return executor

    # -- handlers ----------------------------------------------------------------------------

    def register(self, handler: type[PythonHandler]) -> HandlerManifest:
        """Serve command ``handler.name`` with a Python handler class, for this tenant only.

        The handler is checked as an upload is: when the tenant has a schema that it does not
        fit, HandlerRejectedError lists the errors an upload would report (their codes and
        messages), and the warnings an upload would return are logged. Without a schema yet,
        the check runs when a command does (a handler that does not fit faults with
        ``schema_mismatch``). A Python handler takes precedence over an uploaded one.
        """
        manifest = handler.manifest()
        self._refresh()
        schema = self._schema()
        if schema is not None:
            for warning in check_handler(manifest, schema):
                logger.warning("handler %r: %s", manifest.name, warning)
        return self.serve(handler)

    def serve(self, handler: type[PythonHandler]) -> HandlerManifest:
        """:meth:`register` without the check now: the first command runs it (used for a
        runtime's handlers in a tenant opened later, whose schema they may not fit)."""
        manifest = self._python.register(handler)
        with self._lock:
            self._python_manifests[manifest.name] = manifest
        return manifest

    def upload(self, name: str, module: bytes, version: str) -> UploadResult:
        """Validate and store a WebAssembly module as ``version`` of command ``name``; it runs
        the next command. A name served by a Python handler cannot be uploaded."""
        refused = self._in_code(name, "upload under another name")
        if refused is not None:
            return refused
        try:
            return self.handler_registry.upload(name, module, version)
        finally:
            self._versions.forget(name)
            self.discard_states(name)

    def make_current(self, name: str, version: str) -> UploadResult:
        """Run stored ``version`` of uploaded handler ``name`` from the next command on (a
        rollback, or a roll forward); see :meth:`HandlerService.make_current`."""
        refused = self._in_code(name, "it has no uploaded versions")
        if refused is not None:
            return refused
        try:
            return self.handler_registry.make_current(name, version)
        finally:
            self._versions.forget(name)
            self.discard_states(name)

    def _in_code(self, name: str, what_then: str) -> UploadRejected | None:
        """The refusal of an upload or rollback of a name served by a handler in code."""
        with self._lock:
            if name not in self._python_manifests:
                return None
        message = f"'{name}' is served by a handler registered in code; {what_then}"
        return UploadRejected((ManifestProblem("handler_in_code", message),))

    def versions(self, name: str) -> list[HandlerVersion]:
        """Every uploaded version of ``name``, oldest first (none for a handler in code)."""
        with self._lock:
            if name in self._python_manifests:
                return []
        return self.handler_registry.versions(name) if COMMAND_NAME.fullmatch(name) else []

    def delete(self, name: str) -> bool:
        """Forget an uploaded handler and its versions; False when there was none."""
        try:
            return self.handler_registry.delete(name)
        finally:
            self._versions.forget(name)
            self.discard_states(name)

    # -- schema ------------------------------------------------------------------------------

    def current_schema(self) -> Schema | None:
        """The schema commands run under now (None before the first push): reads upcast
        stored events to it."""
        self._refresh()
        return self._schema()

    def push_schema(self, text: str, *, force: bool = False) -> SchemaAccepted:
        """Push a new schema version (see :meth:`SchemaRegistry.push`); the next command of
        this tenant uses it."""
        try:
            return self.schema_registry.push(text, force=force)
        finally:
            self._schemas.forget(None)
            self.discard_states()

    def handler(self, name: str) -> HandlerInfo | None:
        """The handler that would run command ``name``, or None."""
        with self._lock:
            manifest = self._python_manifests.get(name)
        if manifest is not None:
            return HandlerInfo.of_code(manifest)
        self._refresh()
        current = self._current(name)
        return None if current is None else HandlerInfo.of_upload(current)

    def handlers(self) -> list[HandlerInfo]:
        """Every handler this tenant can run, by name."""
        with self._lock:
            found = {name: HandlerInfo.of_code(m) for name, m in self._python_manifests.items()}
        for uploaded in self.handler_registry.handlers():
            found.setdefault(uploaded.name, HandlerInfo.of_upload(uploaded))
        return [found[name] for name in sorted(found)]

    def executions_24h(self, name: str) -> int:
        """Executions of command ``name`` in the last 24 hours (every process's)."""
        self._executions.flush()
        return self.handler_registry.executions_24h(name)

    def all_executions_24h(self) -> dict[str, int]:
        """:meth:`executions_24h` of every command with executions, by name."""
        self._executions.flush()
        return self.handler_registry.all_executions_24h()

    # -- lifecycle ---------------------------------------------------------------------------

    def close(self) -> None:
        """Hand over pending execution counts and close the store."""
        try:
            self._executions.flush()
        except Exception:
            logger.warning("could not save the execution counts of %r", self.name, exc_info=True)
        self.store.close()


def _since(started: float) -> float:
    return time.perf_counter() - started
