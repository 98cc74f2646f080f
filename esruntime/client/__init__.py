"""A Python client of the esruntime HTTP API, sync (:class:`Client`) and async
(:class:`AsyncClient`), on httpx.

::

    from esruntime.client import Client

    with Client("http://127.0.0.1:8000/v1", api_key=key) as client:
        result = client.execute("transfer_funds", {"source_account": "alice",
                                                   "dest_account": "bob", "amount": 50.0})
        if result.status == "ok":
            print("Transferred:", result.event_ids)
        elif result.status == "rejected":
            print("Rejected:", result.message)

Outcomes are values (``CommandOk``, ``CommandRejected``, ``CommandConflict``, ...); failures
raise a :class:`~esruntime.errors.ClientError` (re-exported here). See ``docs/client.md``.
"""

from esruntime.client.asynchronous import AsyncClient
from esruntime.client.base import DEFAULT_URL
from esruntime.client.models import (
    BreakingChange,
    CommandConflict,
    CommandEvent,
    CommandOk,
    CommandRejected,
    CommandResult,
    EventPage,
    HandlerDetails,
    HandlerRejected,
    HandlerSummary,
    HandlerUploaded,
    HandlerVersionInfo,
    Health,
    SchemaAccepted,
    SchemaChanges,
    SchemaEvent,
    SchemaField,
    SchemaInfo,
    SchemaRejected,
    StoredEvent,
    UploadProblem,
)
from esruntime.client.script_models import (
    ScriptExecution,
    ScriptExecutionPage,
    ScriptFailure,
    ScriptInfo,
    ScriptPage,
    ScriptVersionInfo,
)
from esruntime.client.sync import Client
from esruntime.errors import (
    ApiError,
    BadRequestError,
    ClientError,
    ConnectionFailedError,
    ForbiddenError,
    MalformedResponseError,
    NotFoundError,
    PayloadTooLargeError,
    RequestConflictError,
    RequestTimeoutError,
    ServerError,
    UnauthorizedError,
    UnprocessableError,
)

__all__ = [
    "DEFAULT_URL",
    "ApiError",
    "AsyncClient",
    "BadRequestError",
    "BreakingChange",
    "Client",
    "ClientError",
    "CommandConflict",
    "CommandEvent",
    "CommandOk",
    "CommandRejected",
    "CommandResult",
    "ConnectionFailedError",
    "EventPage",
    "ForbiddenError",
    "HandlerDetails",
    "HandlerRejected",
    "HandlerSummary",
    "HandlerUploaded",
    "HandlerVersionInfo",
    "Health",
    "MalformedResponseError",
    "NotFoundError",
    "PayloadTooLargeError",
    "RequestConflictError",
    "RequestTimeoutError",
    "SchemaAccepted",
    "SchemaChanges",
    "SchemaEvent",
    "SchemaField",
    "SchemaInfo",
    "SchemaRejected",
    "ScriptExecution",
    "ScriptExecutionPage",
    "ScriptFailure",
    "ScriptInfo",
    "ScriptPage",
    "ScriptVersionInfo",
    "ServerError",
    "StoredEvent",
    "UnauthorizedError",
    "UnprocessableError",
    "UploadProblem",
]
