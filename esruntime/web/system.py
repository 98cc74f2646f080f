"""``GET /health`` (no credentials needed) and ``GET /metrics`` (the caller's tenant only)."""

from __future__ import annotations

import logging

from esruntime.metrics import CONTENT_TYPE
from esruntime.web.call import Call
from esruntime.web.messages import WebResponse, json_response

__all__ = ["health", "metrics"]

logger = logging.getLogger("esruntime.web")


def health(call: Call) -> WebResponse:
    """Healthy when the default tenant's store answers; 503 otherwise.

    ``umadb`` is the event store's connection under the name other esruntime implementations
    use; it says the same as ``store`` whatever the backend (``backend`` names it), and on the
    UmaDB backend it is that server's.
    """
    from esruntime import __version__

    runtime = call.runtime
    try:
        runtime.tenant().store.head()
        reachable = True
    except Exception:
        logger.warning("health check: the event store does not answer", exc_info=True)
        reachable = False
    state = "connected" if reachable else "unreachable"
    body = {
        "status": "healthy" if reachable else "unhealthy",
        "version": __version__,
        "umadb": state,  # the name other esruntime implementations use
        "store": state,
        "backend": runtime.backend.name,
    }
    return json_response(200 if reachable else 503, body)


def metrics(call: Call) -> WebResponse:
    assert call.principal is not None
    return WebResponse(200, call.runtime.metrics.render(call.principal.tenant), CONTENT_TYPE)
