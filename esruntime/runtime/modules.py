"""Loaded WebAssembly handler modules, shared by every tenant of a runtime, keyed by sha256.

Loading a module (compiling, checking it, letting it describe itself) costs milliseconds; a
command must not pay that. The cache keeps the most recently used modules, up to a number of
bytes of compiled code; the same bytes uploaded by two tenants are loaded once. wasmtime is
imported on the first load only.
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from cachetools import LRUCache

from esruntime.handlers.abi import WasmLimits
from esruntime.handlers.costs import compiled_bytes_limit
from esruntime.handlers.manifest import HandlerManifest

if TYPE_CHECKING:
    from esruntime.handlers.wasm import WasmModule

__all__ = ["ModuleCache"]


class ModuleCache:
    """Loaded modules of up to ``max_bytes`` compiled (None: ``ESRUNTIME_WASM_COMPILED_BYTES``,
    else 256 MiB), least recently used dropped first."""

    def __init__(
        self,
        limits: WasmLimits | None = None,
        *,
        max_bytes: int | None = None,
        pooled: bool = False,
    ):
        self.limits = limits or WasmLimits()
        self.pooled = pooled
        self.max_bytes = compiled_bytes_limit() if max_bytes is None else max_bytes
        self._modules: LRUCache[str, WasmModule] = LRUCache(
            maxsize=self.max_bytes, getsizeof=lambda module: module.compiled_size
        )
        self._lock = threading.Lock()

    def __len__(self) -> int:
        with self._lock:
            return len(self._modules)

    def get(self, sha256: str, fetch: Callable[[], bytes | None]) -> WasmModule | None:
        """The module with this digest, loaded from ``fetch()``'s bytes when not cached."""
        with self._lock:
            module = self._modules.get(sha256)
        if module is not None:
            return module
        wasm = fetch()
        return None if wasm is None else self.load(wasm)

    def load(self, wasm: bytes) -> WasmModule:
        """Load (or find) the module of these bytes; raises InvalidWasmModuleError."""
        sha256 = hashlib.sha256(wasm).hexdigest()
        with self._lock:
            module = self._modules.get(sha256)
        if module is not None:
            return module
        from esruntime.handlers.wasm import WasmModule

        # Loaded outside the lock: two threads may load the same bytes once each; one is kept.
        module = WasmModule.load(wasm, limits=self.limits, pooled=self.pooled)
        with self._lock:
            kept = self._modules.get(sha256)
            if kept is not None:
                return kept
            with contextlib.suppress(ValueError):  # larger than the whole cache: not kept
                self._modules[sha256] = module
        return module

    def describe(self, wasm: bytes) -> HandlerManifest:
        """The handler registry's ``describe``: load the module (keeping it) and return its
        manifest, so the first command after an upload finds it loaded."""
        return self.load(wasm).manifest
