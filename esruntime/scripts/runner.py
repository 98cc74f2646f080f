"""The contract between the script service and the JavaScript engines.

A :class:`ScriptRunner` runs one script source with a context and an :class:`SdkHost`, under
:class:`RunLimits`, and always answers with a :class:`RunResult`: a script's own failure, a
limit or a broken engine never raises. The engines live in :mod:`esruntime.scripts.engines`.

SDK calls reach the host as ``host.call(name, args)``; ``args`` are the JavaScript call's
arguments as JSON values, trailing ``undefined`` dropped. The names:

==========================================  ===================================================
``http.get|post|put|delete|patch``          the ``sdk.http`` methods' arguments
``db.query|queryOne|execute``               ``[sql, params]``; in a transaction
                                            ``[sql, params, handle]``
``db.begin`` / ``db.commit|rollback``       ``[]`` answers a handle string / ``[handle]``
``cache.get|set|delete|exists|increment``   the ``sdk.cache`` methods' arguments
``log.debug|info|warn|error``               ``[message, metadata?]``; performed in order
``log.dropped``                             ``[count]``: lines the engine dropped unsent,
                                            past ``RunLimits.log_lines``
``events.publish``                          ``[eventType, payload]``
==========================================  ===================================================

A :class:`SdkError` rejects the script's promise with ``new Error(message)``; any other
exception rejects it with ``Error("Internal SDK error")`` and is logged.

The two protocols are defined in :mod:`esruntime.protocols` with the other backend protocols.
"""

from __future__ import annotations

from typing import Any, Final, Literal

from attrs import frozen

from esruntime.errors import SdkError
from esruntime.protocols.scripts import ScriptRunner, SdkHost

__all__ = [
    "SDK_CALLS",
    "RunLimits",
    "RunResult",
    "RunStatus",
    "ScriptFailure",
    "ScriptRunner",
    "SdkError",
    "SdkHost",
]

SDK_CALLS: Final = frozenset(
    {
        "http.get",
        "http.post",
        "http.put",
        "http.delete",
        "http.patch",
        "db.query",
        "db.queryOne",
        "db.execute",
        "db.begin",
        "db.commit",
        "db.rollback",
        "cache.get",
        "cache.set",
        "cache.delete",
        "cache.exists",
        "cache.increment",
        "log.debug",
        "log.info",
        "log.warn",
        "log.error",
        "log.dropped",
        "events.publish",
    }
)
"""Every name a runner may pass to :meth:`SdkHost.call`."""

RunStatus = Literal["completed", "failed", "timeout"]


@frozen
class RunLimits:
    """What one execution may use: wall-clock time, engine memory, size of the JSON output, and
    the ``sdk.log`` lines the engine passes to the host (later ones are counted and dropped in
    the engine, then reported as one ``log.dropped`` call: logging never fails a script)."""

    timeout_ms: int = 30_000
    memory_bytes: int = 64 * 2**20
    output_bytes: int = 2**20
    log_lines: int = 1000


@frozen
class ScriptFailure:
    """Why a run did not complete: the JavaScript error, or the limit that stopped it.

    ``line`` and ``column`` (1-based) point into the script's own source; ``stack`` lists the
    script's frames, named ``script:LINE:COLUMN``.
    """

    name: str
    message: str
    line: int | None = None
    column: int | None = None
    stack: str | None = None


@frozen
class RunResult:
    """The outcome of one run: ``output`` is the returned value as JSON (``None`` unless
    completed); ``error`` is set unless completed; ``memory_bytes`` is the engine's heap at the
    end of the run, when the engine can tell."""

    status: RunStatus
    output: Any
    error: ScriptFailure | None
    duration_ms: float
    memory_bytes: int | None
