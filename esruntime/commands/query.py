"""The DCB query of a command (``docs/commands.md``, "The lifecycle"; ``docs/abi.md``, "The
manifest").

The input binds domain-id values through the manifest's ``input_domain_ids``; several input
fields may bind the same domain id (both accounts of a transfer bind ``account_id``), and a
value may be a string, a number, null or missing (no binding), or an array of those.

Read types are grouped by the sorted domain-id fields of theirs that the input binds. A group
with none bound becomes one types-only item (every event of those types); any other group
becomes one item per combination of its bound values (the cartesian product over its own
fields only), tagged ``field:value``. This is the Rust original's ``build_query_items``.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Mapping
from typing import Any

from esruntime.errors import InvalidCommandInput
from esruntime.events import Query, QueryItem
from esruntime.handlers.manifest import HandlerManifest

__all__ = ["build_query", "domain_id_bindings", "tag_value"]

Bindings = dict[str, list[str]]
"""Domain-id field → the values the input binds it to, in input order, without repeats."""

MAX_QUERY_ITEMS = 10_000


def tag_value(value: object) -> str | None:
    """The text of a domain-id value in a tag: strings as they are, numbers as JSON writes them;
    None for null. Used for query tags and for the tags of emitted events alike."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return json.dumps(value)
    raise InvalidCommandInput(
        f"a domain id value must be a string or a number, got {type(value).__name__} {value!r}"
    )


def domain_id_bindings(manifest: HandlerManifest, command_input: object) -> Bindings:
    """The domain-id values the input binds, per domain-id field."""
    if not isinstance(command_input, Mapping):
        raise InvalidCommandInput(
            f"command input must be a JSON object, got {type(command_input).__name__}"
        )
    bindings: Bindings = {}
    for input_field, domain_field in manifest.input_domain_ids.items():
        raw = command_input.get(input_field)
        values: list[Any] = raw if isinstance(raw, list) else [raw]
        for value in values:
            try:
                text = tag_value(value)
            except InvalidCommandInput as exc:
                raise InvalidCommandInput(f"input field '{input_field}': {exc}") from None
            if text is None:
                continue
            if not text:
                raise InvalidCommandInput(f"input field '{input_field}': an empty domain id")
            bound = bindings.setdefault(domain_field, [])
            if text not in bound:
                bound.append(text)
    return bindings


def build_query(manifest: HandlerManifest, command_input: object) -> Query:
    """The query whose events the handler replays and whose change makes the decision stale."""
    bindings = domain_id_bindings(manifest, command_input)
    groups: dict[tuple[str, ...], list[str]] = {}
    for read in manifest.reads:
        bound = tuple(sorted(f for f in read.domain_ids if f in bindings))
        groups.setdefault(bound, []).append(read.type)
    items: list[QueryItem] = []
    for fields in sorted(groups):
        types = groups[fields]
        if not fields:
            items.append(QueryItem(types=types))
            continue
        count = 1
        for f in fields:
            count *= len(bindings[f])
        if len(items) + count > MAX_QUERY_ITEMS:
            raise InvalidCommandInput(
                f"the input binds too many domain id combinations ({count:,}); "
                f"the limit is {MAX_QUERY_ITEMS:,} query items"
            )
        for combination in itertools.product(*(bindings[f] for f in fields)):
            tags = [f"{f}:{v}" for f, v in zip(fields, combination, strict=True)]
            try:
                items.append(QueryItem(types=types, tags=tags))
            except ValueError as exc:
                raise InvalidCommandInput(f"a domain id value cannot be a tag: {exc}") from None
    return Query(items)
