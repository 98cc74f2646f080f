"""Every route of the JSON API (``docs/http-api.md``), with what it needs and reads."""

from __future__ import annotations

from esruntime.web.call import Route
from esruntime.web.commands import execute_command
from esruntime.web.events import get_event, query_events
from esruntime.web.handlers import (
    delete_handler,
    get_handler,
    list_handlers,
    put_current_version,
    put_handler,
)
from esruntime.web.schema import get_schema, put_schema, validate_schema
from esruntime.web.system import health, metrics

__all__ = ["API_ROUTES"]

API_ROUTES = (
    Route(
        "execute_command",
        "POST",
        "/commands/{command_name}",
        execute_command,
        "commands.execute",
        "json",
        summary="Execute a command",
    ),
    Route("get_schema", "GET", "/schema", get_schema, "schema.read", summary="Get the schema"),
    Route(
        "put_schema",
        "PUT",
        "/schema",
        put_schema,
        "schema.write",
        "text",
        ("force",),
        summary="Update the schema",
    ),
    Route(
        "validate_schema",
        "POST",
        "/schema/validate",
        validate_schema,
        "schema.read",
        "text",
        ("force",),
        summary="Validate a schema (dry run)",
    ),
    Route(
        "list_handlers",
        "GET",
        "/handlers",
        list_handlers,
        "handlers.read",
        summary="List handlers",
    ),
    Route(
        "get_handler",
        "GET",
        "/handlers/{command_name}",
        get_handler,
        "handlers.read",
        summary="Get handler details",
    ),
    Route(
        "put_handler",
        "PUT",
        "/handlers/{command_name}",
        put_handler,
        "handlers.write",
        "wasm",
        summary="Upload a handler",
    ),
    Route(
        "put_current_version",
        "PUT",
        "/handlers/{command_name}/current",
        put_current_version,
        "handlers.write",
        "json",
        summary="Choose the version that runs (roll back or forward)",
    ),
    Route(
        "delete_handler",
        "DELETE",
        "/handlers/{command_name}",
        delete_handler,
        "handlers.write",
        summary="Delete a handler",
    ),
    Route(
        "query_events",
        "POST",
        "/events/query",
        query_events,
        "events.read",
        "json",
        ("raw",),
        summary="Query events",
    ),
    Route(
        "get_event",
        "GET",
        "/events/{event_id}",
        get_event,
        "events.read",
        query=("raw",),
        summary="Get an event by id",
    ),
    Route("health", "GET", "/health", health, None, summary="Health check"),
    Route("metrics", "GET", "/metrics", metrics, "admin", summary="Prometheus metrics"),
)
