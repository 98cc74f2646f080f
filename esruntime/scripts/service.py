"""The script service: a tenant's scripts, their versions, and running them.

::

    service = ScriptService(InMemoryScriptRepository(), QuickJsRunner(), event_store=stores)
    script = service.create(name="discount rule", type="embedded", source="return 0.1;")
    service.call("discount rule", {"total": 120})           # 0.1
    execution = service.execute(script.id, {"total": 120})  # the recorded Execution

Every method takes ``tenant`` (the service's default tenant when omitted); tenants never see
each other's scripts or executions. Field rules are in :mod:`esruntime.scripts.validation`;
runs in :mod:`esruntime.scripts.executor`.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from attrs import evolve

from esruntime.checks import check_tenant
from esruntime.errors import (
    ConfigurationError,
    ScriptBusyError,
    ScriptExecutionError,
    ScriptNotFoundError,
    ScriptStateError,
    ScriptTimeoutError,
    ScriptValidationError,
)
from esruntime.events import SequencedEvent
from esruntime.protocols import EventStore
from esruntime.protocols.consumers import (
    SCRIPT_CONSUMER_PREFIX,
    ConsumerStore,
    DeadLetter,
    DeadLetterPage,
    storable_error,
)
from esruntime.protocols.scripts import ScriptRepository, ScriptRunner
from esruntime.schema.model import Schema
from esruntime.scripts.capacity import RunCapacity
from esruntime.scripts.executor import ScriptExecutor, SdkServices, json_copy
from esruntime.scripts.models import (
    SCRIPT_ORDERS,
    SCRIPT_STATUSES,
    SCRIPT_TYPES,
    TRIGGER_TYPES,
    Execution,
    ExecutionPage,
    ExecutionStatus,
    Script,
    ScriptOrder,
    ScriptPage,
    ScriptStatus,
    ScriptType,
    ScriptVersion,
    Trigger,
)
from esruntime.scripts.sdk.cache import InMemoryScriptCache, ScriptCache
from esruntime.scripts.sdk.host import HttpRequester, ScriptDatabase
from esruntime.scripts.sdk.logs import LogBounds
from esruntime.scripts.sdk.ratelimit import SlidingWindowLimiter
from esruntime.scripts.validation import FIELDS, check_fields
from esruntime.triggers.cron import MAX_NEXT_RUNS, CronError, CronSchedule

__all__ = ["NOT_RUNNABLE", "ScriptService"]

NOT_RUNNABLE: frozenset[ScriptStatus] = frozenset(("disabled", "archived"))
"""Statuses whose scripts never run, not even on demand."""

MAX_PER_PAGE = 100
_CONTROL = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")
_SAVE_ATTEMPTS = 20
# The service's own triggers (immutable): used as they are, where a caller's is checked and copied.
_MANUAL = Trigger.manual()
_API = Trigger.api()

Versions = list[ScriptVersion]
Times = list[datetime]

ChangeListener = Callable[[str, str], None]
"""Called with (tenant, script id) after a script was created, changed or deleted."""


class ScriptService:
    """Scripts of many tenants: validation, versions, and recorded runs.

    ``event_store`` and ``schema`` give a tenant's event store and current ESDL schema (for
    ``events.publish``); ``cache`` is the ``sdk.cache`` backend (in process memory by default);
    ``http`` performs ``sdk.http`` requests; ``database`` gives a tenant's ``sdk.db``. Without
    one of them, the SDK calls that need it fail with a plain message. ``capacity`` shares the
    runner between tenants (:class:`~esruntime.scripts.capacity.RunCapacity`: by default a
    tenant may hold every slot of a process pool but one, and a run waits at most 10 s).
    ``clock`` stamps scripts' ``created_at``/``updated_at`` (aware datetimes; now in UTC by
    default): the scheduler counts a schedule's ticks from the change that set it.
    ``consumers`` keeps the event triggers' checkpoints and dead letters (``dead_letters``).
    """

    def __init__(
        self,
        repository: ScriptRepository,
        runner: ScriptRunner,
        *,
        event_store: Callable[[str], EventStore] | None = None,
        schema: Callable[[str], Schema | None] | None = None,
        cache: ScriptCache | None = None,
        http: HttpRequester | None = None,
        database: Callable[[str], ScriptDatabase] | None = None,
        default_tenant: str = "default",
        log_bounds: LogBounds | None = None,
        limiter: SlidingWindowLimiter | None = None,
        capacity: RunCapacity | None = None,
        clock: Callable[[], datetime] | None = None,
        consumers: ConsumerStore | None = None,
    ) -> None:
        self.repository = repository
        self._clock = clock or _now
        self.consumers = consumers
        self._event_store = event_store
        self._listeners: list[ChangeListener] = []
        self.default_tenant = check_tenant(default_tenant)
        services = SdkServices(
            event_store=event_store,
            schema=schema,
            cache=InMemoryScriptCache() if cache is None else cache,
            http=http,
            database=database,
            log_bounds=log_bounds or LogBounds(),
        )
        self._executor = ScriptExecutor(repository, runner, services, limiter, capacity)

    def _tenant(self, tenant: str | None) -> str:
        return self.default_tenant if tenant is None else check_tenant(tenant)

    def add_listener(self, listener: ChangeListener) -> None:
        """Call ``listener(tenant, script_id)`` after each create, update, rollback and delete
        made through this service (the triggers start and stop scripts' runs with it)."""
        self._listeners.append(listener)

    def remove_listener(self, listener: ChangeListener) -> None:
        """Stop calling ``listener`` (one added with :meth:`add_listener`)."""
        if listener in self._listeners:
            self._listeners.remove(listener)

    def _changed(self, tenant: str, script_id: str) -> None:
        for listener in self._listeners:
            listener(tenant, script_id)

    # -- scripts ---------------------------------------------------------------------------------

    def create(
        self, *, tenant: str | None = None, created_by: str | None = None, **fields: Any
    ) -> Script:
        """Validate and store a new script with its version 1.

        ``fields``: ``name``, ``source``, ``type`` (required), ``description``, ``status``
        (``draft``), ``cron_expression`` and ``timezone`` (scheduled), ``http_path`` and
        ``http_methods`` (http), ``event_types`` (event), ``limits`` (a ScriptLimits or a mapping
        of some limits). Raises ScriptValidationError (every invalid field) or
        ScriptConflictError (the name or HTTP path is taken).
        """
        tenant = self._tenant(tenant)
        values = _checked({name: fields.get(name) for name in FIELDS} | fields)
        now = self._clock()
        script = Script(
            id=str(uuid.uuid4()),
            tenant=tenant,
            version=1,
            created_by=_user(created_by),
            created_at=now,
            updated_by=_user(created_by),
            updated_at=now,
            **values,
        )
        version = ScriptVersion(script.id, 1, script.source, now, script.created_by)
        self.repository.add_script(script, version)
        self._changed(tenant, script.id)
        return script

    def update(
        self,
        script_id: str,
        *,
        tenant: str | None = None,
        updated_by: str | None = None,
        **changes: Any,
    ) -> Script:
        """Change some fields of a script (the others are kept); a new source stores a new
        version. ``limits`` may name only the limits that change."""
        tenant = self._tenant(tenant)
        unknown = {name: "is not a field of a script" for name in changes if name not in FIELDS}
        if unknown:
            raise ScriptValidationError(unknown)
        for _ in range(_SAVE_ATTEMPTS):
            current = self.get(script_id, tenant=tenant)
            given = dict(changes)
            if isinstance(given.get("limits"), Mapping):
                given["limits"] = {**current.limits.to_dict(), **given["limits"]}
            values = _checked({name: getattr(current, name) for name in FIELDS} | given)
            new_source = values["source"] != current.source
            changed = evolve(
                current,
                **values,
                version=current.version + 1 if new_source else current.version,
                updated_by=_user(updated_by),
                updated_at=self._clock(),
            )
            version = None
            if new_source:
                version = ScriptVersion(
                    script_id,
                    changed.version,
                    changed.source,
                    changed.updated_at or self._clock(),
                    changed.updated_by,
                )
            if self.repository.save_script(
                changed, expected_version=current.version, new_version=version
            ):
                self._changed(tenant, script_id)
                return changed
        raise ScriptStateError(f"Script {script_id!r} kept changing during the update; try again")

    def rollback(
        self,
        script_id: str,
        version: int,
        *,
        tenant: str | None = None,
        updated_by: str | None = None,
    ) -> Script:
        """Make version ``version``'s source the current one, stored as a new version."""
        tenant = self._tenant(tenant)
        for _ in range(_SAVE_ATTEMPTS):
            current = self.get(script_id, tenant=tenant)
            old = self.version(script_id, version, tenant=tenant)
            now = self._clock()
            changed = evolve(
                current,
                source=old.source,
                version=current.version + 1,
                updated_by=_user(updated_by),
                updated_at=now,
            )
            stored = ScriptVersion(
                script_id, changed.version, old.source, now, changed.updated_by, old.version
            )
            if self.repository.save_script(
                changed, expected_version=current.version, new_version=stored
            ):
                self._changed(tenant, script_id)
                return changed
        raise ScriptStateError(f"Script {script_id!r} kept changing during the rollback; try again")

    def delete(self, script_id: str, *, tenant: str | None = None) -> None:
        """Forget a script with its versions and executions (and its event trigger's place and
        dead letters)."""
        tenant = self._tenant(tenant)
        if not self.repository.delete_script(tenant, script_id):
            raise ScriptNotFoundError(f"No script {script_id!r}")
        self._changed(tenant, script_id)
        if self.consumers is not None:
            self.consumers.delete(tenant, SCRIPT_CONSUMER_PREFIX + script_id)

    def get(self, script_id: str, *, tenant: str | None = None) -> Script:
        script = self.repository.get_script(self._tenant(tenant), _id(script_id))
        if script is None:
            raise ScriptNotFoundError(f"No script {script_id!r}")
        return script

    def find(self, name: str, *, tenant: str | None = None) -> Script | None:
        """The script named ``name``, if any."""
        tenant = self._tenant(tenant)
        return self.repository.find_script(tenant, name=_id(name)) if _id(name) else None

    def find_by_path(self, http_path: str, *, tenant: str | None = None) -> Script | None:
        """The ``http`` script serving ``http_path``, if any."""
        tenant = self._tenant(tenant)
        path = _id(http_path, 500)
        return self.repository.find_script(tenant, http_path=path) if path else None

    def list(
        self,
        *,
        tenant: str | None = None,
        search: str | None = None,
        type: ScriptType | None = None,
        status: ScriptStatus | None = None,
        page: int = 1,
        per_page: int = 20,
        order: ScriptOrder = "name",
    ) -> ScriptPage:
        """Scripts by name (``order="updated"``: the last changed first), filtered (``search``
        in the name or description, any case)."""
        problems: dict[str, str] = {}
        if order not in SCRIPT_ORDERS:
            problems["order"] = f"must be one of {', '.join(SCRIPT_ORDERS)}"
        if type is not None and type not in SCRIPT_TYPES:
            problems["type"] = f"{str(type)[:40]!r} is not a script type"
        if status is not None and status not in SCRIPT_STATUSES:
            problems["status"] = f"{str(status)[:40]!r} is not a script status"
        if not _is_int(page) or page < 1:
            problems["page"] = "must be an integer of at least 1"
        if not _is_int(per_page) or not 1 <= per_page <= MAX_PER_PAGE:
            problems["per_page"] = f"must be an integer between 1 and {MAX_PER_PAGE}"
        if search is not None and (
            not isinstance(search, str) or len(search) > 200 or _CONTROL.search(search)
        ):
            problems["search"] = "must be a string of at most 200 characters without controls"
        if problems:
            raise ScriptValidationError(problems)
        items, total = self.repository.list_scripts(
            self._tenant(tenant),
            search=search.strip() if search else None,
            type=type,
            status=status,
            offset=(page - 1) * per_page,
            limit=per_page,
            order=order,
        )
        return ScriptPage(tuple(items), total, page, per_page)

    def next_runs(
        self,
        script_id: str,
        count: int = 5,
        *,
        tenant: str | None = None,
        after: datetime | None = None,
    ) -> Times:
        """When an ``active`` ``scheduled`` script runs next: its next ``count`` (1 to 100)
        ticks after ``after`` (the service's clock: now), as aware UTC datetimes. Empty for
        other scripts: only active scheduled scripts run by themselves."""
        if not _is_int(count) or not 1 <= count <= MAX_NEXT_RUNS:
            raise ScriptValidationError(
                {"count": f"must be an integer between 1 and {MAX_NEXT_RUNS}"}
            )
        if after is not None and (not isinstance(after, datetime) or after.tzinfo is None):
            raise ScriptValidationError({"after": "must be an aware datetime"})
        script = self.get(script_id, tenant=tenant)
        if script.type != "scheduled" or script.status != "active" or not script.cron_expression:
            return []
        try:
            schedule = CronSchedule.parse(script.cron_expression, script.timezone)
        except CronError:  # stored before the rules it breaks: it never runs
            return []
        return schedule.next_runs(count, after=self._clock() if after is None else after)

    def versions(self, script_id: str, *, tenant: str | None = None) -> Versions:
        """Every stored version of a script, oldest first."""
        tenant = self._tenant(tenant)
        self.get(script_id, tenant=tenant)
        return self.repository.versions(tenant, script_id)

    def version(self, script_id: str, version: int, *, tenant: str | None = None) -> ScriptVersion:
        found = None
        if _is_int(version):
            found = self.repository.get_version(self._tenant(tenant), _id(script_id), version)
        if found is None:
            raise ScriptNotFoundError(f"Script {script_id!r} has no version {version!r}")
        return found

    # -- running ---------------------------------------------------------------------------------

    def execute(
        self,
        script_id: str,
        input: Any = None,
        *,
        tenant: str | None = None,
        trigger: Trigger | None = None,
        user_id: str | int | None = None,
        organization_id: str | None = None,
        execution_id: str | None = None,
    ) -> Execution:
        """Run a script now and return its recorded execution, whatever became of it.

        ``input`` is a JSON object (``context.input``). ``execution_id`` (a UUID) names the
        execution, so that a caller running it in the background can point at it beforehand.
        A run beyond the script's ``max_concurrent_runs``, or that found no share of the runner
        free within ``RunCapacity.wait_s`` (a ``CapacityError``), is recorded ``cancelled`` and
        not run. Disabled and archived scripts are refused (ScriptStateError).
        """
        if execution_id is not None:
            try:
                execution_id = str(uuid.UUID(execution_id))
            except (TypeError, ValueError, AttributeError):
                raise ScriptValidationError({"execution_id": "must be a UUID"}) from None
        return self._run(
            self.get(script_id, tenant=tenant),
            input,
            trigger,
            user_id,
            organization_id,
            execution_id,
        )

    def run(
        self,
        script: Script,
        input: Any = None,
        *,
        trigger: Trigger | None = None,
        user_id: str | int | None = None,
        organization_id: str | None = None,
    ) -> Execution:
        """Run a script already read (found by its name or HTTP path) as :meth:`execute` does,
        without reading it again: a caller that just looked it up saves a query per run."""
        if not isinstance(script, Script):
            raise ScriptValidationError({"script": "must be a Script read from this service"})
        return self._run(script, input, trigger, user_id, organization_id)

    def call(
        self,
        name: str,
        input: Any = None,
        *,
        tenant: str | None = None,
        user_id: str | int | None = None,
        organization_id: str | None = None,
    ) -> Any:
        """Run the ``embedded`` script ``name`` and return its output.

        Raises ScriptNotFoundError, ScriptStateError (not embedded, disabled or archived),
        ScriptExecutionError (the script failed: its error, line and column),
        ScriptTimeoutError or ScriptBusyError.
        """
        script = self.find(name, tenant=tenant)
        if script is None:
            raise ScriptNotFoundError(f"No script named {name!r}")
        if script.type != "embedded":
            raise ScriptStateError(
                f"Script {name!r} is a {script.type} script; call() runs embedded scripts"
            )
        execution = self._run(script, input, _API, user_id, organization_id)
        if execution.status == "completed":
            return execution.output
        failure = execution.error
        assert failure is not None
        errors: dict[ExecutionStatus, type[ScriptExecutionError]] = {
            "timeout": ScriptTimeoutError,
            "cancelled": ScriptBusyError,
        }
        raise errors.get(execution.status, ScriptExecutionError)(
            f"Script {name!r} failed: {failure.describe()}",
            execution_id=execution.id,
            name=failure.name,
            script_message=failure.message,
            line=failure.line,
            column=failure.column,
            stack=failure.stack,
        )

    def _run(
        self,
        script: Script,
        input: Any,
        trigger: Trigger | None,
        user_id: str | int | None,
        organization_id: str | None,
        execution_id: str | None = None,
    ) -> Execution:
        if script.status in NOT_RUNNABLE:
            raise ScriptStateError(f"Script {script.name!r} is {script.status}; it cannot run")
        input = {} if input is None else json_copy(input, "input")
        if not isinstance(input, dict):
            raise ScriptValidationError({"input": "must be a JSON object"})
        if trigger is None:
            trigger = _MANUAL
        elif trigger is not _API:  # a caller's: checked, and copied so that it cannot change
            if not isinstance(trigger, Trigger) or trigger.type not in TRIGGER_TYPES:
                raise ScriptValidationError(
                    {"trigger": f"must be a Trigger of type {', '.join(TRIGGER_TYPES)}"}
                )
            trigger = Trigger.from_context(json_copy(trigger.to_record(), "trigger"))
        if user_id is not None and (
            isinstance(user_id, bool) or not isinstance(user_id, str | int)
        ):
            raise ScriptValidationError({"user_id": "must be a string, an integer or None"})
        return self._executor.run(
            script,
            input,
            trigger,
            user_id=user_id,
            organization_id=organization_id,
            execution_id=execution_id,
        )

    def run_for_event(self, script: Script, event: SequencedEvent) -> Execution:
        """Run an event script for one event of its tenant (``context.trigger`` of type event,
        with the event's id), unless a completed run of the script for that event is recorded:
        that execution is returned and the script does not run again (a process that died
        after recording the run, before its consumer's checkpoint moved, left the event to be
        handed over again). A run that never completed (failed, or cut short by a dying
        process) does not count: the event runs again."""
        done = self.repository.completed_event_execution(script.tenant, script.id, event.id)
        if done is not None:
            return done
        trigger = Trigger.event(event.type, event.data, event.id)
        return self._run(script, None, trigger, None, None)

    # -- dead letters ----------------------------------------------------------------------------

    def _consumers(self) -> ConsumerStore:
        if self.consumers is None:
            raise ConfigurationError("this script service keeps no dead letters (no consumers=)")
        return self.consumers

    def dead_letters(
        self,
        *,
        tenant: str | None = None,
        script_id: str | None = None,
        offset: int = 0,
        limit: int = 20,
    ) -> DeadLetterPage:
        """The events event scripts gave up on after their retries, oldest event first (of
        one script when ``script_id`` is given)."""
        tenant = self._tenant(tenant)
        problems: dict[str, str] = {}
        if script_id is not None and not _id(script_id):
            problems["script_id"] = "must be a string of at most 100 characters without controls"
        if not _is_int(offset) or not 0 <= offset <= 10**9:
            problems["offset"] = "must be an integer between 0 and 1000000000"
        if not _is_int(limit) or not 1 <= limit <= MAX_PER_PAGE:
            problems["limit"] = f"must be an integer between 1 and {MAX_PER_PAGE}"
        if problems:
            raise ScriptValidationError(problems)
        consumer = None if script_id is None else SCRIPT_CONSUMER_PREFIX + script_id
        items, total = self._consumers().dead_letters(
            tenant, consumer=consumer, offset=offset, limit=limit
        )
        return DeadLetterPage(tuple(items), total, offset, limit)

    def dead_letter(self, letter_id: str, *, tenant: str | None = None) -> DeadLetter:
        tenant = self._tenant(tenant)
        found = (
            self._consumers().get_dead_letter(tenant, _id(letter_id)) if _id(letter_id) else None
        )
        if found is None or found.script_id is None:
            raise ScriptNotFoundError(f"No dead letter {str(letter_id)[:100]!r}")
        return found

    def retry_dead_letter(self, letter_id: str, *, tenant: str | None = None) -> Execution:
        """Run the dead letter's script for its event again; forget the letter when the run
        completes, count the attempt (and keep its error) when it does not. The execution."""
        tenant = self._tenant(tenant)
        letter = self.dead_letter(letter_id, tenant=tenant)
        assert letter.script_id is not None
        script = self.get(letter.script_id, tenant=tenant)
        if self._event_store is None:
            raise ConfigurationError("this script service has no event stores (no event_store=)")
        event = self._event_store(tenant).get(letter.event_id)
        if event is None:
            raise ScriptNotFoundError(f"The event {letter.event_id!r} of the dead letter is gone")
        execution = self.run_for_event(script, event)
        if execution.status == "completed":
            self._consumers().remove_dead_letter(tenant, letter.id)
        else:
            error = "" if execution.error is None else execution.error.describe()
            self._consumers().save_dead_letter(
                evolve(letter, attempts=letter.attempts + 1, error=storable_error(error))
            )
        return execution

    def discard_dead_letter(self, letter_id: str, *, tenant: str | None = None) -> None:
        """Forget a dead letter without running it again."""
        tenant = self._tenant(tenant)
        letter = self.dead_letter(letter_id, tenant=tenant)
        if not self._consumers().remove_dead_letter(tenant, letter.id):
            raise ScriptNotFoundError(f"No dead letter {letter_id!r}")

    def execution(self, execution_id: str, *, tenant: str | None = None) -> Execution:
        found = self.repository.get_execution(self._tenant(tenant), _id(execution_id))
        if found is None:
            raise ScriptNotFoundError(f"No execution {execution_id!r}")
        return found

    def executions(
        self,
        script_id: str,
        *,
        tenant: str | None = None,
        status: ExecutionStatus | None = None,
        offset: int = 0,
        limit: int = 20,
    ) -> ExecutionPage:
        """A script's executions, newest first."""
        tenant = self._tenant(tenant)
        if not _is_int(offset) or offset < 0 or not _is_int(limit) or not 1 <= limit <= 100:
            raise ScriptValidationError(
                {"limit": "offset must be at least 0 and limit between 1 and 100"}
            )
        self.get(script_id, tenant=tenant)
        items, total = self.repository.list_executions(
            tenant, script_id, status=status, offset=offset, limit=limit
        )
        return ExecutionPage(tuple(items), total, offset, limit)

    def close(self) -> None:
        """Close the runner."""
        self._executor.close()


def _checked(fields: Mapping[str, Any]) -> dict[str, Any]:
    values, problems = check_fields(fields)
    if problems:
        raise ScriptValidationError(problems)
    return values


def _user(user: object) -> str | None:
    if user is None:
        return None
    if (
        not isinstance(user, str | int)
        or isinstance(user, bool)
        or len(str(user)) > 200
        or _CONTROL.search(str(user))
    ):
        raise ScriptValidationError({"user": "must be a string of at most 200 characters"})
    return str(user)


def _id(value: object, limit: int = 100) -> str:
    """An id or name as given when it could be one; any other value finds nothing."""
    if not isinstance(value, str) or len(value) > limit or _CONTROL.search(value):
        return ""
    return value


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _now() -> datetime:
    return datetime.now(UTC)
