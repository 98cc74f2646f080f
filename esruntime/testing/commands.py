"""Hypothesis strategies for command inputs, from a handler's manifest (needs hypothesis).

A manifest with an ``input_schema`` (JSON Schema) gets inputs generated from it (the subset
:mod:`esruntime.testing.json_schema` understands); one without gets objects that bind each
``input_domain_ids`` field to an id. Either way ``fields`` overrides or adds fields, typically
to draw ids from a small pool so that generated commands meet the same entities::

    accounts = st.sampled_from(["a", "b", "c"])
    command_inputs(TransferFunds, source_account=accounts, dest_account=accounts)
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from esruntime.handlers.manifest import HandlerManifest
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


def command_inputs(
    handler: HandlerManifest | HandlerSource, **fields: SearchStrategy[Any]
) -> SearchStrategy[dict[str, Any]]:
    """Inputs for ``handler``'s command (a manifest, a Python handler class or wasm bytes)."""
    manifest = _manifest(handler)
    base: SearchStrategy[dict[str, Any]]
    if manifest.input_schema is not None:
        base = from_json_schema(manifest.input_schema)
    else:
        base = st.fixed_dictionaries(dict.fromkeys(manifest.input_domain_ids, _ids))
    if not fields:
        return base
    return st.tuples(base, st.fixed_dictionaries(fields)).map(lambda pair: {**pair[0], **pair[1]})
