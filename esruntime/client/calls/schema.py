"""``GET /schema``, ``PUT /schema`` and ``POST /schema/validate``.

A push answers as :meth:`Runtime.push_schema <esruntime.runtime.Runtime.push_schema>` does: the
``SchemaAccepted``, or ``SchemaRejectedError`` with the ``SchemaRejected``; a validation returns
either, as the registry's dry run does.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from attrs import frozen

from esruntime.client.calls.bodies import text_body
from esruntime.client.converter import read
from esruntime.client.models import SchemaEvent, SchemaInfo
from esruntime.client.protocol import Answer, Call, Request, expect, outcome
from esruntime.errors import SchemaRejectedError
from esruntime.schema.outcomes import PushResult, SchemaAccepted, SchemaRejected

__all__ = ["get_schema", "push_schema", "validate_schema"]


def get_schema() -> Call[SchemaInfo]:
    """The current schema (``GET /schema``); NotFoundError before the first push."""
    return Call(Request("GET", "schema"), _read_schema)


@frozen
class _Current:
    """The body of ``GET /schema``, whose ESDL text is called ``schema``."""

    version: str
    schema: str
    events: tuple[SchemaEvent, ...]
    updated_at: datetime
    types: tuple[Mapping[str, Any], ...] = ()
    enums: tuple[Mapping[str, Any], ...] = ()


def _read_schema(answer: Answer) -> SchemaInfo:
    body = read(expect(answer, 200), _Current, answer.what)
    return SchemaInfo(
        body.version, body.schema, body.events, body.updated_at, body.types, body.enums
    )


def _request(method: str, path: str, text: str, force: bool) -> Request:
    params = (("force", "true"),) if force else ()
    headers = (("Content-Type", "text/plain; charset=utf-8"),)
    return Request(method, path, params, headers, text_body(text, "an ESDL schema"))


def push_schema(text: str, *, force: bool = False) -> Call[SchemaAccepted]:
    """Store ``text`` (ESDL) as the next version (``PUT /schema``). A change that breaks stored
    events raises SchemaRejectedError (as ``Runtime.push_schema`` does) unless ``force``;
    invalid ESDL raises BadRequestError with the parser's message."""
    return Call(_request("PUT", "schema", text, force), _read_push)


def validate_schema(text: str, *, force: bool = False) -> Call[PushResult]:
    """What :meth:`push_schema` would do, without storing anything (``POST /schema/validate``):
    ``SchemaAccepted`` or ``SchemaRejected``."""
    return Call(_request("POST", "schema/validate", text, force), _read_validation)


def _read_validation(answer: Answer) -> PushResult:
    body = outcome(answer, 200, (422,))
    if answer.status == 200:
        return read(body, SchemaAccepted, answer.what)
    return read(body, SchemaRejected, answer.what)


def _read_push(answer: Answer) -> SchemaAccepted:
    result = _read_validation(answer)
    if isinstance(result, SchemaRejected):
        raise SchemaRejectedError(result)
    return result
