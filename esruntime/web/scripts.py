"""``/scripts``: a tenant's JavaScript scripts, their versions, and running them on demand.

Field rules are the script service's (:mod:`esruntime.scripts.validation`); every invalid field
comes back at once in the error's ``fields``. A name or HTTP path another script of the tenant
has is a 409 naming the field.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from attrs import frozen

from esruntime.errors import (
    ScriptConflictError,
    ScriptNotFoundError,
    ScriptRunnerError,
    ScriptStateError,
    ScriptValidationError,
)
from esruntime.scripts.models import EXECUTION_STATUSES, Script, Trigger
from esruntime.scripts.validation import FIELDS
from esruntime.web.bodies import register, structure
from esruntime.web.call import Call
from esruntime.web.errors import WebError
from esruntime.web.messages import WebResponse, json_response
from esruntime.web.script_views import (
    execution_page_view,
    execution_view,
    script_page_view,
    script_view,
    version_view,
)

__all__ = [
    "Rollback",
    "create_script",
    "delete_script",
    "execute_script",
    "get_execution",
    "get_script",
    "get_version",
    "list_executions",
    "list_scripts",
    "list_versions",
    "query_integer",
    "rollback_script",
    "script_errors",
    "update_script",
]

_DIGITS = re.compile(r"[0-9]{1,9}")


@frozen
class Rollback:
    """The body of ``POST /scripts/{id}/rollback``: the stored version to make current."""

    version: int


register(Rollback)


@contextmanager
def script_errors(not_found: str = "script_not_found") -> Iterator[None]:
    """The script service's refusals as the API's errors."""
    try:
        yield
    except ScriptValidationError as exc:
        raise WebError(400, "invalid_request", str(exc), fields=exc.errors) from None
    except ScriptConflictError as exc:
        raise WebError(409, "script_conflict", str(exc), fields=exc.errors) from None
    except ScriptNotFoundError as exc:
        raise WebError(404, not_found, str(exc)) from None
    except ScriptStateError as exc:
        raise WebError(409, "script_not_runnable", str(exc)) from None
    except ScriptRunnerError as exc:
        raise WebError(503, "script_runner_unavailable", str(exc)) from None


def query_integer(query: Mapping[str, str], name: str, default: int) -> int:
    value = query.get(name)
    if value is None:
        return default
    if not _DIGITS.fullmatch(value):
        message = f"must be a whole number, got {value[:40]!r}"
        raise WebError(400, "invalid_request", f"{name}: {message}", fields={name: message})
    return int(value)


def _fields(body: Any) -> dict[str, Any]:
    """A script body's fields: a JSON object naming only fields of a script."""
    if not isinstance(body, dict):
        raise WebError(400, "invalid_request", "the body must be a JSON object of script fields")
    unknown = {str(name)[:100]: "is not a field of a script" for name in body if name not in FIELDS}
    if unknown:
        raise ScriptValidationError(unknown)
    return body


def _user(call: Call) -> str | None:
    """Who made a change, as stored: the API key's name (or id)."""
    principal = call.principal
    if principal is None:
        return None
    return principal.name or principal.key_id


def _script(call: Call, script: Script) -> dict[str, Any]:
    """A script as the single-script routes answer it: with its source and next runs."""
    try:
        runs = call.runtime.scripts.next_runs(script.id, tenant=call.tenant.name)
    except ScriptNotFoundError:  # deleted meanwhile: it runs no more
        runs = []
    return script_view(script, next_runs=runs)


def list_scripts(call: Call) -> WebResponse:
    query = call.query
    with script_errors():
        page = call.runtime.scripts.list(
            tenant=call.tenant.name,
            search=query.get("search"),
            type=query.get("type"),  # type: ignore[arg-type]  # checked by the service
            status=query.get("status"),  # type: ignore[arg-type]
            page=query_integer(query, "page", 1),
            per_page=query_integer(query, "per_page", 20),
        )
    return json_response(200, script_page_view(page))


