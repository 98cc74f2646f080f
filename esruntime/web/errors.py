"""The API's error responses: ``{"error": {"code", "message", "request_id"}}``, and
``"fields"`` (each invalid field and what is wrong with it) when a body's fields were checked.

A :class:`WebError` raised anywhere below a route becomes that body with its status; the
request id is filled in by the API, which also sends it as ``X-Request-ID``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from esruntime.errors import EsruntimeError
from esruntime.web.messages import WebResponse, json_response

__all__ = ["WebError", "error_response"]


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
