"""What an HTTP-triggered script's execution answers.

A completed run whose output is shaped ``{status, headers, body}`` (only those keys, ``status``
an integer) is the response itself; any other output is ``200 {"result": output}``. A failed
run is ``500 {"error", "executionId"}``, a timeout ``504`` and a run refused for capacity
``503`` (with ``Retry-After``), in the same shape. A response the script shaped wrongly (a
status out of range, a header HTTP cannot carry) is a ``500`` naming what is wrong.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from esruntime.scripts.models import Execution
from esruntime.web.messages import JSON, WebResponse, json_response

__all__ = ["MAX_RESPONSE_HEADERS", "hook_response"]

MAX_RESPONSE_HEADERS = 100
_SHAPE = frozenset(("status", "headers", "body"))
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,256}")
_VALUE = re.compile(r"[\t\x20-\x7e\x80-\xff]{0,8192}")
# Framing and connection headers are the server's; X-Request-ID is the API's.
_RESERVED = frozenset(
    (
        "content-length",
        "transfer-encoding",
        "connection",
        "keep-alive",
        "upgrade",
        "te",
        "trailer",
        "proxy-connection",
        "x-request-id",
    )
)
_NO_BODY = frozenset((204, 304))


class _Invalid(ValueError):
    pass


def _failure(
    status: int, execution: Execution, headers: tuple[tuple[str, str], ...] = ()
) -> WebResponse:
    error = execution.error
    message = error.describe() if error is not None else f"the run ended {execution.status}"
    return json_response(status, {"error": message, "executionId": execution.id}, headers)


def hook_response(execution: Execution) -> WebResponse:
    """The HTTP response for a finished execution of an ``http`` script."""
    if execution.status == "timeout":
        return _failure(504, execution)
    if execution.status == "cancelled":
        return _failure(503, execution, (("Retry-After", "1"),))
    if execution.status != "completed":
        return _failure(500, execution)
    output = execution.output
    if not (isinstance(output, dict) and "status" in output and set(output) <= _SHAPE):
        return json_response(200, {"result": output})
    try:
        return _shaped(output)
    except _Invalid as exc:
        message = f"the script's response is invalid: {exc}"
        return json_response(500, {"error": message, "executionId": execution.id})


def _shaped(output: Mapping[str, Any]) -> WebResponse:
    status = output["status"]
    if type(status) is not int or not 200 <= status <= 599:
        raise _Invalid(f"status must be an integer from 200 to 599, got {_shown(status)}")
    headers, content_type = _headers(output.get("headers"))
    body = output.get("body")
    if status in _NO_BODY and body not in (None, ""):
        raise _Invalid(f"a {status} response has no body")
    if body is None:
        return WebResponse(status, b"", content_type, headers)
    if isinstance(body, str):
        return WebResponse(
            status, body.encode("utf-8", "replace"), content_type or "text/plain; charset=utf-8",
            headers,
        )  # fmt: skip
    data = json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return WebResponse(status, data.encode("utf-8", "replace"), content_type or JSON, headers)


def _headers(given: Any) -> tuple[tuple[tuple[str, str], ...], str | None]:
    """The script's headers (Content-Type apart), each checked for what HTTP can carry."""
    if given is None:
        return (), None
    if not isinstance(given, dict):
        raise _Invalid(f"headers must be an object, got {_shown(given)}")
    if len(given) > MAX_RESPONSE_HEADERS:
        raise _Invalid(f"at most {MAX_RESPONSE_HEADERS} headers, got {len(given)}")
    headers: list[tuple[str, str]] = []
    content_type = None
    for name, value in given.items():
        if not _TOKEN.fullmatch(name):
            raise _Invalid(f"{name[:60]!r} is not a header name")
        if isinstance(value, int | float) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str) or not _VALUE.fullmatch(value):
            raise _Invalid(f"header {name!r} must be a single line of text, got {_shown(value)}")
        lowered = name.lower()
        if lowered in _RESERVED:
            raise _Invalid(f"header {name!r} is set by the server")
        if lowered == "content-type":
            content_type = value
        else:
            headers.append((name, value))
    return tuple(headers), content_type


def _shown(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "..."
