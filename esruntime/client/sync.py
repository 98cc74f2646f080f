"""The synchronous client of the esruntime HTTP API.

::

    with Client("http://127.0.0.1:8000/v1", api_key=key) as client:
        result = client.execute("transfer_funds", {"source_account": "alice", ...})
        if result.status == "ok":
            print(result.position, result.event_ids)
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, TypeVar

import httpx

from esruntime.client import calls
from esruntime.client.base import (
    DEFAULT_URL,
    MAX_RESPONSE_BYTES,
    Settings,
    Tally,
    answer_of,
    declared_too_large,
)
from esruntime.client.calls import scripts as script_calls
from esruntime.client.models import (
    CommandConflict,
    CommandResponse,
    EventPage,
    HandlerDetails,
    HandlerRejected,
    HandlerSummary,
    HandlerUploaded,
    Health,
    SchemaInfo,
    StoredEvent,
)
from esruntime.client.protocol import Call, transport_error
from esruntime.client.script_models import (
    DeadLetterInfo,
    DeadLetterPage,
    DeadLetterRetry,
    ScriptExecution,
    ScriptExecutionPage,
    ScriptInfo,
    ScriptPage,
    ScriptVersionInfo,
)
from esruntime.schema.outcomes import PushResult, SchemaAccepted

__all__ = ["Client"]

T = TypeVar("T")


class Client:
    """Calls the HTTP API of an esruntime server, one method per route.

    ``base_url`` includes the API's prefix (``/v1``); ``api_key`` is sent as ``Authorization:
    Bearer``. ``timeout`` (seconds, or an ``httpx.Timeout``) bounds every request;
    ``max_retries`` bounds the resends of a conflicting command, waiting ``backoff`` seconds,
    doubling up to ``max_backoff``, with jitter. ``transport`` is an httpx transport, e.g.
    ``httpx.WSGITransport(app=flask_app)`` to call an application in the same process.
    Answers larger than ``max_response_bytes`` are refused.
    """

    def __init__(
        self,
        base_url: str = DEFAULT_URL,
        *,
        api_key: str | None = None,
        timeout: float | httpx.Timeout | None = 10.0,
        max_retries: int = 3,
        backoff: float = 0.05,
        max_backoff: float = 1.0,
        transport: httpx.BaseTransport | None = None,
        headers: Mapping[str, str] | None = None,
        max_response_bytes: int = MAX_RESPONSE_BYTES,
    ) -> None:
        self.settings = Settings(
            base_url,
            api_key,
            timeout,
            max_retries,
            backoff,
            max_backoff,
            max_response_bytes,
            headers,
        )
        self._http = httpx.Client(
            base_url=self.settings.base_url,
            headers=self.settings.headers,
            timeout=self.settings.timeout,
            transport=transport,
        )

    @property
    def base_url(self) -> str:
        return str(self.settings.base_url)

    def _call(self, call: Call[T]) -> T:
        spec = call.request
        request = self._http.build_request(
            spec.method, spec.path, params=spec.params, headers=spec.headers, content=spec.content
        )
        what = f"{spec.method} {request.url.path}"
        limit = self.settings.max_response_bytes
        try:
            response = self._http.send(request, stream=True)
            try:
                if declared_too_large(response, limit):
                    raise self.settings.too_large(what)
                chunks, size = [], 0
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > limit:
                        raise self.settings.too_large(what)
                    chunks.append(chunk)
            finally:
                response.close()
        except httpx.HTTPError as exc:
            raise transport_error(exc, what, self.base_url) from exc
        return call.read(answer_of(response, b"".join(chunks), what))

    # -- commands ----------------------------------------------------------------------------

    def execute(
        self,
        command: str,
        input: Any,
        *,
        idempotency_key: str | None = None,
        retries: int | None = None,
    ) -> CommandResponse:
        """Run ``command`` with ``input`` (a JSON object): ``CommandOk``, ``CommandRejected``,
        or ``CommandConflict`` once ``retries`` resends (default ``max_retries``) conflicted.

        Every resend carries the same ``X-Idempotency-Key``, so a command runs at most once
        even when an earlier attempt's answer was lost.
        """
        limit = self.settings.retries(retries)
        call = calls.execute(command, input, idempotency_key)
        tally = Tally()
        while True:
            result = tally.count(self._call(call))
            if not isinstance(result, CommandConflict) or tally.attempts > limit:
                return result
            time.sleep(self.settings.delay(tally.attempts))

    # -- schema ------------------------------------------------------------------------------

    def get_schema(self) -> SchemaInfo:
        """The current schema; NotFoundError before the first push."""
        return self._call(calls.get_schema())

    def push_schema(self, text: str, *, force: bool = False) -> SchemaAccepted:
        """Store ``text`` (ESDL) as the next version. A change that breaks stored events raises
        SchemaRejectedError (as ``Runtime.push_schema`` does) unless ``force``; invalid ESDL
        raises BadRequestError with the parser's message."""
        return self._call(calls.push_schema(text, force))

    def validate_schema(self, text: str, *, force: bool = False) -> PushResult:
        """What :meth:`push_schema` would do, without storing anything: ``SchemaAccepted`` or
        ``SchemaRejected``."""
        return self._call(calls.validate_schema(text, force))

    # -- handlers ----------------------------------------------------------------------------

    def list_handlers(self) -> list[HandlerSummary]:
        return self._call(calls.list_handlers())

    def get_handler(self, name: str) -> HandlerDetails:
        """The handler of command ``name``; NotFoundError when there is none."""
        return self._call(calls.get_handler(name))

    def upload_handler(
        self, name: str, module: bytes, version: str
    ) -> HandlerUploaded | HandlerRejected:
        """Upload a WebAssembly module as ``version`` (semver) of command ``name``."""
        return self._call(calls.upload_handler(name, module, version))

    def make_current(self, name: str, version: str) -> HandlerUploaded | HandlerRejected:
        """Run stored ``version`` of uploaded handler ``name`` from the next command on (a
        rollback, or a roll forward); HandlerRejected when that version no longer passes the
        upload checks, NotFoundError when there is no such handler or version."""
        return self._call(calls.make_current(name, version))

    def delete_handler(self, name: str) -> None:
        """Delete an uploaded handler and its versions; NotFoundError when there is none."""
        self._call(calls.delete_handler(name))

    # -- events ------------------------------------------------------------------------------

    def query_events(
        self,
        event_types: Sequence[str] | None = None,
        domain_ids: Mapping[str, Any] | None = None,
        *,
        after_position: int = 0,
        limit: int = 100,
        raw: bool = False,
    ) -> EventPage:
        """One page of events, oldest first: of any of ``event_types`` (all when None), whose
        domain ids take one of the given values for every field named
        (``{"account_id": ["alice", "bob"]}``), after ``after_position``. Their data is in the
        current schema's shape (fields added since they were stored filled with their
        defaults); ``raw=True`` reads it as stored."""
        return self._call(calls.query_events(event_types, domain_ids, after_position, limit, raw))

    def iter_events(
        self,
        event_types: Sequence[str] | None = None,
        domain_ids: Mapping[str, Any] | None = None,
        *,
        after_position: int = 0,
        page_size: int = 100,
        raw: bool = False,
    ) -> Iterator[StoredEvent]:
        """Every matching event after ``after_position``, page by page (``raw``: as in
        :meth:`query_events`)."""
        after = after_position
        while True:
            page = self.query_events(
                event_types, domain_ids, after_position=after, limit=page_size, raw=raw
            )
            yield from page.events
            if not page.has_more:
                return
            after = calls.next_after(page, after)

    def get_event(self, event_id: str, *, raw: bool = False) -> StoredEvent:
        """The event with this id, with its metadata, in the current schema's shape (``raw=True``:
        as stored); NotFoundError when there is none."""
        return self._call(calls.get_event(event_id, raw))

    # -- health and metrics ------------------------------------------------------------------

    def health(self) -> Health:
        """The server's health (an unhealthy server's answer too, with ``healthy`` False)."""
        return self._call(calls.health())

    def metrics(self) -> str:
        """The Prometheus metrics of the key's tenant, as text (needs ``admin``)."""
        return self._call(calls.metrics())

    # -- scripts -----------------------------------------------------------------------------

    def list_scripts(
        self,
        *,
        type: str | None = None,
        status: str | None = None,
        search: str | None = None,
        page: int = 1,
        per_page: int = 20,
    ) -> ScriptPage:
        """One page of the tenant's scripts by name (without their sources), of ``type`` and
        ``status`` when given, whose name or description contains ``search`` (any case)."""
        return self._call(script_calls.list_scripts(type, status, search, page, per_page))

    def create_script(self, name: str, type: str, source: str, **fields: Any) -> ScriptInfo:
        """Store a new script (version 1). ``fields``: ``description``, ``status``,
        ``cron_expression``, ``timezone``, ``http_path``, ``http_methods``, ``public``,
        ``event_types``, ``limits``. BadRequestError names every invalid field
        (``exc.fields``); RequestConflictError a name or HTTP path another script has."""
        body = {"name": name, "type": type, "source": source, **fields}
        return self._call(script_calls.create_script(body))

    def get_script(self, script_id: str) -> ScriptInfo:
        """The script with this id, with its source; NotFoundError when the tenant has none."""
        return self._call(script_calls.get_script(script_id))

    def update_script(self, script_id: str, **changes: Any) -> ScriptInfo:
        """Change the fields given (the others are kept); a new ``source`` is a new version."""
        return self._call(script_calls.update_script(script_id, changes))

    def delete_script(self, script_id: str) -> None:
        """Delete a script with its versions and executions; NotFoundError when there is none."""
        self._call(script_calls.delete_script(script_id))

    def list_script_versions(self, script_id: str) -> list[ScriptVersionInfo]:
        """Every stored version of a script, oldest first (without sources)."""
        return self._call(script_calls.list_script_versions(script_id))

    def get_script_version(self, script_id: str, version: int) -> ScriptVersionInfo:
        """One stored version of a script, with its source."""
        return self._call(script_calls.get_script_version(script_id, version))

    def rollback_script(self, script_id: str, version: int) -> ScriptInfo:
        """Make stored ``version``'s source the current one (stored as a new version)."""
        return self._call(script_calls.rollback_script(script_id, version))

    def execute_script(
        self, script_id: str, input: Mapping[str, Any] | None = None
    ) -> ScriptExecution:
        """Run a script with ``input`` as ``context.input``, wait for it, and return its
        execution, whatever became of it (``status``: completed, failed, timeout, cancelled)."""
        return self._call(script_calls.execute_script(script_id, input))

    def list_executions(
        self, script_id: str, *, status: str | None = None, offset: int = 0, limit: int = 20
    ) -> ScriptExecutionPage:
        """A window of a script's executions, newest first."""
        return self._call(script_calls.list_executions(script_id, status, offset, limit))

    def get_execution(self, script_id: str, execution_id: str) -> ScriptExecution:
        """One execution of a script; NotFoundError when it has none with this id."""
        return self._call(script_calls.get_execution(script_id, execution_id))

    def list_dead_letters(
        self, *, script_id: str | None = None, offset: int = 0, limit: int = 20
    ) -> DeadLetterPage:
        """A window of the events event scripts gave up on after their retries, oldest event
        first (of one script when ``script_id`` is given)."""
        return self._call(script_calls.list_dead_letters(script_id, offset, limit))

    def get_dead_letter(self, letter_id: str) -> DeadLetterInfo:
        """One dead letter; NotFoundError when the tenant has none with this id."""
        return self._call(script_calls.get_dead_letter(letter_id))

    def retry_dead_letter(self, letter_id: str) -> DeadLetterRetry:
        """Run the letter's script for its event again and wait for it: a completed run
        forgets the letter (``dead_letter`` is None), any other counts one more attempt."""
        return self._call(script_calls.retry_dead_letter(letter_id))

    def discard_dead_letter(self, letter_id: str) -> None:
        """Forget a dead letter without running it; NotFoundError when there is none."""
        self._call(script_calls.discard_dead_letter(letter_id))

    # -- lifecycle ---------------------------------------------------------------------------

    def close(self) -> None:
        """Close the connections (and the transport)."""
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
