"""Every route of the JSON API (``docs/http-api.md``), with what it needs and reads."""

from __future__ import annotations

from esruntime.web.call import Route
from esruntime.web.commands import execute_command
from esruntime.web.dead_letters import DEAD_LETTER_ROUTES
from esruntime.web.events import get_event, query_events
from esruntime.web.handlers import (
    delete_handler,
    get_handler,
    list_handlers,
    put_current_version,
    put_handler,
)
from esruntime.web.schema import get_schema, put_schema, validate_schema
from esruntime.web.scripts import (
    create_script,
    delete_script,
    execute_script,
    get_execution,
    get_script,
    get_version,
    list_executions,
    list_scripts,
    list_versions,
    rollback_script,
    update_script,
)
from esruntime.web.system import health, metrics

__all__ = ["API_ROUTES", "SCRIPT_ROUTES"]

_SCRIPT = "/scripts/{script_id}"
SCRIPT_ROUTES = (
    Route(
        "list_scripts",
        "GET",
        "/scripts",
        list_scripts,
        "scripts.read",
        query=("type", "status", "search", "page", "per_page"),
        summary="List scripts",
    ),
    Route(
        "create_script",
        "POST",
        "/scripts",
        create_script,
        "scripts.create",
        "json",
        summary="Create a script",
    ),
    *DEAD_LETTER_ROUTES,  # before /scripts/{script_id}: routers matching in order see them first
    Route("get_script", "GET", _SCRIPT, get_script, "scripts.read", summary="Get a script"),
    Route(
        "update_script",
        "PUT",
        _SCRIPT,
        update_script,
        "scripts.update",
        "json",
        summary="Update a script (a new source is a new version)",
    ),
    Route(
        "delete_script",
        "DELETE",
        _SCRIPT,
        delete_script,
        "scripts.delete",
        summary="Delete a script",
    ),
    Route(
        "list_script_versions",
        "GET",
        _SCRIPT + "/versions",
        list_versions,
        "scripts.read",
        summary="List a script's versions",
    ),
    Route(
        "get_script_version",
        "GET",
        _SCRIPT + "/versions/{version}",
        get_version,
        "scripts.read",
        summary="Get a version of a script, with its source",
    ),
    Route(
        "rollback_script",
        "POST",
        _SCRIPT + "/rollback",
        rollback_script,
        "scripts.update",
        "json",
        summary="Roll a script back to a stored version",
    ),
    Route(
        "execute_script",
        "POST",
        _SCRIPT + "/execute",
        execute_script,
        "scripts.execute",
        "json",
        summary="Run a script and wait for its execution",
        slow=True,
    ),
    Route(
        "list_script_executions",
        "GET",
        _SCRIPT + "/executions",
        list_executions,
        "scripts.read",
        query=("status", "offset", "limit"),
        summary="List a script's executions, newest first",
    ),
    Route(
        "get_script_execution",
        "GET",
        _SCRIPT + "/executions/{execution_id}",
        get_execution,
        "scripts.read",
        summary="Get an execution of a script",
    ),
)

# Routers try the routes in this order: the ones asked most often come first (matching a
# request against a dozen routes before /health cost a third of its time in FastAPI).
API_ROUTES = (
    Route("health", "GET", "/health", health, None, summary="Health check"),
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
    Route("metrics", "GET", "/metrics", metrics, "admin", summary="Prometheus metrics"),
    *SCRIPT_ROUTES,
)