def create_script(call: Call) -> WebResponse:
    with script_errors():
        fields = _fields(call.body)
        script = call.runtime.scripts.create(
            tenant=call.tenant.name, created_by=_user(call), **fields
        )
    location = f"{call.request.path.rstrip('/')}/{script.id}"
    return json_response(201, _script(call, script), [("Location", location)])


def get_script(call: Call) -> WebResponse:
    with script_errors():
        script = call.runtime.scripts.get(call.param("script_id"), tenant=call.tenant.name)
    return json_response(200, _script(call, script))


def update_script(call: Call) -> WebResponse:
    """Change the fields given (the others are kept); a new source is a new version."""
    with script_errors():
        fields = _fields(call.body)
        script = call.runtime.scripts.update(
            call.param("script_id"), tenant=call.tenant.name, updated_by=_user(call), **fields
        )
    return json_response(200, _script(call, script))


def delete_script(call: Call) -> WebResponse:
    script_id = call.param("script_id")
    with script_errors():
        call.runtime.scripts.delete(script_id, tenant=call.tenant.name)
    return json_response(200, {"id": script_id, "status": "deleted"})


def list_versions(call: Call) -> WebResponse:
    with script_errors():
        versions = call.runtime.scripts.versions(call.param("script_id"), tenant=call.tenant.name)
    return json_response(200, {"versions": [version_view(v, source=False) for v in versions]})


def get_version(call: Call) -> WebResponse:
    script_id = call.param("script_id")
    number = call.param("version")
    if not _DIGITS.fullmatch(number):
        raise WebError(404, "version_not_found", f"Script {script_id!r} has no version {number!r}")
    with script_errors("version_not_found"):
        version = call.runtime.scripts.version(script_id, int(number), tenant=call.tenant.name)
    return json_response(200, version_view(version))


def rollback_script(call: Call) -> WebResponse:
    """Make a stored version's source the current one (stored as a new version)."""
    version = structure(call.body, Rollback).version
    with script_errors():
        script = call.runtime.scripts.rollback(
            call.param("script_id"), version, tenant=call.tenant.name, updated_by=_user(call)
        )
    return json_response(200, _script(call, script))


def execute_script(call: Call) -> WebResponse:
    """Run a script with the body as ``context.input`` and answer its recorded execution,
    whatever became of it (``status`` says: completed, failed, timeout or cancelled)."""
    if not isinstance(call.body, dict):
        raise WebError(
            400, "invalid_request", "the body must be a JSON object: the script's context.input"
        )
    principal = call.principal
    with script_errors():
        execution = call.runtime.scripts.execute(
            call.param("script_id"),
            call.body,
            tenant=call.tenant.name,
            trigger=Trigger.api(),
            user_id=None if principal is None else principal.key_id,
        )
    return json_response(200, execution_view(execution))


def list_executions(call: Call) -> WebResponse:
    query = call.query
    status = query.get("status")
    if status is not None and status not in EXECUTION_STATUSES:
        message = f"{status[:40]!r} is not an execution status ({', '.join(EXECUTION_STATUSES)})"
        raise WebError(400, "invalid_request", f"status: {message}", fields={"status": message})
    with script_errors():
        page = call.runtime.scripts.executions(
            call.param("script_id"),
            tenant=call.tenant.name,
            status=status,
            offset=query_integer(query, "offset", 0),
            limit=query_integer(query, "limit", 20),
        )
    return json_response(200, execution_page_view(page))


def get_execution(call: Call) -> WebResponse:
    script_id = call.param("script_id")
    execution_id = call.param("execution_id")
    with script_errors("execution_not_found"):
        execution = call.runtime.scripts.execution(execution_id, tenant=call.tenant.name)
    if execution.script_id != script_id:
        raise WebError(
            404, "execution_not_found", f"Script {script_id!r} has no execution {execution_id!r}"
        )
    return json_response(200, execution_view(execution))
