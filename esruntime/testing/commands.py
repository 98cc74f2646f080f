"""Hypothesis strategies for command inputs, from a handler's manifest (needs hypothesis).

A manifest with an ``input_schema`` (JSON Schema) gets inputs generated from it (the subset
:mod:`esruntime.testing.json_schema` understands); one without gets objects that bind each
``input_domain_ids`` field to an id, of the domain id's type in the ESDL schema when one is
given (an ``Int`` id gets integers, a ``Uuid`` one UUIDs; text without a schema). Either way
``fields`` overrides or adds fields, typically to draw ids from a small pool so that generated
commands meet the same entities::

    accounts = st.sampled_from(["a", "b", "c"])
    command_inputs(TransferFunds, SCHEMA, source_account=accounts, dest_account=accounts)
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from esruntime.handlers.manifest import HandlerManifest
from esruntime.schema.language import parse_schema
from esruntime.schema.model import Schema
from esruntime.schema.values import INT_RANGE, LONG_RANGE
from esruntime.testing.json_schema import from_json_schema
from esruntime.testing.scenarios import HandlerSource, handler_source

__all__ = ["command_inputs"]

_ids = st.text(
    st.characters(codec="utf-8", categories=["L", "N"], include_characters="-_."),
    min_size=1,
    max_size=24,
)


def _manifest(handler: HandlerManifest | HandlerSource) -> HandlerManifest:
    return handler if isinstance(handler, HandlerManifest) else handler_source(handler)[0]


_ID_TYPES: dict[str, SearchStrategy[Any]] = {
    "String": _ids,
    "Int": st.integers(*INT_RANGE),
    "Long": st.integers(*LONG_RANGE),
    "Uuid": st.uuids().map(str),
}


def _domain_id(
    manifest: HandlerManifest, schema: Schema | None, domain_id: str
) -> SearchStrategy[Any]:
    """Values of ``domain_id`` as the events the handler reads declare it (text if unknown)."""
    kinds: dict[str, None] = {}
    for read in manifest.reads:
        event = None if schema is None else schema.event(read.type)
        declared = None if event is None else event.field(domain_id)
        if declared is not None and declared.domain_id and declared.type.name in _ID_TYPES:
            kinds[declared.type.name] = None
    if not kinds:
        return _ids
    return st.one_of([_ID_TYPES[kind] for kind in kinds])


def command_inputs(
    handler: HandlerManifest | HandlerSource,
    schema: Schema | str | None = None,
    /,
    **fields: SearchStrategy[Any],
) -> SearchStrategy[dict[str, Any]]:
    """Inputs for ``handler``'s command (a manifest, a Python handler class or wasm bytes);
    ``schema`` (ESDL text or a parsed schema) types the domain ids when there is no input
    schema."""
    manifest = _manifest(handler)
    declared = parse_schema(schema) if isinstance(schema, str) else schema
    base: SearchStrategy[dict[str, Any]]
    if manifest.input_schema is not None:
        base = from_json_schema(manifest.input_schema)
    else:
        base = st.fixed_dictionaries(
            {
                input_field: _domain_id(manifest, declared, domain_id)
                for input_field, domain_id in manifest.input_domain_ids.items()
            }
        )
    if not fields:
        return base
    return st.tuples(base, st.fixed_dictionaries(fields)).map(lambda pair: {**pair[0], **pair[1]})
