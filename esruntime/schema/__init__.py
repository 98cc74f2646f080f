"""ESDL: the event schema language, its validator and the schema registry.

:func:`parse_schema` turns ESDL text into a checked :class:`Schema` (or raises a
:class:`~esruntime.errors.SchemaError` that names the line and column of every problem);
:func:`format_schema` writes a schema back as canonical text; :func:`validate_event` and
:func:`upcast` check and complete event data; a :class:`SchemaRegistry` keeps a tenant's versions
and refuses pushes that would break its stored events.
"""

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
from esruntime.schema.registry import (
    PushResult,
    SchemaAccepted,
    SchemaRejected,
    SchemaService,
    SchemaVersion,
)
from esruntime.schema.validation import upcast, validate_event, violations
from esruntime.schema.views import push_view, schema_view

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
