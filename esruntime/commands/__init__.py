"""Commands: from a handler's manifest and an input to the DCB query the decision rests on."""

from esruntime.commands.query import build_query, domain_id_bindings, tag_value

__all__ = ["build_query", "domain_id_bindings", "tag_value"]
