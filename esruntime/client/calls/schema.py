"""``GET /schema``, ``PUT /schema`` and ``POST /schema/validate``."""

from __future__ import annotations

from esruntime.client.calls.bodies import text_body
from esruntime.client.models import (
    BreakingChange,
    SchemaAccepted,
    SchemaChanges,
    SchemaEvent,
    SchemaField,
    SchemaInfo,
    SchemaRejected,
)
from esruntime.client.protocol import Answer, Call, Request, expect, outcome
from esruntime.client.reading import Reader

__all__ = ["get_schema", "push_schema", "validate_schema"]


def get_schema() -> Call[SchemaInfo]:
    return Call(Request("GET", "schema"), _read_schema)


def _read_schema(answer: Answer) -> SchemaInfo:
    read = Reader(expect(answer, 200), answer.what)
    events = tuple(
        SchemaEvent(
            e.string("name"),
            e.strings("domain_ids"),
            tuple(
                SchemaField(
                    f.string("name"), f.string("type"), f.boolean("domain_id"), f.opt_string("doc")
                )
                for f in e.objects("fields")
            ),
            e.opt_string("doc"),
        )
        for e in read.objects("events")
    )
    types = tuple(t.value for t in read.objects("types")) if read.has("types") else ()
    enums = tuple(t.value for t in read.objects("enums")) if read.has("enums") else ()
    return SchemaInfo(
        read.string("version"), read.string("schema"), events, read.time("updated_at"), types, enums
    )


def _schema_call(
    method: str, path: str, text: str, force: bool
) -> Call[SchemaAccepted | SchemaRejected]:
    params = (("force", "true"),) if force else ()
    headers = (("Content-Type", "text/plain; charset=utf-8"),)
    content = text_body(text, "an ESDL schema")
    return Call(Request(method, path, params, headers, content), _read_push)


def push_schema(text: str, force: bool) -> Call[SchemaAccepted | SchemaRejected]:
    """``PUT /schema`` (``?force=true`` accepts breaking changes)."""
    return _schema_call("PUT", "schema", text, force)


def validate_schema(text: str, force: bool) -> Call[SchemaAccepted | SchemaRejected]:
    """``POST /schema/validate``: what a push would do, without storing anything."""
    return _schema_call("POST", "schema/validate", text, force)


def _read_push(answer: Answer) -> SchemaAccepted | SchemaRejected:
    read = Reader(outcome(answer, 200, (422,)), answer.what)
    if answer.status == 200:
        changes = read.object("changes")
        return SchemaAccepted(
            read.string("version"),
            SchemaChanges(
                changes.strings("added_events"),
                changes.strings("modified_events"),
                changes.strings("removed_events"),
            ),
        )
    breaking = tuple(
        BreakingChange(
            b.string("event"), b.string("change"), b.opt_string("field"), b.string("message")
        )
        for b in read.objects("breaking_changes")
    )
    return SchemaRejected(breaking, read.opt_string("hint"))
