"""mini-racer (``esruntime[v8]``): V8, a fresh isolate per run, in the calling thread.

V8 runs CPU-heavy scripts many times faster than quickjs-ng, but a fresh isolate costs a few
milliseconds, and its heap limit does not count ArrayBuffers: a script can allocate far more
than ``memory_bytes`` through them. Run untrusted scripts on it inside
:class:`~esruntime.scripts.engines.pool.ProcessPoolRunner`, whose address-space limit does
count them. Each evaluation slice runs with the time left as V8's own timeout (V8 terminates
the script from another thread: a wall-clock limit, exact under concurrency).

V8 reports no position for a syntax error in a function body it compiles at run time, so the
script is first parsed as part of a top-level script that throws before anything in it runs;
that parse reports the line and column.
"""

from __future__ import annotations

import asyncio
import json
import re
import secrets
import threading
import time
from collections.abc import Mapping
from typing import Any

from esruntime.scripts.engines.bridge import EngineStop
from esruntime.scripts.engines.inprocess import InProcessRunner
from esruntime.scripts.engines.payload import prelude
from esruntime.scripts.runner import RunLimits, RunResult, SdkHost

__all__ = ["MiniRacerRunner"]

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_PARSE_ERROR = re.compile(r"^<anonymous>:(?P<line>\d+): (?P<name>\w+): (?P<message>[^\n]*)\n")


def _module() -> Any:
    try:
        import py_mini_racer
    except ImportError as exc:
        raise ImportError(
            "the V8 engine needs the mini-racer package: pip install 'esruntime[v8]'"
        ) from exc
    return py_mini_racer


class MiniRacerSession:
    """One V8 isolate running one script.

    Every step is a cancelable ``eval`` of a short expression naming the prelude's control
    function (kept in a global lexical binding with a random name, which scripts cannot
    enumerate): mini-racer's function calls first run an uncancelable evaluation, which would
    wait forever behind a script looping in a promise reaction.
    """

    def __init__(
        self, limits: RunLimits, deadline_at: float, loop: asyncio.AbstractEventLoop
    ) -> None:
        self._v8 = _module()
        self._isolate = self._v8.mini_racer(loop)
        self._racer = self._isolate.__enter__()
        self._racer.set_hard_memory_limit(limits.memory_bytes)
        self._deadline_at = deadline_at
        self._name = "__esruntime_" + secrets.token_hex(12)
        self._stopped = False

    def _eval(self, code: str) -> Any:
        left = self._deadline_at - time.monotonic()
        if left <= 0 or self._stopped:
            raise EngineStop("timeout", "the deadline passed")
        try:
            return self._racer.eval(code, timeout_sec=left)
        except self._v8.JSTimeoutException:
            self._stopped = True
            raise EngineStop("timeout", "the deadline passed") from None
        except self._v8.JSOOMException:
            self._stopped = True
            raise EngineStop("memory", "out of memory") from None
        except self._v8.JSEvalException as error:
            self._stopped = True
            headline = str(error).strip().splitlines()[-1] if str(error).strip() else "error"
            raise EngineStop("engine", f"the engine failed: {headline}") from None

    def start(self, payload: str) -> None:
        self._check_syntax(json.loads(payload)["source"])
        self._eval(f"const {self._name} = {prelude()[0]}({json.dumps(payload)}); 0")

    def _check_syntax(self, source: str) -> None:
        padding = "\n" * prelude()[1]
        source = _LONE_SURROGATE.sub("\ufffd", source)  # one UTF-16 unit either way
        # Everything after "throw 0" is parsed, nothing runs; the header mirrors the one V8
        # gives a body compiled by the AsyncFunction constructor, one line further down.
        text = f"throw 0;\n(async function anonymous(\n) {{\n{padding}{source}\n}})"
        left = self._deadline_at - time.monotonic()
        try:
            self._racer.eval(text, timeout_sec=max(left, 0.001))
        except self._v8.JSParseException as error:
            self._parse_failure(str(error))
        except self._v8.JSEvalException:
            pass  # "throw 0" (or the deadline): the script parses

    def _parse_failure(self, text: str) -> None:
        match = _PARSE_ERROR.match(text)
        if match is None:
            return
        lines = text.split("\n")
        caret = lines[2].find("^") if len(lines) > 2 else -1
        stack = f"    at <anonymous>:{int(match['line']) - 1}:{caret + 1 if caret >= 0 else 1}"
        raise EngineStop("syntax", f"{match['name']}: {match['message']}", stack)

    def poll(self) -> str:
        return str(self._eval(f'{self._name}("poll", null)'))

    def settle(self, replies: str) -> None:
        self._eval(f'{self._name}("settle", {json.dumps(replies)}); 0')

    def output(self) -> str:
        return str(self._eval(f'{self._name}("output", null)'))

    def memory_bytes(self) -> int | None:
        if self._stopped:
            return None  # a stopped isolate may not answer
        return int(self._racer.heap_stats()["used_heap_size"])

    def close(self) -> None:
        # Freeing the isolate stops a script still looping in it; its last reports land on
        # the runner's event loop, which outlives the isolate.
        self._isolate.__exit__(None, None, None)


class MiniRacerRunner(InProcessRunner):
    """Runs scripts on V8 (mini-racer) in the calling thread, a fresh isolate per run."""

    remove_globals = (
        "console",
        "setTimeout",
        "clearTimeout",
        "__timer_manager",
        "WebAssembly",
        "Atomics",
    )

    def __init__(self, *, io_threads: int = 16) -> None:
        _module()
        super().__init__(io_threads=io_threads)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="esruntime-v8", daemon=True
        )
        self._thread.start()

        self._active = 0
        self._idle = threading.Condition()

    def open_session(self, limits: RunLimits, deadline_at: float) -> MiniRacerSession:
        return MiniRacerSession(limits, deadline_at, self._loop)

    def run(
        self, source: str, *, context: Mapping[str, Any], host: SdkHost, limits: RunLimits
    ) -> RunResult:
        with self._idle:
            self._active += 1
        try:
            return super().run(source, context=context, host=host, limits=limits)
        finally:
            with self._idle:
                self._active -= 1
                self._idle.notify_all()

    def close(self) -> None:
        """Refuse new runs; stop mini-racer's event loop once the runs in flight are over
        (each ends by its deadline)."""
        if self._closed:
            return
        super().close()
        with self._idle:
            self._idle.wait_for(lambda: self._active == 0)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.close()
