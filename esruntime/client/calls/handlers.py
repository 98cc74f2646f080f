"""``/handlers``: list, describe, upload (a WebAssembly module), roll back and delete
handlers."""

from __future__ import annotations

from attrs import frozen

from esruntime.client.calls.bodies import JSON, header, json_body, segment
from esruntime.client.converter import read
from esruntime.client.models import (
    HandlerDetails,
    HandlerRejected,
    HandlerSummary,
    HandlerUploaded,
)
from esruntime.client.protocol import Answer, Call, Request, expect, outcome, raise_for_status
from esruntime.errors import InvalidCommandInput, MalformedResponseError

__all__ = ["delete_handler", "get_handler", "list_handlers", "make_current", "upload_handler"]


def list_handlers() -> Call[list[HandlerSummary]]:
    """Every command's handler, uploaded or registered in code (``GET /handlers``)."""
    return Call(Request("GET", "handlers"), _read_handlers)


@frozen
class _Handlers:
    handlers: tuple[HandlerSummary, ...]


@frozen
class _Validation:
    warnings: tuple[str, ...]


@frozen
class _Uploaded:
    """The body of an accepted upload: the handler, and the warnings under ``validation``."""

    name: str
    version: str
    event_types: tuple[str, ...]
    validation: _Validation


def _read_handlers(answer: Answer) -> list[HandlerSummary]:
    return list(read(expect(answer, 200), _Handlers, answer.what).handlers)


def get_handler(name: str) -> Call[HandlerDetails]:
    """The handler of command ``name``; NotFoundError when there is none."""
    return Call(Request("GET", f"handlers/{segment('a command name', name)}"), _read_handler)


def _read_handler(answer: Answer) -> HandlerDetails:
    return read(expect(answer, 200), HandlerDetails, answer.what)


def upload_handler(
    name: str, module: bytes, version: str
) -> Call[HandlerUploaded | HandlerRejected]:
    """Upload a WebAssembly module as ``version`` (semver) of command ``name`` (``PUT
    /handlers/{name}`` with the module's bytes and ``X-Handler-Version``)."""
    if not isinstance(module, bytes | bytearray | memoryview):
        raise InvalidCommandInput(f"a module is bytes, got {type(module).__name__}")
    headers = (("Content-Type", "application/wasm"), header("X-Handler-Version", version))
    path = f"handlers/{segment('a command name', name)}"
    return Call(Request("PUT", path, (), headers, bytes(module)), _read_upload)


def make_current(name: str, version: str) -> Call[HandlerUploaded | HandlerRejected]:
    """Run stored ``version`` of uploaded handler ``name`` from the next command on (a
    rollback, or a roll forward; ``PUT /handlers/{name}/current``); HandlerRejected when that
    version no longer passes the upload checks, NotFoundError when there is no such handler or
    version."""
    path = f"handlers/{segment('a command name', name)}/current"
    content = json_body({"version": version}, "the version")
    return Call(
        Request("PUT", path, headers=(("Content-Type", JSON),), content=content), _read_upload
    )


def _read_upload(answer: Answer) -> HandlerUploaded | HandlerRejected:
    body = outcome(answer, 200, (422,))
    if answer.status == 422:
        return read(body, HandlerRejected, answer.what)
    done = read(body, _Uploaded, answer.what)
    return HandlerUploaded(done.name, done.version, done.event_types, done.validation.warnings)


def delete_handler(name: str) -> Call[None]:
    """Delete an uploaded handler and its versions; NotFoundError when there is none."""
    return Call(Request("DELETE", f"handlers/{segment('a command name', name)}"), _read_deleted)


def _read_deleted(answer: Answer) -> None:
    if answer.status not in (200, 204):
        raise_for_status(answer)
        raise MalformedResponseError(f"{answer.what}: unexpected HTTP {answer.status}")
