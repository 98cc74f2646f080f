"""The web layer, framework-neutral: the JSON API as plain requests and responses.

Adapters (:mod:`esruntime.contrib.fastapi`, :mod:`esruntime.contrib.flask`) route requests to
:class:`JsonApi` and write its responses back; nothing here imports a web framework.
"""

from esruntime.web.api import RESOLVE, JsonApi, Limits
from esruntime.web.call import BodyKind, Call, Route
from esruntime.web.errors import WebError, error_response
from esruntime.web.messages import (
    METHODS,
    BodyReader,
    Headers,
    WebRequest,
    WebResponse,
    json_response,
    new_request_id,
)
from esruntime.web.routes import API_ROUTES

__all__ = [
    "API_ROUTES",
    "METHODS",
    "RESOLVE",
    "BodyKind",
    "BodyReader",
    "Call",
    "Headers",
    "JsonApi",
    "Limits",
    "Route",
    "WebError",
    "WebRequest",
    "WebResponse",
    "error_response",
    "json_response",
    "new_request_id",
]
