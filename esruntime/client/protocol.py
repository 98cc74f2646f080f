"""The client's protocol without I/O: requests as values, answers as values, errors by status.

The sync and async clients differ only in how they send a :class:`Request` and receive an
:class:`Answer`; building the one and reading the other happens here and in
:mod:`esruntime.client.calls`, once for both.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Generic, TypeVar

import httpx
from attrs import frozen

from esruntime import errors
from esruntime.errors import ApiError, ClientError, MalformedResponseError

__all__ = [
    "Answer",
    "Call",
    "Request",
    "expect",
    "json_of",
    "outcome",
    "raise_for_status",
    "transport_error",
]

T = TypeVar("T")

_BY_STATUS: dict[int, type[ApiError]] = {
    400: errors.BadRequestError,
    401: errors.UnauthorizedError,
    403: errors.ForbiddenError,
    404: errors.NotFoundError,
    409: errors.RequestConflictError,
    413: errors.PayloadTooLargeError,
    422: errors.UnprocessableError,
}
_SNIPPET = 200


@frozen
class Request:
    """One HTTP request, relative to the client's base URL (``path`` already percent-encoded)."""

    method: str
    path: str
    params: tuple[tuple[str, str], ...] = ()
    headers: tuple[tuple[str, str], ...] = ()
    content: bytes | None = None


@frozen
class Answer:
    """A whole response: status, headers (names in lower case) and body."""

    status: int
    headers: dict[str, str]
    body: bytes
    what: str

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def snippet(self) -> str:
        text = self.body[:_SNIPPET].decode("utf-8", "replace")
        more = "..." if len(self.body) > _SNIPPET else ""
        return f"{text!r}{more}" if text else "an empty body"


@frozen
class Call(Generic[T]):
    """A request and how to read its answer."""

    request: Request
    read: Callable[[Answer], T]


def json_of(answer: Answer) -> Any:
    """The answer's JSON document, or MalformedResponseError showing what came instead."""
    try:
        return json.loads(answer.body)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise MalformedResponseError(
            f"{answer.what}: HTTP {answer.status} with a body that is not JSON: {answer.snippet()}"
        ) from None


def raise_for_status(answer: Answer) -> None:
    """Raise the :class:`ApiError` of an error status, with the API's code, message and
    request id when the body is the API's error body."""
    if answer.status < 300:
        return
    request_id = answer.header("x-request-id")
    code, message, fields = None, None, None
    try:
        error = json.loads(answer.body)["error"]
        if isinstance(error, dict) and isinstance(error.get("message"), str):
            message = error["message"]
            code = error["code"] if isinstance(error.get("code"), str) else None
            if isinstance(error.get("request_id"), str):
                request_id = error["request_id"]
            given = error.get("fields")
            if isinstance(given, dict):
                fields = {str(k): str(v) for k, v in given.items()}
    except (ValueError, UnicodeDecodeError, RecursionError, TypeError, KeyError):
        pass
    if message is None:
        location = answer.header("location")
        if 300 <= answer.status < 400 and location:
            message = f"{answer.what}: redirected to {location}; is the base URL right?"
        else:
            message = f"{answer.what}: the answer is not the API's error body: {answer.snippet()}"
    if answer.status >= 500:
        kind: type[ApiError] = errors.ServerError
    else:
        kind = _BY_STATUS.get(answer.status, ApiError)
    raise kind(answer.status, code, message, request_id, fields)


def expect(answer: Answer, *statuses: int) -> Any:
    """The JSON body of an answer with one of ``statuses``; an error status raises its
    :class:`ApiError`, any other status MalformedResponseError."""
    if answer.status not in statuses:
        raise_for_status(answer)
        raise MalformedResponseError(
            f"{answer.what}: unexpected HTTP {answer.status}: {answer.snippet()}"
        )
    return json_of(answer)


def outcome(answer: Answer, success: int, refusals: tuple[int, ...]) -> Any:
    """The JSON body of a call whose refusals are outcomes (``{"status": "rejected", ...}``):
    ``success``, or one of ``refusals`` with an outcome body; an error body raises."""
    if answer.status == success:
        return json_of(answer)
    if answer.status in refusals:
        try:
            body = json.loads(answer.body)
        except (ValueError, UnicodeDecodeError, RecursionError):
            body = None
        if isinstance(body, dict) and "status" in body:
            return body
    raise_for_status(answer)
    raise MalformedResponseError(
        f"{answer.what}: unexpected HTTP {answer.status}: {answer.snippet()}"
    )


def transport_error(exc: httpx.HTTPError, what: str, url: str) -> ClientError:
    """The ClientError for a request that got no usable answer."""
    if isinstance(exc, httpx.TimeoutException):
        return errors.RequestTimeoutError(
            f"{what}: no answer from {url} in time ({exc or 'timeout'})"
        )
    if isinstance(exc, httpx.ConnectError):
        return errors.ConnectionFailedError(f"{what}: cannot connect to {url}: {exc}")
    if isinstance(exc, httpx.RemoteProtocolError | httpx.DecodingError):
        return MalformedResponseError(f"{what}: {url} sent an invalid HTTP response: {exc}")
    if isinstance(exc, httpx.NetworkError):
        return errors.ConnectionFailedError(f"{what}: the connection to {url} failed: {exc}")
    return errors.ConnectionFailedError(f"{what}: the request to {url} failed: {exc}")
