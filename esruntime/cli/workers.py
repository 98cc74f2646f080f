"""Several serving processes on one listening socket, for ``esruntime serve --workers N``.

The parent process has bound the socket and done everything that happens once (the checks, the
admin key); :func:`supervise` then forks ``count`` children that each serve on the inherited
socket, the kernel handing every new connection to one of them. ``os.fork`` is POSIX only: on
other systems ``--workers`` must be 1.

Fork rather than uvicorn's own ``workers=``: uvicorn starts its workers with ``spawn`` from an
import string, so each would import the app's module anew and redo the once-only steps (a
second admin key, a second listener); a forked child inherits the socket and the parsed
options, and builds only its own runtime.

The parent forwards SIGTERM and SIGINT to the children as SIGTERM (a graceful shutdown: each
finishes the requests it holds and stops its background workers); a second signal is forwarded
as SIGINT, which makes uvicorn stop at once. A child that ends while the parent is not stopping
is started again, at most :data:`MAX_RESTARTS` times in :data:`RESTART_WINDOW_S` seconds; beyond
that the parent stops the others and exits 5. A child whose parent died (killed, so it could not
forward anything) shuts itself down as if sent SIGTERM: it watches a pipe that only the parent
holds open.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable
from types import FrameType

from esruntime.cli.output import OK, UNAVAILABLE
from esruntime.errors import EsruntimeError

__all__ = ["MAX_RESTARTS", "RESTART_WINDOW_S", "supervise"]

MAX_RESTARTS = 5
RESTART_WINDOW_S = 60.0
_INTERRUPTED = 130  # as a shell reports SIGINT
_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def supervise(count: int, child: Callable[[], int]) -> int:
    """Run ``child()`` in ``count`` forked processes until SIGTERM or SIGINT; return the exit
    code: 0 after SIGTERM, 130 after SIGINT (as for one process), 5 when children kept dying.

    ``child`` returns its process's exit code; it runs with the default signal handlers (its
    server installs its own).
    """
    if not hasattr(os, "fork"):
        raise EsruntimeError("--workers above 1 needs os.fork (Linux, macOS, other POSIX systems)")
    if count < 1:
        raise ValueError(f"count must be at least 1, got {count}")
    return _Supervisor(count, child).run()


class _Supervisor:
    def __init__(self, count: int, child: Callable[[], int]) -> None:
        self._count = count
        self._child = child
        self._children: dict[int, int] = {}  # pid -> slot
        self._stopping: int | None = None  # the signal that stops them, or 0 when they failed
        self._restarts: deque[float] = deque()
        self._watch_read, self._watch_write = os.pipe()  # EOF in a child: the parent is gone

    def run(self) -> int:
        previous = {sig: signal.signal(sig, self._on_signal) for sig in _SIGNALS}
        try:
            for slot in range(self._count):
                self._fork(slot)
            while self._children:
                pid, status = os.waitpid(-1, 0)  # retried after a handled signal (PEP 475)
                slot = self._children.pop(pid, -1)
                if slot >= 0 and self._stopping is None:
                    self._replace(slot, pid, os.waitstatus_to_exitcode(status))
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            os.close(self._watch_read)
            os.close(self._watch_write)
        if self._stopping == signal.SIGINT:
            return _INTERRUPTED
        return OK if self._stopping == signal.SIGTERM else UNAVAILABLE

    def _on_signal(self, sig: int, frame: FrameType | None) -> None:
        if self._stopping is None:
            self._stopping = sig
            self._send(signal.SIGTERM)
        else:  # a second Ctrl-C: uvicorn stops without waiting for its connections
            self._send(signal.SIGINT)

    def _send(self, sig: int) -> None:
        for pid in list(self._children):
            with contextlib.suppress(ProcessLookupError):  # it ended and waits to be reaped
                os.kill(pid, sig)

    def _replace(self, slot: int, pid: int, code: int) -> None:
        now = time.monotonic()
        while self._restarts and now - self._restarts[0] > RESTART_WINDOW_S:
            self._restarts.popleft()
        if len(self._restarts) >= MAX_RESTARTS:
            _say(
                f"worker {pid} exited with {code}; {MAX_RESTARTS} restarts in "
                f"{RESTART_WINDOW_S:.0f} s already: stopping"
            )
            self._stopping = 0
            self._send(signal.SIGTERM)
            return
        self._restarts.append(now)
        _say(f"worker {pid} exited with {code}; starting another")
        self._fork(slot)

    def _fork(self, slot: int) -> None:
        sys.stdout.flush()
        sys.stderr.flush()
        # Blocked across the fork: a signal now is handled once the child is in the table, and
        # the child sets its own handlers before it may receive one.
        signal.pthread_sigmask(signal.SIG_BLOCK, _SIGNALS)
        try:
            pid = os.fork()
            if pid == 0:
                os._exit(self._in_child())
            self._children[pid] = slot
        finally:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, _SIGNALS)

    def _in_child(self) -> int:
        """The child's life: its own signal handlers, the parent watched, ``child()`` run; every
        outcome becomes an exit code (a forked child must never return into the parent's code)."""
        try:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.default_int_handler)
            signal.pthread_sigmask(signal.SIG_UNBLOCK, _SIGNALS)
            os.close(self._watch_write)
            threading.Thread(
                target=_watch_parent, args=(self._watch_read,), name="esruntime-parent", daemon=True
            ).start()
            code = self._child()
        except KeyboardInterrupt:
            code = _INTERRUPTED
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        except EsruntimeError as exc:
            from esruntime.cli.output import exit_code

            _say(str(exc))
            code = exit_code(exc)
        except BaseException:
            traceback.print_exc()
            code = 1
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except OSError:  # a closed stdout must not change the exit code
            pass
        return code


def _watch_parent(read_end: int) -> None:
    """Block until the parent's end of the pipe closes (it exited or was killed), then stop."""
    try:
        while os.read(read_end, 1):
            pass
    except OSError:
        pass
    os.kill(os.getpid(), signal.SIGTERM)


def _say(message: str) -> None:
    print(f"esruntime: {message}", file=sys.stderr, flush=True)
