"""Compiled modules on disk: reused after a restart, rebuilt when unreadable, keyed safely."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from esruntime.handlers import WasmModule
from esruntime.handlers import wasm as host
from esruntime.handlers.compiled_cache import CompiledCache
from esruntime.handlers.wasm import ENGINE_SETTINGS
from tests.wasm.modules import counter_wasm

Loader = Callable[[CompiledCache, bytes], WasmModule]


@pytest.fixture
def compile_with(monkeypatch: pytest.MonkeyPatch) -> Loader:
    """Load a module through the host with ``cache`` as its disk cache, as a fresh process
    would (nothing compiled in memory yet)."""

    def load(cache: CompiledCache, wasm: bytes) -> WasmModule:
        monkeypatch.setattr(host, "compiled_cache", cache)
        host._compiled.clear()
        return WasmModule.load(wasm)

    return load


def test_a_module_compiled_once_is_loaded_from_disk_after_a_restart(
    tmp_path: Path, compile_with: Loader
) -> None:
    wasm = counter_wasm()
    first = CompiledCache(tmp_path, ENGINE_SETTINGS)
    compile_with(first, wasm)
    assert (first.compiled, first.loaded) == (1, 0)
    files = list(tmp_path.glob("*.cwasm"))
    assert len(files) == 1
    assert not list(tmp_path.glob("*.tmp"))

    restarted = CompiledCache(tmp_path, ENGINE_SETTINGS)  # a new process, the same directory
    module = compile_with(restarted, wasm)
    assert (restarted.compiled, restarted.loaded) == (0, 1)
    assert module.manifest.name == "count"
    assert module.handler().handle({"counter_id": "c1"})


def test_an_unreadable_entry_is_deleted_and_compiled_again(
    tmp_path: Path, compile_with: Loader
) -> None:
    wasm = counter_wasm()
    cache = CompiledCache(tmp_path, ENGINE_SETTINGS)
    compile_with(cache, wasm)
    [entry] = tmp_path.glob("*.cwasm")
    entry.write_bytes(b"not machine code")
    again = CompiledCache(tmp_path, ENGINE_SETTINGS)
    compile_with(again, wasm)
    assert (again.compiled, again.loaded) == (1, 0)
    assert entry.read_bytes() != b"not machine code"


def test_the_key_covers_the_engine_settings_and_the_module(tmp_path: Path) -> None:
    ours = CompiledCache(tmp_path, ENGINE_SETTINGS)
    other_engine = CompiledCache(tmp_path, "consume_fuel=0")
    digest = "ab" * 32
    assert ours.path(digest) != other_engine.path(digest)
    assert ours.path(digest) != ours.path("cd" * 32)
    assert CompiledCache(None, ENGINE_SETTINGS).path(digest) is None


def test_the_directory_is_private(tmp_path: Path, compile_with: Loader) -> None:
    directory = tmp_path / "cache"
    compile_with(CompiledCache(directory, ENGINE_SETTINGS), counter_wasm())
    assert directory.stat().st_mode & 0o077 == 0
