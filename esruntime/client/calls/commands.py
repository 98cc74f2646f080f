"""``POST /commands/{name}``: one attempt of a command and its outcome."""

from __future__ import annotations

from typing import Any

from esruntime.client.calls.bodies import JSON, json_body, segment
from esruntime.client.models import (
    CommandConflict,
    CommandEvent,
    CommandOk,
    CommandRejected,
    CommandResult,
)
from esruntime.client.protocol import Answer, Call, Request, outcome
from esruntime.client.reading import Reader
from esruntime.errors import InvalidQueryError, MalformedResponseError
from esruntime.idempotency import check_key

__all__ = ["execute"]


def execute(name: str, command: Any, idempotency_key: str | None) -> Call[CommandResult]:
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


def _read_command(answer: Answer) -> CommandResult:
    body = outcome(answer, 200, (400, 409, 422))
    read = Reader(body, answer.what)
    retries = _retries(answer)
    expected = {200: "ok", 409: "conflict"}.get(answer.status, "rejected")
    status = read.value.get("status")
    if status != expected:
        raise MalformedResponseError(
            f"{answer.what}: HTTP {answer.status} with status {status!r}, expected {expected!r}"
        )
    if status == "ok":
        events = tuple(
            CommandEvent(e.string("id"), e.string("type"), e.any("data"), e.time("timestamp"))
            for e in read.objects("events")
        )
        replayed = answer.header("x-idempotent-replayed") == "true"
        return CommandOk(read.opt_integer("position"), events, retries, replayed=replayed)
    if status == "rejected":
        return CommandRejected(read.string("code"), read.opt_string("message"), retries)
    return CommandConflict(read.string("message"), retries)
