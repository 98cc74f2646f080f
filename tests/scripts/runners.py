"""A ScriptRunner whose "scripts" are Python functions, for tests of the service's own rules.

A script's source names a registered function (``py:name``); the function gets the context and
the SDK host like a JavaScript script would, returns its output, or raises :class:`Fail` to fail
as a script does (name, message, line, column). It lets tests hold a run open (to test
concurrency) without timing anything. The end-to-end tests use the real engine.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from esruntime.errors import SdkError
from esruntime.scripts.runner import RunLimits, RunResult, ScriptFailure, SdkHost

Script = Callable[[Mapping[str, Any], SdkHost], Any]


class Fail(Exception):
    def __init__(self, name: str, message: str, line: int | None = None, column: int | None = None):
        super().__init__(message)
        self.failure = ScriptFailure(
            name, message, line, column, f"{name}: {message}\n    at script:{line}:{column}"
        )


class TimesOut(Exception):
    pass


class PythonRunner:
    def __init__(self) -> None:
        self.scripts: dict[str, Script] = {}
        self.runs: list[tuple[Mapping[str, Any], RunLimits]] = []
        self.closed = False
        self._lock = threading.Lock()

    def script(self, name: str) -> Callable[[Script], Script]:
        def register(function: Script) -> Script:
            self.scripts[f"py:{name}"] = function
            return function

        return register

    def run(
        self, source: str, *, context: Mapping[str, Any], host: SdkHost, limits: RunLimits
    ) -> RunResult:
        with self._lock:
            self.runs.append((context, limits))
        started = time.perf_counter()
        function = self.scripts[source]

        def elapsed() -> float:
            return (time.perf_counter() - started) * 1000

        try:
            output = function(context, host)
        except Fail as fail:
            return RunResult("failed", None, fail.failure, elapsed(), 1000)
        except TimesOut:
            return RunResult("timeout", None, None, elapsed(), 1000)
        except SdkError as exc:  # an SDK call the script did not catch
            return RunResult("failed", None, ScriptFailure("Error", str(exc)), elapsed(), 1000)
        return RunResult("completed", output, None, elapsed(), 2048)

    def close(self) -> None:
        self.closed = True
