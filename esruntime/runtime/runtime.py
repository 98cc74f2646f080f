"""The runtime: the one object a host application holds.

::

    runtime = Runtime.from_url("sqlite:///esruntime.db")
    runtime.register(Deposit)                   # a Python handler, for every tenant
    runtime.push_schema(ESDL)                   # the default tenant's next schema version
    result = runtime.execute("deposit", {"account_id": "a1", "amount": 5})
    runtime.execute("deposit", {...}, tenant="acme")  # another tenant: its own store, schema
    acme = runtime.tenant("acme")               # and handlers, its services on the Tenant

It wires the services together and keeps each tenant's; the rules live in the services.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, Protocol

from esruntime.auth.keys import ApiKeyService
from esruntime.auth.resolver import ApiKeyResolver, PrincipalResolver
from esruntime.backends.memory.backend import MemoryBackend
from esruntime.backends.memory.events import InMemoryEventStore
from esruntime.backends.sql.backend import SqlBackend
from esruntime.backends.sql.store import SqlEventStore
from esruntime.backends.urls import open_backend
from esruntime.checks import check_tenant
from esruntime.commands.executor import CommandResult
from esruntime.commands.statecache import StateCache
from esruntime.commands.statecache import state_cache_of as _cache
from esruntime.errors import ConfigurationError
from esruntime.handlers.abi import WasmLimits
from esruntime.handlers.manifest import HandlerManifest
from esruntime.handlers.python import PythonHandler
from esruntime.handlers.registry import HandlerService
from esruntime.metrics import RuntimeMetrics
from esruntime.protocols import (
    ApiKeyStore,
    Backend,
    EventStore,
    HandlerRegistry,
    SchemaRegistry,
    ScriptRunner,
)
from esruntime.runtime.modules import ModuleCache
from esruntime.runtime.tenant import Tenant
from esruntime.schema.registry import SchemaAccepted, SchemaService

if TYPE_CHECKING:
    from esruntime.protocols.consumers import ConsumerStore
    from esruntime.scripts.service import ScriptService
    from esruntime.scripts.settings import ScriptResources, ScriptSettings
    from esruntime.triggers.events import EventTriggerOptions
    from esruntime.triggers.schedule import SchedulerOptions

__all__ = ["Runtime", "Worker"]


class Worker(Protocol):
    """Something that runs in the background while the runtime is started (the triggers)."""

    def start(self) -> None: ...

    def stop(self, timeout: float | None = None) -> None: ...


class Runtime:
    """Tenants, each with its own event store, schema registry and handler registry.

    Pass the default tenant's services in (``event_store=``, ``schema_registry=``,
    ``handler_registry=``; what is missing is built by the backend), or use :meth:`from_url`.
    Other tenants' services come from ``backend``, by default the kind of ``event_store``
    (memory, or the same SQL database). ``Runtime()`` keeps everything in memory.

    ``api_keys`` (by default the backend's) issues and checks the keys of every tenant;
    ``principal_resolver`` (by default one reading API keys) finds who a web request is from.

    ``refresh_interval`` (seconds, default 0): how long a tenant may reuse the current schema
    and handler versions it looked up. With 0 a change made by any process is seen by the next
    command: the tenant's revision (one number, bumped by every schema push and handler change)
    says when to look the versions up again; it is read per command on SQLite and heard by
    ``LISTEN/NOTIFY`` on PostgreSQL (:mod:`esruntime.backends.sql.revisions`). Registries passed
    in, and the memory backend's, are looked up for every command. A positive value reuses what
    was looked up for that long and sees other processes' changes within the interval.

    ``state_cache`` keeps handlers' decision states between commands, so that a command folds
    only the events appended since the last one (``docs/commands.md``, "Cached decision
    state"): None (default) for a :class:`~esruntime.commands.statecache.StateCache` with its
    default bounds shared by every tenant, a cache of your own, or False for none.

    :attr:`scripts` is the JavaScript script service (``scripts=`` one of your own, or one built
    on first use that runs scripts on ``script_runner()``, its ``sdk.db``, ``sdk.http`` and
    ``sdk.cache`` as ``script_settings`` says: a :class:`~esruntime.scripts.ScriptSettings`).

    Commands (:meth:`execute`), schema pushes (:meth:`push_schema`) and scripts (:attr:`scripts`)
    act on the default tenant, or on the one named by the keyword ``tenant=``; :meth:`tenant`
    gives a tenant's services.

    Python handlers registered with :meth:`register` serve every tenant; uploaded WebAssembly
    handlers belong to the tenant that uploaded them. :meth:`close` closes every service the
    runtime holds, including those passed in.

    :meth:`start` starts the background workers that run scripts by themselves (the event
    triggers, tuned by ``event_triggers=``, and the cron scheduler, tuned by ``scheduler=``);
    :meth:`stop` and :meth:`close` stop them.
    """

    def __init__(
        self,
        event_store: EventStore | None = None,
        schema_registry: SchemaRegistry | None = None,
        handler_registry: HandlerRegistry | None = None,
        *,
        backend: Backend | None = None,
        api_keys: ApiKeyStore | None = None,
        principal_resolver: PrincipalResolver | None = None,
        default_tenant: str | None = None,
        wasm_limits: WasmLimits | None = None,
        max_retries: int = 5,
        refresh_interval: float = 0.0,
        metrics: RuntimeMetrics | None = None,
        scripts: ScriptService | None = None,
        script_runner: Callable[[], ScriptRunner] | None = None,
        script_settings: ScriptSettings | None = None,
        event_triggers: EventTriggerOptions | None = None,
        scheduler: SchedulerOptions | None = None,
        state_cache: StateCache | Literal[False] | None = None,
    ) -> None:
        self.backend = backend or _backend_of(event_store)
        given = (event_store, schema_registry, handler_registry)
        tenants = {s.tenant for s in given if s is not None}
        if default_tenant is not None:
            tenants.add(check_tenant(default_tenant))
        if len(tenants) > 1:
            raise ConfigurationError(
                "the default tenant's services belong to different tenants: "
                + ", ".join(sorted(tenants))
            )
        self.default_tenant = tenants.pop() if tenants else "default"
        self.api_keys = api_keys or ApiKeyService(self.backend.api_key_storage())
        self.principal_resolver = principal_resolver or ApiKeyResolver(self.api_keys)
        self.modules = ModuleCache(wasm_limits)
        self.metrics = metrics or RuntimeMetrics()
        self._max_retries = max_retries
        self.state_cache = _cache(state_cache)
        """Decision states kept between commands, shared by every tenant (None: off)."""
        self._refresh_interval = refresh_interval
        self._given = {self.default_tenant: given}
        self._tenants: dict[str, Tenant] = {}
        self._python: dict[str, type[PythonHandler]] = {}
        self._lock = threading.RLock()
        self._closed = False
        self._scripts = scripts
        self._script_runner = script_runner
        self._script_settings = script_settings
        self._script_resources: ScriptResources | None = None
        self._event_trigger_options = event_triggers
        if scheduler is not None and not callable(getattr(scheduler, "scheduler", None)):
            raise ConfigurationError("scheduler must be a SchedulerOptions")
        self._scheduler_options = scheduler
        self._consumers: ConsumerStore | None = None
        self._workers: list[Worker] | None = None

    @classmethod
    def from_url(cls, url: str, **options: Any) -> Runtime:
        """A runtime keeping everything at ``url``: ``memory://``, ``sqlite:///file.db`` or
        ``postgresql+psycopg://user@host/db`` (events, schemas, handlers, idempotency records,
        API keys and scripts in one database), or ``umadb://host:port`` (the events on that
        server, the rest in its ``database`` option). ``options`` are those of the
        constructor."""
        return cls(backend=open_backend(url), **options)

    # -- tenants -----------------------------------------------------------------------------

    def tenant(self, name: str | None = None) -> Tenant:
        """The tenant ``name`` (the default one when None), its services built on first use."""
        name = self.default_tenant if name is None else check_tenant(name)
        with self._lock:
            if self._closed:
                raise ConfigurationError("this runtime is closed")
            tenant = self._tenants.get(name)
            if tenant is None:
                tenant = self._tenants[name] = self._build(name)
            return tenant

    def _build(self, name: str) -> Tenant:
        store, schemas, handlers = self._given.pop(name, (None, None, None))
        # The backend's revision tells when its registries changed; registries passed in may
        # live elsewhere, so they are looked up for every command.
        revision = None
        if schemas is None and handlers is None and self._refresh_interval <= 0:
            revision = self.backend.tenant_revision(name)
        store = store or self.backend.event_store(name)
        schemas = schemas or SchemaService(self.backend.schema_storage(name), store)
        handlers = handlers or HandlerService(
            self.backend.handler_storage(name), self.modules.describe, schemas.schema
        )
        tenant = Tenant(
            name,
            store,
            schemas,
            handlers,
            self.modules,
            max_retries=self._max_retries,
            metrics=self.metrics,
            refresh_interval=self._refresh_interval,
            revision=revision,
            state_cache=False if self.state_cache is None else self.state_cache,
        )
        for handler in self._python.values():
            tenant.serve(handler)  # checked by its first command: this tenant's schema may differ
        return tenant

    @property
    def tenants(self) -> list[str]:
        """The tenants served since this runtime started, by name."""
        with self._lock:
            return sorted(self._tenants)

    # -- commands and handlers ---------------------------------------------------------------

    def register(self, handler: type[PythonHandler]) -> HandlerManifest:
        """Serve command ``handler.name`` with a Python handler class, for every tenant.

        Each tenant open now checks it against its schema (see :meth:`Tenant.register`,
        HandlerRejectedError when it does not fit); a tenant opened later, on its first command.
        """
        manifest = handler.manifest()
        with self._lock:
            self._python[manifest.name] = handler
            tenants = list(self._tenants.values())
        for tenant in tenants:
            tenant.register(handler)
        return manifest

    def execute(
        self,
        name: str,
        command: object,
        *,
        tenant: str | None = None,
        idempotency_key: str | None = None,
        context: Mapping[str, Any] | None = None,
    ) -> CommandResult:
        """Run command ``name`` for ``tenant`` (the default one when None), as
        :meth:`Tenant.execute` does: the same keyword as the script service's ``tenant=``."""
        return self.tenant(tenant).execute(
            name, command, idempotency_key=idempotency_key, context=context
        )

    # -- schemas -----------------------------------------------------------------------------

    def push_schema(
        self, text: str, *, tenant: str | None = None, force: bool = False
    ) -> SchemaAccepted:
        """Push ESDL ``text`` as ``tenant``'s next schema version (the default tenant when None),
        as :meth:`Tenant.push_schema` does: the tenant's next command runs under it.

        Raises SchemaSyntaxError or SchemaSemanticError (both SchemaError) when the text is not
        a valid schema, SchemaRejectedError when the change would break stored events
        (``force=True`` stores it anyway). Pushing the current text again changes nothing.
        """
        return self.tenant(tenant).push_schema(text, force=force)

    # -- other services ----------------------------------------------------------------------

    @property
    def scripts(self) -> ScriptService:
        """The script service (``esruntime.scripts``): the one given, or one built on first use.

        The one built keeps scripts in the backend (memory or the same SQL database), runs them
        on ``script_runner()`` (default: quickjs-ng in the calling thread, for trusted scripts;
        pass ``ProcessPoolRunner`` for untrusted ones), publishes events to each tenant's store
        against its schema, and gives scripts the ``sdk.db``, ``sdk.http`` and ``sdk.cache`` of
        ``script_settings`` (by default: no database, public addresses only, a cache in memory).
        """
        with self._lock:
            if self._closed:
                raise ConfigurationError("this runtime is closed")
            if self._scripts is None:
                self._scripts = self._build_scripts()
            return self._scripts

    def _build_scripts(self) -> ScriptService:
        from esruntime.scripts.engines import QuickJsRunner
        from esruntime.scripts.service import ScriptService
        from esruntime.scripts.settings import ScriptSettings

        resources = (self._script_settings or ScriptSettings()).open()
        try:
            runner = (self._script_runner or QuickJsRunner)()
        except BaseException:
            resources.close()
            raise
        self._script_resources = resources
        return ScriptService(
            self.backend.script_repository(),
            runner,
            event_store=lambda tenant: self.tenant(tenant).store,
            schema=lambda tenant: self.tenant(tenant).schema_registry.schema(),
            http=resources.http,
            cache=resources.cache,
            database=resources.database,
            default_tenant=self.default_tenant,
            consumers=self.consumer_store,
        )

    @property
    def consumer_store(self) -> ConsumerStore:
        """Where durable consumers keep their checkpoints, leases and dead letters."""
        with self._lock:
            if self._consumers is None:
                self._consumers = self.backend.consumer_store()
            return self._consumers

    # -- lifecycle ---------------------------------------------------------------------------

    @property
    def workers(self) -> list[Worker]:
        """The background workers :meth:`start` started (empty before)."""
        with self._lock:
            return list(self._workers or ())

    def start(self) -> None:
        """Start the background workers: the event triggers of every tenant's active event
        scripts, and the scheduler of their active scheduled scripts. Starting again does
        nothing; :meth:`close` stops them."""
        from esruntime.triggers.events import EventTriggerOptions, EventTriggers
        from esruntime.triggers.schedule import SchedulerOptions

        scripts = self.scripts
        options = self._event_trigger_options or EventTriggerOptions()
        listener = None
        engine = getattr(self.backend, "engine", None)
        if options.listen and engine is not None and engine.dialect.name == "postgresql":
            from esruntime.backends.sql.notifications import PostgresListener

            listener = PostgresListener(engine, fallback_poll=options.fallback_poll)
        with self._lock:
            if self._workers is not None:
                return
            if scripts.consumers is None:
                scripts.consumers = self.consumer_store
            self._workers = [
                EventTriggers(
                    scripts,
                    lambda tenant: self.tenant(tenant).store,
                    scripts.consumers,
                    options=options,
                    listener=listener,
                ),
                (self._scheduler_options or SchedulerOptions()).scheduler(
                    scripts, self.backend.schedule_store()
                ),
            ]
            workers = list(self._workers)
        for worker in workers:
            worker.start()

    def stop(self) -> None:
        """Stop the background workers (each after its run in progress is recorded); the
        runtime stays usable and :meth:`start` starts them again."""
        with self._lock:
            workers, self._workers = self._workers or [], None
        for worker in workers:
            worker.stop()

    def close(self) -> None:
        """Stop the workers, close every tenant's services and the backend; the runtime cannot
        be used after."""
        self.stop()
        with self._lock:
            if self._closed:
                return
            self._closed = True
            tenants = list(self._tenants.values())
            unused = [store for store, _, _ in self._given.values() if store is not None]
            scripts, self._scripts = self._scripts, None
        if scripts is not None:
            scripts.close()
        if self._script_resources is not None:
            self._script_resources.close()
        for tenant in tenants:
            tenant.close()
        for store in unused:
            store.close()
        self.api_keys.close()
        self.backend.close()

    def __enter__(self) -> Runtime:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def _backend_of(store: EventStore | None) -> Backend:
    """The backend for the other services and tenants of a runtime built around ``store``."""
    if store is None or isinstance(store, InMemoryEventStore):
        return MemoryBackend()
    if isinstance(store, SqlEventStore):
        return SqlBackend(store.engine)
    raise ConfigurationError(
        f"cannot tell where to keep the other services of a {type(store).__name__}: "
        "pass backend=MemoryBackend() or SqlBackend(engine)"
    )
