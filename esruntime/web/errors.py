"""The API's error responses: ``{"error": {"code", "message", "request_id"}}``, and
``"fields"`` (each invalid field and what is wrong with it) when a body's fields were checked.

A :class:`WebError` raised anywhere below a route becomes that body with its status; the
request id is filled in by the API, which also sends it as ``X-Request-ID``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping

from esruntime.errors import EsruntimeError, StoreQueryError, StoreUnavailableError
from esruntime.web.messages import WebRequest, WebResponse, json_response

__all__ = ["WebError", "error_response", "failure_response"]

logger = logging.getLogger("esruntime.web")


class WebError(EsruntimeError):
    """An HTTP error with the API's code and a precise message (never escapes the web layer)."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        headers: Iterable[tuple[str, str]] = (),
        fields: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = tuple(headers)
        self.fields = None if fields is None else dict(fields)


def error_response(
    status: int,
    code: str,
    message: str,
    request_id: str,
    headers: Iterable[tuple[str, str]] = (),
    fields: Mapping[str, str] | None = None,
) -> WebResponse:
    error: dict[str, object] = {"code": code, "message": message, "request_id": request_id}
    if fields is not None:
        error["fields"] = dict(fields)
    return json_response(status, {"error": error}, headers)


def failure_response(exc: Exception, request: WebRequest, request_id: str) -> WebResponse:
    """The answer to a request that raised ``exc``: a :class:`WebError` as it says; a store that
    is unavailable, 503 with the error's summary (its details logged); a query the store can
    never run, the caller's 400; anything else, a 500 whose details are in the log only, under
    the request id."""
    if isinstance(exc, WebError):
        return error_response(
            exc.status, exc.code, exc.message, request_id, exc.headers, exc.fields
        )
    if isinstance(exc, StoreUnavailableError):  # the backend's details go to the log only
        logger.error("%s %s: %s [%s]", request.method, request.path, exc, request_id)
        return error_response(503, "store_unavailable", exc.summary, request_id)
    if isinstance(exc, StoreQueryError):  # permanent: retrying the same request cannot help
        # Its first line: what the database refused; further lines may quote the statement.
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        message = f"the event store cannot run this request: {first}"
        return error_response(400, "store_query_error", message, request_id)
    logger.error(
        "%s %s failed [%s]",
        request.method,
        request.path,
        request_id,
        exc_info=exc,
        extra={"request_id": request_id},
    )
    message = f"Internal error; the server's log has the details of request {request_id}"
    return error_response(500, "internal_error", message, request_id)
