"""``/scripts``: list, create, read, change, delete, roll back and run scripts; read their
versions and executions; list, read, retry and discard the dead letters of event scripts."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from attrs import frozen

from esruntime.client.calls.bodies import JSON, json_body, segment
from esruntime.client.converter import read
from esruntime.client.protocol import Answer, Call, Request, expect, raise_for_status
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
from esruntime.errors import InvalidCommandInput, MalformedResponseError

__all__ = [
    "create_script",
    "delete_script",
    "discard_dead_letter",
    "execute_script",
    "get_dead_letter",
    "get_execution",
    "get_script",
    "get_script_version",
    "list_dead_letters",
    "list_executions",
    "list_script_versions",
    "list_scripts",
    "retry_dead_letter",
    "rollback_script",
    "update_script",
]

T = TypeVar("T")

_HEADERS = (("Content-Type", JSON),)


def _id(kind: str, value: str) -> str:
    """An id as one path segment. A ``/`` is refused: servers decode ``%2F`` before routing."""
    if isinstance(value, str) and ("/" in value or value in (".", "..")):
        raise InvalidCommandInput(f"{kind} has no '/' and is not '.' or '..', got {value[:100]!r}")
    return segment(kind, value)


def _path(script_id: str, *rest: str) -> str:
    return "/".join(("scripts", _id("a script id", script_id), *rest))


def _count(name: str, value: int, low: int) -> str:
    if type(value) is not int or value < low:
        raise InvalidCommandInput(f"{name} is an integer of at least {low}, got {value!r}")
    return str(value)


def _filters(**given: str | None) -> tuple[tuple[str, str], ...]:
    found = []
    for name, value in given.items():
        if value is None:
            continue
        if not isinstance(value, str):
            raise InvalidCommandInput(f"{name} is a string, got {type(value).__name__}")
        found.append((name, value))
    return tuple(found)


def list_scripts(
    *,
    type: str | None = None,
    status: str | None = None,
    search: str | None = None,
    page: int = 1,
    per_page: int = 20,
) -> Call[ScriptPage]:
    """One page of the tenant's scripts by name (without their sources), of ``type`` and
    ``status`` when given, whose name or description contains ``search`` (any case)."""
    params = (
        *_filters(type=type, status=status, search=search),
        ("page", _count("page", page, 1)),
        ("per_page", _count("per_page", per_page, 1)),
    )
    return Call(Request("GET", "scripts", params), _read_page)


def create_script(name: str, type: str, source: str, **fields: Any) -> Call[ScriptInfo]:
    """Store a new script (version 1). ``fields``: ``description``, ``status``,
    ``cron_expression``, ``timezone``, ``http_path``, ``http_methods``, ``public``,
    ``event_types``, ``limits``. BadRequestError names every invalid field
    (``exc.fields``); RequestConflictError a name or HTTP path another script has."""
    body = {"name": name, "type": type, "source": source, **fields}
    content = json_body(body, "the script")
    return Call(Request("POST", "scripts", (), _HEADERS, content), _reader(201, ScriptInfo))


def get_script(script_id: str) -> Call[ScriptInfo]:
    """The script with this id, with its source; NotFoundError when the tenant has none."""
    return Call(Request("GET", _path(script_id)), _reader(200, ScriptInfo))


def update_script(script_id: str, **changes: Any) -> Call[ScriptInfo]:
    """Change the fields given (the others are kept); a new ``source`` is a new version."""
    content = json_body(dict(changes), "the changes")
    request = Request("PUT", _path(script_id), (), _HEADERS, content)
    return Call(request, _reader(200, ScriptInfo))


def delete_script(script_id: str) -> Call[None]:
    """Delete a script with its versions and executions; NotFoundError when there is none."""
    return Call(Request("DELETE", _path(script_id)), _read_deleted)


def list_script_versions(script_id: str) -> Call[list[ScriptVersionInfo]]:
    """Every stored version of a script, oldest first (without sources)."""

    def read_versions(answer: Answer) -> list[ScriptVersionInfo]:
        return list(read(expect(answer, 200), _Versions, answer.what).versions)

    return Call(Request("GET", _path(script_id, "versions")), read_versions)


def get_script_version(script_id: str, version: int) -> Call[ScriptVersionInfo]:
    """One stored version of a script, with its source."""
    path = _path(script_id, "versions", _count("version", version, 1))
    return Call(Request("GET", path), _reader(200, ScriptVersionInfo))


def rollback_script(script_id: str, version: int) -> Call[ScriptInfo]:
    """Make stored ``version``'s source the current one (stored as a new version)."""
    _count("version", version, 1)
    content = json_body({"version": version}, "the version")
    request = Request("POST", _path(script_id, "rollback"), (), _HEADERS, content)
    return Call(request, _reader(200, ScriptInfo))


