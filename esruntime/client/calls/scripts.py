"""``/scripts``: list, create, read, change, delete, roll back and run scripts; read their
versions and executions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from esruntime.client.calls.bodies import JSON, json_body, segment
from esruntime.client.protocol import Answer, Call, Request, expect, raise_for_status
from esruntime.client.reading import Reader
from esruntime.client.script_models import (
    ScriptExecution,
    ScriptExecutionPage,
    ScriptFailure,
    ScriptInfo,
    ScriptPage,
    ScriptVersionInfo,
)
from esruntime.errors import InvalidCommandInput, MalformedResponseError

__all__ = [
    "create_script",
    "delete_script",
    "execute_script",
    "get_execution",
    "get_script",
    "get_script_version",
    "list_executions",
    "list_script_versions",
    "list_scripts",
    "rollback_script",
    "update_script",
]

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
    type: str | None, status: str | None, search: str | None, page: int, per_page: int
) -> Call[ScriptPage]:
    params = (
        *_filters(type=type, status=status, search=search),
        ("page", _count("page", page, 1)),
        ("per_page", _count("per_page", per_page, 1)),
    )
    return Call(Request("GET", "scripts", params), _read_page)


def create_script(fields: Mapping[str, Any]) -> Call[ScriptInfo]:
    content = json_body(dict(fields), "the script")
    return Call(Request("POST", "scripts", (), _HEADERS, content), _reader(201, _read_script))


def get_script(script_id: str) -> Call[ScriptInfo]:
    return Call(Request("GET", _path(script_id)), _reader(200, _read_script))


def update_script(script_id: str, changes: Mapping[str, Any]) -> Call[ScriptInfo]:
    content = json_body(dict(changes), "the changes")
    request = Request("PUT", _path(script_id), (), _HEADERS, content)
    return Call(request, _reader(200, _read_script))


def delete_script(script_id: str) -> Call[None]:
    return Call(Request("DELETE", _path(script_id)), _read_deleted)


def list_script_versions(script_id: str) -> Call[list[ScriptVersionInfo]]:
    def read(answer: Answer) -> list[ScriptVersionInfo]:
        body = Reader(expect(answer, 200), answer.what)
        return [_version(v) for v in body.objects("versions")]

    return Call(Request("GET", _path(script_id, "versions")), read)


def get_script_version(script_id: str, version: int) -> Call[ScriptVersionInfo]:
    path = _path(script_id, "versions", _count("version", version, 1))
    return Call(Request("GET", path), _reader(200, _version))


def rollback_script(script_id: str, version: int) -> Call[ScriptInfo]:
    _count("version", version, 1)
    content = json_body({"version": version}, "the version")
    request = Request("POST", _path(script_id, "rollback"), (), _HEADERS, content)
    return Call(request, _reader(200, _read_script))


def execute_script(script_id: str, input: Mapping[str, Any] | None) -> Call[ScriptExecution]:
    if input is not None and not isinstance(input, Mapping):
        raise InvalidCommandInput(f"a script's input is a JSON object, got {type(input).__name__}")
    content = json_body(dict(input or {}), "the input")
    request = Request("POST", _path(script_id, "execute"), (), _HEADERS, content)
    return Call(request, _reader(200, _execution))


def list_executions(
    script_id: str, status: str | None, offset: int, limit: int
) -> Call[ScriptExecutionPage]:
    params = (
        *_filters(status=status),
        ("offset", _count("offset", offset, 0)),
        ("limit", _count("limit", limit, 1)),
    )

    def read(answer: Answer) -> ScriptExecutionPage:
        body = Reader(expect(answer, 200), answer.what)
        return ScriptExecutionPage(
            tuple(_execution(e) for e in body.objects("executions")),
            body.integer("total"),
            body.integer("offset"),
            body.integer("limit"),
        )

    return Call(Request("GET", _path(script_id, "executions"), params), read)


def get_execution(script_id: str, execution_id: str) -> Call[ScriptExecution]:
    path = _path(script_id, "executions", _id("an execution id", execution_id))
    return Call(Request("GET", path), _reader(200, _execution))


# -- reading ----------------------------------------------------------------------------------


def _reader(status: int, read: Any) -> Any:
    def read_answer(answer: Answer) -> Any:
        return read(Reader(expect(answer, status), answer.what))

    return read_answer


def _read_page(answer: Answer) -> ScriptPage:
    body = Reader(expect(answer, 200), answer.what)
    return ScriptPage(
        tuple(_read_script(s) for s in body.objects("scripts")),
        body.integer("total"),
        body.integer("page"),
        body.integer("per_page"),
        body.integer("pages"),
    )


def _read_script(s: Reader) -> ScriptInfo:
    limits = s.mapping("limits")
    if not all(type(value) is int for value in limits.values()):
        raise MalformedResponseError(f"{s.what}: {s.path}.limits should hold integers")
    return ScriptInfo(
        s.string("id"),
        s.string("name"),
        s.string("description"),
        s.string("type"),
        s.string("status"),
        s.opt_string("cron_expression"),
        s.string("timezone"),
        s.opt_string("http_path"),
        s.strings("http_methods"),
        s.boolean("public"),
        s.strings("event_types"),
        dict(limits),
        s.integer("version"),
        s.opt_string("created_by"),
        s.time("created_at"),
        s.opt_string("updated_by"),
        s.time("updated_at"),
        s.opt_string("source"),
    )


def _version(v: Reader) -> ScriptVersionInfo:
    return ScriptVersionInfo(
        v.integer("version"),
        v.time("created_at"),
        v.opt_string("created_by"),
        v.opt_integer("restored_from"),
        v.opt_string("source"),
    )


def _execution(e: Reader) -> ScriptExecution:
    error = None
    if e.any("error") is not None:
        f = e.object("error")
        error = ScriptFailure(
            f.string("name"),
            f.string("message"),
            f.opt_integer("line"),
            f.opt_integer("column"),
            f.opt_string("stack"),
        )
    logs = e.any("logs")
    if not isinstance(logs, list) or not all(isinstance(entry, dict) for entry in logs):
        raise MalformedResponseError(f"{e.what}: {e.path}.logs should be an array of objects")
    user_id = e.any("user_id")
    if user_id is not None and not isinstance(user_id, str | int):
        raise MalformedResponseError(f"{e.what}: {e.path}.user_id should be a string or number")
    return ScriptExecution(
        e.string("id"),
        e.string("script_id"),
        e.integer("script_version"),
        e.string("status"),
        dict(e.mapping("trigger")),
        e.any("input"),
        e.any("output"),
        error,
        tuple(logs),
        dict(e.mapping("metrics")),
        user_id,
        e.opt_time("created_at"),
        e.opt_time("started_at"),
        e.opt_time("completed_at"),
    )


def _read_deleted(answer: Answer) -> None:
    if answer.status != 200:
        raise_for_status(answer)
        raise MalformedResponseError(f"{answer.what}: unexpected HTTP {answer.status}")
