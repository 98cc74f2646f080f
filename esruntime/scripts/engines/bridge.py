"""The outbox bridge: drives one script in an engine session and performs its SDK calls.

The script never calls into Python. Each SDK method queues ``[id, name, args]`` in the
prelude's outbox and returns a promise; between evaluation slices the driver takes the outbox
(``poll``), performs the calls and settles the promises (``settle``), until the script's promise
has settled and no call is left.

Calls that may wait on the network (``http.*``, ``db.*``: :data:`BACKGROUND_CALLS`) run on the
runner's thread pool, concurrently when queued together (``Promise.all``); a wall-clock
deadline covers the whole run, and a call still running then is abandoned (its result is
dropped) and the run ends in ``timeout``. The quick calls (``cache.*``, ``events.publish``,
``log.*``) are performed in order on the running thread: a thread hop would cost more than
most of them. A quick call that blocks delays the end of its run by as long as it blocks.
Log lines past ``RunLimits.log_lines`` never leave the engine: the prelude counts them, and
the count reaches the host as one ``log.dropped`` call where the lines stood.
"""

from __future__ import annotations

import json
import logging
import time
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from typing import Any, Literal, Protocol

from esruntime.errors import ScriptRunnerError, SdkError
from esruntime.scripts.engines.failures import (
    engine_failure,
    located,
    memory_failure,
    output_failure,
    script_failure,
    stalled_failure,
    timeout_failure,
)
from esruntime.scripts.runner import SDK_CALLS, RunLimits, RunResult, SdkHost

__all__ = ["BACKGROUND_CALLS", "EngineStop", "Session", "check_limits", "drive", "perform"]

logger = logging.getLogger("esruntime.scripts.engines")

INTERNAL_SDK_ERROR = "Internal SDK error"
BACKGROUND_CALLS = ("http.", "db.")
"""Calls that may wait on the network for seconds: they run on the runner's thread pool, so
that the deadline holds while they wait (a call still running then is abandoned)."""


