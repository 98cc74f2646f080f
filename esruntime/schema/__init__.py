"""ESDL: the event schema language, its validator and the schema registry.

:func:`parse_schema` turns ESDL text into a checked :class:`Schema` (or raises a
:class:`~esruntime.errors.SchemaError` that names the line and column of every problem);
:func:`format_schema` writes a schema back as canonical text; :func:`validate_event` and
:func:`upcast` check and complete event data; a :class:`SchemaRegistry` keeps a tenant's versions
and refuses pushes that would break its stored events.

The names are imported on first use: the parser loads Lark, which a program that only reads
push outcomes (the HTTP client) need not pay for.
"""

from typing import TYPE_CHECKING

from esruntime.lazy import lazy_exports

if TYPE_CHECKING:
    from esruntime.protocols.schema import SchemaRegistry, SchemaStorage
    from esruntime.schema.changes import BreakingChange, SchemaChanges, SchemaDiff, diff_schemas
    from esruntime.schema.formatting import format_schema
    from esruntime.schema.language import parse_schema
    from esruntime.schema.model import (
        Default,
        EnumDecl,
        EventDecl,
        Field,
        Schema,
        TypeDecl,
        TypeRef,
    )
    from esruntime.schema.outcomes import PushResult, SchemaAccepted, SchemaRejected
    from esruntime.schema.registry import SchemaService, SchemaVersion
    from esruntime.schema.validation import upcast, validate_event, violations
    from esruntime.schema.views import push_view, schema_view
else:
    __getattr__, __dir__ = lazy_exports(
        __name__,
        {
            "BreakingChange": "esruntime.schema.changes",
            "Default": "esruntime.schema.model",
            "EnumDecl": "esruntime.schema.model",
            "EventDecl": "esruntime.schema.model",
            "Field": "esruntime.schema.model",
            "PushResult": "esruntime.schema.outcomes",
            "Schema": "esruntime.schema.model",
            "SchemaAccepted": "esruntime.schema.outcomes",
            "SchemaChanges": "esruntime.schema.changes",
            "SchemaDiff": "esruntime.schema.changes",
            "SchemaRegistry": "esruntime.protocols.schema",
            "SchemaRejected": "esruntime.schema.outcomes",
            "SchemaService": "esruntime.schema.registry",
            "SchemaStorage": "esruntime.protocols.schema",
            "SchemaVersion": "esruntime.schema.registry",
            "TypeDecl": "esruntime.schema.model",
            "TypeRef": "esruntime.schema.model",
            "diff_schemas": "esruntime.schema.changes",
            "format_schema": "esruntime.schema.formatting",
            "parse_schema": "esruntime.schema.language",
            "push_view": "esruntime.schema.views",
            "schema_view": "esruntime.schema.views",
            "upcast": "esruntime.schema.validation",
            "validate_event": "esruntime.schema.validation",
            "violations": "esruntime.schema.validation",
        },
    )

__all__ = [
    "BreakingChange",
    "Default",
    "EnumDecl",
    "EventDecl",
    "Field",
    "PushResult",
    "Schema",
    "SchemaAccepted",
    "SchemaChanges",
    "SchemaDiff",
    "SchemaRegistry",
    "SchemaRejected",
    "SchemaService",
    "SchemaStorage",
    "SchemaVersion",
    "TypeDecl",
    "TypeRef",
    "diff_schemas",
    "format_schema",
    "parse_schema",
    "push_view",
    "schema_view",
    "upcast",
    "validate_event",
    "violations",
]
