"""JavaScript engines behind the :class:`~esruntime.scripts.runner.ScriptRunner` protocol.

- :class:`QuickJsRunner` (default): quickjs-ng in the calling thread, exact memory limit,
  wall-clock deadline; for trusted, single-tenant embedding.
- :class:`ProcessPoolRunner`: any engine in worker processes, one run per worker at a time, OS
  limits as a backstop and a wall-clock kill from the parent; for untrusted, multi-tenant use.
- :class:`DukpyRunner` (``esruntime[dukpy]``): not a sandbox; trusted scripts only, or inside
  the process pool.
- :class:`MiniRacerRunner` (``esruntime[v8]``): V8; its heap limit does not cover
  ArrayBuffers, so run untrusted scripts on it inside the process pool.

The optional engines import their package only when a runner is created.
"""

from esruntime.scripts.engines.dukpy_engine import DukpyRunner
from esruntime.scripts.engines.pool import ProcessPoolRunner
from esruntime.scripts.engines.quickjs_engine import QuickJsRunner
from esruntime.scripts.engines.v8_engine import MiniRacerRunner

__all__ = ["DukpyRunner", "MiniRacerRunner", "ProcessPoolRunner", "QuickJsRunner"]
