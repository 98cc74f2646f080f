"""Every call of the HTTP API (``docs/http-api.md``): its request and how its answer
reads, shared by the sync and the async client."""

from esruntime.client.calls.commands import execute
from esruntime.client.calls.events import get_event, next_after, query_events
from esruntime.client.calls.handlers import (
    delete_handler,
    get_handler,
    list_handlers,
    make_current,
    upload_handler,
)
from esruntime.client.calls.schema import get_schema, push_schema, validate_schema
from esruntime.client.calls.system import health, metrics

__all__ = [
    "delete_handler",
    "execute",
    "get_event",
    "get_handler",
    "get_schema",
    "health",
    "list_handlers",
    "make_current",
    "metrics",
    "next_after",
    "push_schema",
    "query_events",
    "upload_handler",
    "validate_schema",
]
