"""``POST /commands/{name}``: one attempt of a command and its outcome."""

from __future__ import annotations

from typing import Any

from attrs import evolve

from esruntime.client.calls.bodies import JSON, json_body, segment
from esruntime.client.converter import read, read_object
from esruntime.client.models import CommandConflict, CommandOk, CommandRejected, CommandResponse
from esruntime.client.protocol import Answer, Call, Request, outcome
from esruntime.errors import InvalidQueryError, MalformedResponseError
from esruntime.idempotency import check_key

__all__ = ["execute"]


def execute(name: str, command: Any, idempotency_key: str | None) -> Call[CommandResponse]:
    """``POST /commands/{name}``; the outcome of this one attempt (the client retries)."""
    headers = [("Content-Type", JSON)]
    if idempotency_key is not None:
        check_key(idempotency_key)
        if not idempotency_key.isascii():
            raise InvalidQueryError(
                f"an idempotency key is sent in a header: ASCII only, got {idempotency_key!r}"
            )
        headers.append(("X-Idempotency-Key", idempotency_key))
    path = f"commands/{segment('a command name', name)}"
    request = Request(
        "POST", path, headers=tuple(headers), content=json_body(command, "the command input")
    )
    return Call(request, _read_command)


def _retries(answer: Answer) -> int:
    value = answer.header("x-retry-count") or "0"
    if not (value.isascii() and value.isdigit()):
        raise MalformedResponseError(f"{answer.what}: X-Retry-Count is {value!r}, not a count")
    return int(value)


_KINDS: dict[str, type[CommandOk | CommandRejected | CommandConflict]] = {
    "ok": CommandOk,
    "rejected": CommandRejected,
    "conflict": CommandConflict,
}


def _read_command(answer: Answer) -> CommandResponse:
    body = read_object(outcome(answer, 200, (400, 409, 422)), answer.what)
    retries = _retries(answer)
    expected = {200: "ok", 409: "conflict"}.get(answer.status, "rejected")
    status = body.get("status")
    if status != expected:
        raise MalformedResponseError(
            f"{answer.what}: HTTP {answer.status} with status {status!r}, expected {expected!r}"
        )
    result = read(body, _KINDS[expected], answer.what)
    if isinstance(result, CommandOk):
        replayed = answer.header("x-idempotent-replayed") == "true"
        return evolve(result, retries=retries, attempts=1, replayed=replayed)
    return evolve(result, retries=retries, attempts=1)
