"""``GET /health`` (no credentials needed) and ``GET /metrics`` (the caller's tenant only).

A store that answered is trusted for :data:`PROBE_SECONDS` before it is asked again, so that a
load balancer's checks cost no database round trip each, and an async adapter can answer them
on its event loop (:func:`store_known_reachable`) rather than in a thread. A store that did not
answer, at a check or at any request (:func:`store_unanswered`), is asked again at the next
check.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from typing import TYPE_CHECKING

from esruntime.metrics import CONTENT_TYPE
from esruntime.web.call import Call
from esruntime.web.messages import WebResponse, json_response

if TYPE_CHECKING:
    from esruntime.runtime import Runtime

__all__ = ["PROBE_SECONDS", "health", "metrics", "store_known_reachable", "store_unanswered"]

logger = logging.getLogger("esruntime.web")

PROBE_SECONDS = 1.0
"""How long a store that answered is reported reachable without asking it again."""

_answered: weakref.WeakKeyDictionary[Runtime, float] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def store_known_reachable(runtime: Runtime) -> bool:
    """Whether the runtime's store answered within :data:`PROBE_SECONDS`: ``GET /health``
    then asks it nothing and does not block."""
    with _lock:
        until = _answered.get(runtime)
    return until is not None and until > time.monotonic()


def store_unanswered(runtime: Runtime) -> None:
    """Forget that the runtime's store answered: a request just found it unavailable, so the
    next ``GET /health`` asks it again rather than trusting the last probe."""
    with _lock:
        _answered.pop(runtime, None)


def _store_reachable(runtime: Runtime) -> bool:
    if store_known_reachable(runtime):
        return True
    try:
        runtime.tenant().store.head()
    except Exception:
        logger.warning("health check: the event store does not answer", exc_info=True)
        return False
    with _lock:
        _answered[runtime] = time.monotonic() + PROBE_SECONDS
    return True


def health(call: Call) -> WebResponse:
    """Healthy when the default tenant's store answers; 503 otherwise.

    ``umadb`` is the event store's connection under the name other esruntime implementations
    use; it says the same as ``store`` whatever the backend (``backend`` names it), and on the
    UmaDB backend it is that server's. A store that answered is trusted for
    :data:`PROBE_SECONDS`.
    """
    from esruntime import __version__

    runtime = call.runtime
    reachable = _store_reachable(runtime)
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
