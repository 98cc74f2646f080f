"""``/handlers``: list, describe, upload (a WebAssembly module), roll back and delete
handlers."""

from __future__ import annotations

from esruntime.client.calls.bodies import JSON, header, json_body, segment
from esruntime.client.models import (
    HandlerDetails,
    HandlerRejected,
    HandlerSummary,
    HandlerUploaded,
    HandlerVersionInfo,
    UploadProblem,
)
from esruntime.client.protocol import Answer, Call, Request, expect, outcome, raise_for_status
from esruntime.client.reading import Reader
from esruntime.errors import InvalidCommandInput, MalformedResponseError

__all__ = ["delete_handler", "get_handler", "list_handlers", "make_current", "upload_handler"]


def list_handlers() -> Call[list[HandlerSummary]]:
    return Call(Request("GET", "handlers"), _read_handlers)


def _read_handlers(answer: Answer) -> list[HandlerSummary]:
    read = Reader(expect(answer, 200), answer.what)
    return [
        HandlerSummary(
            h.string("name"),
            h.string("version"),
            h.strings("event_types"),
            h.opt_time("uploaded_at"),
            h.integer("executions_24h"),
            h.opt_string("kind"),
        )
        for h in read.objects("handlers")
    ]


def get_handler(name: str) -> Call[HandlerDetails]:
    return Call(Request("GET", f"handlers/{segment('a command name', name)}"), _read_handler)


def _read_handler(answer: Answer) -> HandlerDetails:
    h = Reader(expect(answer, 200), answer.what)
    return HandlerDetails(
        h.string("name"),
        h.string("version"),
        h.strings("event_types"),
        h.strings("domain_id_fields"),
        h.opt_time("uploaded_at"),
        h.opt_integer("wasm_size_bytes"),
        h.opt_string("sha256"),
        h.opt_string("kind"),
        tuple(
            HandlerVersionInfo(
                v.string("version"),
                v.time("uploaded_at"),
                v.integer("wasm_size_bytes"),
                v.string("sha256"),
                v.boolean("current"),
            )
            for v in (h.objects("versions") if h.has("versions") else ())
        ),
    )


def upload_handler(
    name: str, module: bytes, version: str
) -> Call[HandlerUploaded | HandlerRejected]:
    """``PUT /handlers/{name}`` with the module's bytes and ``X-Handler-Version``."""
    if not isinstance(module, bytes | bytearray | memoryview):
        raise InvalidCommandInput(f"a module is bytes, got {type(module).__name__}")
    headers = (("Content-Type", "application/wasm"), header("X-Handler-Version", version))
    path = f"handlers/{segment('a command name', name)}"
    return Call(Request("PUT", path, (), headers, bytes(module)), _read_upload)


def make_current(name: str, version: str) -> Call[HandlerUploaded | HandlerRejected]:
    """``PUT /handlers/{name}/current``: run stored ``version`` from the next command on."""
    path = f"handlers/{segment('a command name', name)}/current"
    content = json_body({"version": version}, "the version")
    return Call(
        Request("PUT", path, headers=(("Content-Type", JSON),), content=content), _read_upload
    )


def _read_upload(answer: Answer) -> HandlerUploaded | HandlerRejected:
    read = Reader(outcome(answer, 200, (422,)), answer.what)
    if answer.status == 422:
        return HandlerRejected(
            tuple(
                UploadProblem(e.string("code"), e.string("message")) for e in read.objects("errors")
            )
        )
    validation = read.object("validation")
    return HandlerUploaded(
        read.string("name"),
        read.string("version"),
        read.strings("event_types"),
        validation.strings("warnings"),
    )


def delete_handler(name: str) -> Call[None]:
    return Call(Request("DELETE", f"handlers/{segment('a command name', name)}"), _read_deleted)


def _read_deleted(answer: Answer) -> None:
    if answer.status not in (200, 204):
        raise_for_status(answer)
        raise MalformedResponseError(f"{answer.what}: unexpected HTTP {answer.status}")
