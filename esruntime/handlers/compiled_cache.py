"""Compiled WebAssembly modules on disk, so that a restart does not compile every handler again.

A compiled artifact is machine code: it is only ever loaded from this cache's own directory
(created private to the user), under a key that covers the module's sha256, the wasmtime
version and the engine settings, so a module compiled by another wasmtime or another
configuration is never reused. Files are written to a temporary name and renamed into place
(atomic); an entry that cannot be loaded is deleted and the module compiled again.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
from importlib.metadata import version
from pathlib import Path

import wasmtime

__all__ = ["CompiledCache", "default_directory"]


def default_directory() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "esruntime" / "wasm"


class CompiledCache:
    """Serialized compiled modules in ``directory`` (None: no disk cache)."""

    def __init__(self, directory: Path | None, engine_settings: str) -> None:
        self.directory = directory
        self._fingerprint = f"wasmtime={version('wasmtime')};{engine_settings}"
        self._lock = threading.Lock()
        self.compiled = 0
        """How many modules were compiled and stored (for tests and operators)."""
        self.loaded = 0
        """How many modules were loaded from disk instead of compiled."""

    @classmethod
    def from_environment(cls, engine_settings: str) -> CompiledCache:
        """The directory of ``ESRUNTIME_WASM_CACHE_DIR`` (``off`` for none), else the default."""
        setting = os.environ.get("ESRUNTIME_WASM_CACHE_DIR")
        if setting is not None and setting.strip().lower() in ("", "off", "0", "none"):
            return cls(None, engine_settings)
        return cls(Path(setting) if setting else default_directory(), engine_settings)

    def path(self, digest: str) -> Path | None:
        """Where the compiled form of the module with this sha256 lives."""
        if self.directory is None:
            return None
        key = hashlib.sha256(f"{digest};{self._fingerprint}".encode()).hexdigest()
        return self.directory / f"{key}.cwasm"

    def load(self, engine: wasmtime.Engine, digest: str) -> wasmtime.Module | None:
        path = self.path(digest)
        if path is None or not path.is_file():
            return None
        try:
            module = wasmtime.Module.deserialize_file(engine, str(path))
        except wasmtime.WasmtimeError:
            path.unlink(missing_ok=True)  # corrupt or from elsewhere: compile again
            return None
        with self._lock:
            self.loaded += 1
        return module

    def store(self, digest: str, module: wasmtime.Module) -> None:
        with self._lock:
            self.compiled += 1
        path = self.path(digest)
        if path is None:
            return
        temporary: str | None = None
        try:
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            data = module.serialize()
            with tempfile.NamedTemporaryFile(dir=path.parent, delete=False, suffix=".tmp") as tmp:
                temporary = tmp.name
                tmp.write(data)
            os.replace(temporary, path)
        except OSError:
            # A read-only or full disk costs a compile at the next start, nothing else.
            if temporary is not None:
                Path(temporary).unlink(missing_ok=True)
