"""Commands: the query a decision rests on, and the executor that runs handlers."""

from esruntime.commands.executor import CommandExecutor, CommandResult
from esruntime.commands.query import build_query, domain_id_bindings, tag_value

__all__ = ["CommandExecutor", "CommandResult", "build_query", "domain_id_bindings", "tag_value"]
