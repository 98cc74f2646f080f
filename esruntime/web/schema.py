"""``GET /schema``, ``PUT /schema`` and ``POST /schema/validate`` (the dry run)."""

from __future__ import annotations

from attrs import evolve

from esruntime.errors import SchemaError, SchemaRejectedError
from esruntime.schema.registry import REJECTION_HINT, PushResult, SchemaRejected
from esruntime.schema.views import push_view, schema_view
from esruntime.web.bodies import query_flag
from esruntime.web.call import Call
from esruntime.web.errors import WebError
from esruntime.web.messages import WebResponse, json_response

__all__ = ["HTTP_REJECTION_HINT", "get_schema", "put_schema", "validate_schema"]

HTTP_REJECTION_HINT = (
    "Send the schema again with ?force=true to accept the breaking changes "
    "(it creates a new schema version)"
)


def _over_http(result: PushResult) -> PushResult:
    """The result with a rejection's hint worded for this API (the registry's names the CLI)."""
    if isinstance(result, SchemaRejected) and result.hint == REJECTION_HINT:
        return evolve(result, hint=HTTP_REJECTION_HINT)
    return result


def get_schema(call: Call) -> WebResponse:
    current = call.tenant.schema_registry.current()
    if current is None:
        raise WebError(404, "schema_not_found", "No schema has been pushed yet")
    return json_response(200, schema_view(current))


def put_schema(call: Call) -> WebResponse:
    force = query_flag(call.query, "force")
    try:
        result = call.tenant.push_schema(call.body, force=force)
    except SchemaRejectedError as rejected:
        return json_response(422, push_view(_over_http(rejected.result)))
    except SchemaError as exc:
        raise WebError(400, "invalid_schema", str(exc)) from None
    return json_response(200, push_view(result))


def validate_schema(call: Call) -> WebResponse:
    force = query_flag(call.query, "force")
    try:
        result = call.tenant.schema_registry.validate(call.body, force=force)
    except SchemaError as exc:
        raise WebError(400, "invalid_schema", str(exc)) from None
    status = 422 if isinstance(result, SchemaRejected) else 200
    return json_response(status, push_view(_over_http(result)))
