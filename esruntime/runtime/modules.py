"""Loaded WebAssembly handler modules, shared by every tenant of a runtime, keyed by sha256.

Loading a module (compiling, checking it, letting it describe itself) costs milliseconds; a
command must not pay that. The cache keeps the most recently used modules; the same bytes
uploaded by two tenants are loaded once. wasmtime is imported on the first load only.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING

from esruntime.handlers.abi import WasmLimits
from esruntime.handlers.manifest import HandlerManifest

if TYPE_CHECKING:
    from esruntime.handlers.wasm import WasmModule

__all__ = ["ModuleCache"]


class ModuleCache:
    """Up to ``size`` loaded modules, least recently used dropped first."""

    def __init__(self, limits: WasmLimits | None = None, *, size: int = 128, pooled: bool = False):
        self.limits = limits or WasmLimits()
        self.pooled = pooled
        self._size = size
        self._modules: OrderedDict[str, WasmModule] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        with self._lock:
            return len(self._modules)

    def get(self, sha256: str, fetch: Callable[[], bytes | None]) -> WasmModule | None:
        """The module with this digest, loaded from ``fetch()``'s bytes when not cached."""
        with self._lock:
            module = self._modules.get(sha256)
            if module is not None:
                self._modules.move_to_end(sha256)
                return module
        wasm = fetch()
        return None if wasm is None else self.load(wasm)

    def load(self, wasm: bytes) -> WasmModule:
        """Load (or find) the module of these bytes; raises InvalidWasmModuleError."""
        sha256 = hashlib.sha256(wasm).hexdigest()
        with self._lock:
            module = self._modules.get(sha256)
            if module is not None:
                self._modules.move_to_end(sha256)
                return module
        from esruntime.handlers.wasm import WasmModule

        # Loaded outside the lock: two threads may load the same bytes once each; one is kept.
        module = WasmModule.load(wasm, limits=self.limits, pooled=self.pooled)
        with self._lock:
            module = self._modules.setdefault(sha256, module)
            self._modules.move_to_end(sha256)
            while len(self._modules) > self._size:
                self._modules.popitem(last=False)
        return module

    def describe(self, wasm: bytes) -> HandlerManifest:
        """The handler registry's ``describe``: load the module (keeping it) and return its
        manifest, so the first command after an upload finds it loaded."""
        return self.load(wasm).manifest
