"""dukpy (``esruntime[dukpy]``, QuickJS-NG inside): for trusted scripts, or inside the pool.

dukpy is **not a sandbox**: its ``call_python`` global reaches the interpreter object (this
runner's refuses every name, but the global is recreated on every evaluation), it has no
memory limit and no time limit, and it holds the GIL while JavaScript runs, so no thread of
the process, the runner's included, can stop a busy script. In process, only the output limit
and deadlines between evaluation slices (waits on SDK calls) hold; for anything else, run it
in :class:`~esruntime.scripts.engines.pool.ProcessPoolRunner`, whose wall-clock kill and OS
limits apply to any engine.
"""

from __future__ import annotations

import json
import secrets
import time
from typing import Any

from esruntime.errors import ConfigurationError
from esruntime.scripts.engines.bridge import EngineStop
from esruntime.scripts.engines.inprocess import InProcessRunner
from esruntime.scripts.engines.payload import prelude
from esruntime.scripts.runner import RunLimits

__all__ = ["DukpyRunner"]


def _module() -> Any:
    try:
        import dukpy._dukpy as native
    except ImportError as exc:
        raise ImportError(
            "the dukpy engine needs the dukpy package: pip install 'esruntime[dukpy]'"
        ) from exc
    return native


class _Interpreter:
    """What dukpy's native code calls back: it finds no Python function to call."""

    def __init__(self, native: Any) -> None:
        self._ctx = native.create_context()

    def _check_exported_function_exists(self, name: bytes) -> bool:
        return False

    def _call_python(self, name: bytes, args: bytes) -> None:
        raise LookupError("no Python function is exported to scripts")


class DukpySession:
    """One dukpy context running one script. The prelude's control function lives in a global
    lexical binding with a random name: scripts cannot enumerate such bindings."""

    def __init__(self, deadline_at: float) -> None:
        self._native = _module()
        self._interpreter = _Interpreter(self._native)
        self._deadline_at = deadline_at
        self._name = "__esruntime_" + secrets.token_hex(12)

    def _eval(self, code: str, variables: Any = None) -> Any:
        if time.monotonic() >= self._deadline_at:
            raise EngineStop("timeout", "the deadline passed")
        data = json.dumps(variables or {}).encode()
        try:
            raw = self._native.eval_string(
                self._interpreter, code.encode(), data, False, "<prelude>"
            )
        except self._native.JSRuntimeError as error:
            headline, _, stack = str(error).partition("\n")
            if "out of memory" in headline:
                raise EngineStop("memory", headline, stack) from None
            raise EngineStop("engine", f"the engine failed: {headline}", stack) from None
        return None if raw is None else json.loads(raw)

    def start(self, payload: str) -> None:
        self._eval(f"const {self._name} = {prelude()[0]}(dukpy.payload); 0", {"payload": payload})

    def poll(self) -> str:
        return str(self._eval(f'{self._name}("poll", null)'))

    def settle(self, replies: str) -> None:
        self._eval(f'{self._name}("settle", dukpy.replies); 0', {"replies": replies})

    def output(self) -> str:
        return str(self._eval(f'{self._name}("output", null)'))

    def memory_bytes(self) -> int | None:
        return None

    def close(self) -> None:
        self._interpreter = None  # type: ignore[assignment]


class DukpyRunner(InProcessRunner):
    """Runs **trusted** scripts on dukpy in the calling thread; ``trusted=True`` is required to
    say so. For untrusted scripts use ``ProcessPoolRunner(engine="dukpy")``."""

    remove_globals = ("call_python", "dukpy")

    def __init__(self, *, trusted: bool = False, io_threads: int = 16) -> None:
        if trusted is not True:
            raise ConfigurationError(
                "dukpy is not a sandbox and cannot stop a busy script: run untrusted scripts "
                "with ProcessPoolRunner(engine='dukpy'), or pass trusted=True"
            )
        _module()
        super().__init__(io_threads=io_threads)

    def open_session(self, limits: RunLimits, deadline_at: float) -> DukpySession:
        return DukpySession(deadline_at)
