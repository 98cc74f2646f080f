"""``/handlers``: list, describe, upload (a WebAssembly module), roll back and delete handlers."""

from __future__ import annotations

from attrs import frozen

from esruntime.handlers.checks import ManifestProblem
from esruntime.handlers.manifest import MAX_VERSION_LENGTH
from esruntime.handlers.registry import UploadAccepted
from esruntime.web.bodies import register, structure
from esruntime.web.call import Call
from esruntime.web.errors import WebError
from esruntime.web.messages import WebResponse, json_response
from esruntime.web.views import handler_detail, handler_summary, upload_view

__all__ = [
    "CurrentVersion",
    "delete_handler",
    "get_handler",
    "list_handlers",
    "put_current_version",
    "put_handler",
]


@frozen
class CurrentVersion:
    """The body of ``PUT /handlers/{name}/current``: the stored version to run."""

    version: str


register(CurrentVersion)


def _not_found(name: str) -> WebError:
    return WebError(404, "handler_not_found", f"No handler registered with name '{name}'")


def list_handlers(call: Call) -> WebResponse:
    tenant = call.tenant
    counts = tenant.all_executions_24h()
    handlers = [handler_summary(h, counts.get(h.name, 0)) for h in tenant.handlers()]
    return json_response(200, {"handlers": handlers})


def get_handler(call: Call) -> WebResponse:
    name = call.param("command_name")
    info = call.tenant.handler(name)
    if info is None:
        raise _not_found(name)
    return json_response(200, handler_detail(info, call.tenant.versions(name)))


def put_handler(call: Call) -> WebResponse:
    version = call.headers.get("x-handler-version")
    if version is None:
        raise WebError(
            400,
            "missing_header",
            "X-Handler-Version is required: the semantic version of the module (1.2.0)",
        )
    version = version.strip()
    if len(version) > MAX_VERSION_LENGTH:
        raise WebError(
            400,
            "invalid_header",
            f"X-Handler-Version is {len(version):,} characters long; a version is a semantic "
            f"version (1.2.0) of at most {MAX_VERSION_LENGTH} characters",
        )
    result = call.tenant.upload(call.param("command_name"), call.body, version)
    status = 200 if isinstance(result, UploadAccepted) else 422
    return json_response(status, upload_view(result))


def put_current_version(call: Call) -> WebResponse:
    """Run another stored version of an uploaded handler from the next command on."""
    name = call.param("command_name")
    version = structure(call.body, CurrentVersion).version
    result = call.tenant.make_current(name, version)
    if isinstance(result, UploadAccepted):
        return json_response(200, upload_view(result))
    codes = {error.code for error in result.errors}
    if codes & {"handler_not_found", "version_not_found"}:
        raise WebError(404, *_first(result.errors))
    if "handler_in_code" in codes:
        raise WebError(409, *_first(result.errors))
    return json_response(422, upload_view(result))


def _first(errors: tuple[ManifestProblem, ...]) -> tuple[str, str]:
    return errors[0].code, errors[0].message


def delete_handler(call: Call) -> WebResponse:
    name = call.param("command_name")
    tenant = call.tenant
    info = tenant.handler(name)
    if info is None:
        raise _not_found(name)
    if info.kind == "python":
        raise WebError(
            409,
            "handler_in_code",
            f"'{name}' is a handler registered in code; it cannot be deleted over HTTP",
        )
    if not tenant.delete(name):
        raise _not_found(name)  # deleted meanwhile
    return json_response(200, {"name": name, "status": "deleted"})