def execute_script(script_id: str, input: Mapping[str, Any] | None = None) -> Call[ScriptExecution]:
    """Run a script with ``input`` as ``context.input``, wait for it, and return its
    execution, whatever became of it (``status``: completed, failed, timeout, cancelled)."""
    if input is not None and not isinstance(input, Mapping):
        raise InvalidCommandInput(f"a script's input is a JSON object, got {type(input).__name__}")
    content = json_body(dict(input or {}), "the input")
    request = Request("POST", _path(script_id, "execute"), (), _HEADERS, content)
    return Call(request, _reader(200, ScriptExecution))


def list_executions(
    script_id: str, *, status: str | None = None, offset: int = 0, limit: int = 20
) -> Call[ScriptExecutionPage]:
    """A window of a script's executions, newest first."""
    params = (
        *_filters(status=status),
        ("offset", _count("offset", offset, 0)),
        ("limit", _count("limit", limit, 1)),
    )

    return Call(
        Request("GET", _path(script_id, "executions"), params), _reader(200, ScriptExecutionPage)
    )


def get_execution(script_id: str, execution_id: str) -> Call[ScriptExecution]:
    """One execution of a script; NotFoundError when it has none with this id."""
    path = _path(script_id, "executions", _id("an execution id", execution_id))
    return Call(Request("GET", path), _reader(200, ScriptExecution))


def _letter_path(letter_id: str, *rest: str) -> str:
    return "/".join(("scripts/dead-letters", _id("a dead letter id", letter_id), *rest))


def list_dead_letters(
    *, script_id: str | None = None, offset: int = 0, limit: int = 20
) -> Call[DeadLetterPage]:
    """A window of the events event scripts gave up on after their retries, oldest event
    first (of one script when ``script_id`` is given)."""
    params = (
        *_filters(script_id=script_id),
        ("offset", _count("offset", offset, 0)),
        ("limit", _count("limit", limit, 1)),
    )
    return Call(Request("GET", "scripts/dead-letters", params), _reader(200, DeadLetterPage))


def get_dead_letter(letter_id: str) -> Call[DeadLetterInfo]:
    """One dead letter; NotFoundError when the tenant has none with this id."""
    return Call(Request("GET", _letter_path(letter_id)), _reader(200, DeadLetterInfo))


def retry_dead_letter(letter_id: str) -> Call[DeadLetterRetry]:
    """Run the letter's script for its event again and wait for it: a completed run forgets
    the letter (``dead_letter`` is None), any other counts one more attempt."""
    request = Request("POST", _letter_path(letter_id, "retry"))
    return Call(request, _reader(200, DeadLetterRetry))


def discard_dead_letter(letter_id: str) -> Call[None]:
    """Forget a dead letter without running it; NotFoundError when there is none."""
    return Call(Request("DELETE", _letter_path(letter_id)), _read_deleted)


# -- reading ----------------------------------------------------------------------------------


@frozen
class _Versions:
    versions: tuple[ScriptVersionInfo, ...]


def _reader(status: int, cls: type[T]) -> Callable[[Answer], T]:
    def read_answer(answer: Answer) -> T:
        value = read(expect(answer, status), cls, answer.what)
        if isinstance(value, ScriptInfo):
            _check_limits(value, answer.what)
        return value

    return read_answer


def _read_page(answer: Answer) -> ScriptPage:
    page = read(expect(answer, 200), ScriptPage, answer.what)
    for script in page.scripts:
        _check_limits(script, answer.what)
    return page


def _check_limits(script: ScriptInfo, what: str) -> None:
    if not all(type(value) is int for value in script.limits.values()):
        raise MalformedResponseError(f"{what}: $.limits should hold integers")


def _read_deleted(answer: Answer) -> None:
    """A deleted script's or a discarded dead letter's answer: 200, else its error."""
    if answer.status != 200:
        raise_for_status(answer)
        raise MalformedResponseError(f"{answer.what}: unexpected HTTP {answer.status}")