class EngineStop(Exception):
    """A session call could not complete: the deadline passed, memory ran out, the script does
    not parse (``message`` is then ``"Name: message"``), or the engine broke. ``stack`` is the
    engine's stack at that point, when it has one."""

    def __init__(
        self,
        kind: Literal["timeout", "memory", "syntax", "engine"],
        message: str,
        stack: str | None = None,
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.stack = stack


class Session(Protocol):
    """One fresh engine context running one script; every method may raise :class:`EngineStop`."""

    def start(self, payload: str) -> None:
        """Evaluate the prelude and start the script (up to its first ``await``)."""

    def poll(self) -> str:
        """Run the engine's pending jobs, then answer the prelude's ``ctl("poll")``."""

    def settle(self, replies: str) -> None:
        """Pass ``ctl("settle", replies)`` to the prelude."""

    def output(self) -> str:
        """The completed script's output, as the JSON text the prelude made of it."""

    def memory_bytes(self) -> int | None: ...

    def close(self) -> None: ...


def check_limits(limits: RunLimits) -> None:
    """Refuse limits no run can honour (the service validates the ranges of its own)."""
    for name in ("timeout_ms", "memory_bytes", "output_bytes"):
        value = getattr(limits, name)
        if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            raise ScriptRunnerError(f"RunLimits.{name} must be a positive integer, not {value!r}")
    lines = limits.log_lines
    if not isinstance(lines, int) or isinstance(lines, bool) or lines < 0:
        raise ScriptRunnerError(f"RunLimits.log_lines must be an integer >= 0, not {lines!r}")


def perform(host: SdkHost, name: str, args: list[Any]) -> tuple[bool, Any]:
    """One SDK call: ``(True, value)`` or ``(False, message)``; never raises."""
    try:
        value = host.call(name, args)
        json.dumps(value, allow_nan=False)
    except SdkError as error:
        return False, str(error)
    except Exception:
        logger.exception("SDK call %s failed", name)
        return False, INTERNAL_SDK_ERROR
    return True, value


def _reply(call_id: int, outcome: tuple[bool, Any]) -> str:
    return json.dumps([call_id, outcome[0], outcome[1]], allow_nan=False, separators=(",", ":"))


def _calls(state: Any) -> list[tuple[int, str, list[Any]]]:
    calls = state.get("calls") if isinstance(state, dict) else None
    if not isinstance(calls, list):
        raise EngineStop("engine", "the SDK bridge answered an unreadable outbox")
    checked = []
    for call in calls:
        if (
            not isinstance(call, list)
            or len(call) != 3
            or not isinstance(call[0], int)
            or call[1] not in SDK_CALLS
            or not isinstance(call[2], list)
        ):
            raise EngineStop("engine", "the SDK bridge answered an unreadable call")
        checked.append((call[0], call[1], call[2]))
    return checked


def _wait(inflight: dict[Future[tuple[bool, Any]], int], left: float) -> list[str]:
    """The replies of the calls that finish first; the deadline passing stops the run."""
    finished, _ = wait(inflight, timeout=max(left, 0), return_when=FIRST_COMPLETED)
    if not finished:
        raise EngineStop("timeout", "SDK calls outlived the deadline")
    return [_reply(inflight.pop(future), future.result()) for future in finished]


def _finish(session: Session, done: Any, limits: RunLimits) -> tuple[Any, Any, Any]:
    """Status, output and failure of a script whose promise settled."""
    if not isinstance(done, dict) or not done.get("ok"):
        error = done.get("error") if isinstance(done, dict) else None
        return "failed", None, script_failure(error, limits=limits)
    text = session.output()
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > limits.output_bytes:
        return "failed", None, output_failure(limits, size)
    try:
        return "completed", json.loads(text), None
    except RecursionError:
        return "failed", None, engine_failure("Script output nests too deeply")


def _stopped(stop: EngineStop, limits: RunLimits) -> tuple[Any, Any, Any]:
    if stop.kind == "timeout":
        return "timeout", None, timeout_failure(limits)
    if stop.kind == "memory":
        return "failed", None, memory_failure(limits, stop.stack)
    if stop.kind == "syntax":
        name, _, message = str(stop).partition(": ")
        return "failed", None, located(name, message, stop.stack)
    return "failed", None, engine_failure(str(stop))


def drive(
    session: Session,
    payload: str,
    *,
    host: SdkHost,
    limits: RunLimits,
    executor: Executor,
    started: float,
    background: tuple[str, ...] = BACKGROUND_CALLS,
) -> RunResult:
    """Run the session to the end and describe the outcome; never raises."""
    deadline = started + limits.timeout_ms / 1000
    inflight: dict[Future[tuple[bool, Any]], int] = {}
    try:
        session.start(payload)
        done: Any = None
        replies: list[str] = []
        while True:
            if replies:
                session.settle("[" + ",".join(replies) + "]")
                replies = []
            try:
                state = json.loads(session.poll())
            except (ValueError, RecursionError):
                raise EngineStop("engine", "SDK call arguments are not readable JSON") from None
            calls = _calls(state)
            for call_id, name, args in calls:
                if name.startswith("log."):
                    perform(host, name, args)
                elif not name.startswith(background):
                    replies.append(_reply(call_id, perform(host, name, args)))
                else:
                    try:
                        inflight[executor.submit(perform, host, name, args)] = call_id
                    except RuntimeError:
                        raise EngineStop("engine", "the script runner was closed") from None
            if done is None:
                done = state.get("done")
            if replies:
                continue
            if inflight:
                replies = _wait(inflight, deadline - time.monotonic())
            elif done is not None:
                outcome = _finish(session, done, limits)
                break
            elif not calls:
                outcome = ("failed", None, stalled_failure())
                break
    except EngineStop as stop:
        outcome = _stopped(stop, limits)
    except Exception as error:  # a broken engine binding must not take the host down
        logger.exception("script engine failed")
        outcome = ("failed", None, engine_failure(f"the engine failed: {error!r}"))
    finally:
        for future in inflight:
            future.cancel()
    try:
        memory = session.memory_bytes()
    except EngineStop:
        memory = None
    duration = (time.monotonic() - started) * 1000
    return RunResult(outcome[0], outcome[1], outcome[2], duration, memory)
