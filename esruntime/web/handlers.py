"""``/handlers``: list, describe, upload (a WebAssembly module) and delete handlers."""

from __future__ import annotations

from esruntime.handlers.manifest import MAX_VERSION_LENGTH
from esruntime.handlers.registry import UploadAccepted
from esruntime.web.call import Call
from esruntime.web.errors import WebError
from esruntime.web.messages import WebResponse, json_response
from esruntime.web.views import handler_detail, handler_summary, upload_view

__all__ = ["delete_handler", "get_handler", "list_handlers", "put_handler"]


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
    return json_response(200, handler_detail(info))


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
