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
raise a :class:`~esruntime.errors.ClientError` (re-exported here). A schema push answers as
``Runtime.push_schema`` does, with the same types: ``SchemaAccepted``, or
:class:`~esruntime.errors.SchemaRejectedError` (re-exported here). See ``docs/client.md``.
"""

from esruntime.client.asynchronous import AsyncClient
from esruntime.client.base import DEFAULT_URL
from esruntime.client.models import (
    CommandConflict,
    CommandEvent,
    CommandOk,
    CommandRejected,
    CommandResponse,
    EventPage,
    HandlerDetails,
    HandlerRejected,
    HandlerSummary,
    HandlerUploaded,
    HandlerVersionInfo,
    Health,
    SchemaEvent,
    SchemaField,
    SchemaInfo,
    StoredEvent,
)
from esruntime.client.script_models import (
    DeadLetterInfo,
    DeadLetterPage,
    DeadLetterRetry,
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
    ManifestProblem,
    NotFoundError,
    PayloadTooLargeError,
    RequestConflictError,
    RequestTimeoutError,
    SchemaRejectedError,
    ServerError,
    UnauthorizedError,
    UnprocessableError,
)
from esruntime.schema.changes import BreakingChange, SchemaChanges
from esruntime.schema.outcomes import SchemaAccepted, SchemaRejected

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
    "CommandResponse",
    "ConnectionFailedError",
    "DeadLetterInfo",
    "DeadLetterPage",
    "DeadLetterRetry",
    "EventPage",
    "ForbiddenError",
    "HandlerDetails",
    "HandlerRejected",
    "HandlerSummary",
    "HandlerUploaded",
    "HandlerVersionInfo",
    "Health",
    "MalformedResponseError",
    "ManifestProblem",
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
    "SchemaRejectedError",
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
]
