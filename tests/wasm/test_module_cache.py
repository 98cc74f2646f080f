"""Loaded and compiled modules are kept in memory up to a number of bytes, not of modules."""

from __future__ import annotations

import pytest

from esruntime.handlers import wasm as host
from esruntime.handlers.costs import (
    COMPILED_BYTES_VARIABLE,
    DEFAULT_COMPILED_BYTES,
    compiled_bytes_limit,
)
from esruntime.runtime.modules import ModuleCache
from tests.wasm.modules import counter_wasm, with_functions


def test_modules_are_kept_up_to_a_number_of_compiled_bytes() -> None:
    small, large = counter_wasm("small"), with_functions(2_000, "large")
    small_size = ModuleCache().load(small).compiled_size
    large_size = ModuleCache().load(large).compiled_size
    assert 0 < small_size < large_size
    cache = ModuleCache(max_bytes=large_size + small_size // 2)

    first = cache.load(small)
    assert cache.load(small) is first
    cache.load(large)  # together over the bound: the least recently used goes

    assert len(cache) == 1
    assert cache.load(large).compiled_size == large_size
    assert cache.load(small) is not first  # loaded again


def test_a_module_larger_than_the_whole_cache_is_loaded_but_not_kept() -> None:
    cache = ModuleCache(max_bytes=1)
    module = cache.load(counter_wasm("too_large"))
    assert module.manifest.name == "too_large"
    assert len(cache) == 0


def test_the_compiled_modules_of_the_process_are_bounded_by_bytes() -> None:
    host.WasmModule.load(with_functions(500, "weighed"))
    assert host._compiled.maxsize == compiled_bytes_limit()
    assert 0 < host._compiled.currsize <= host._compiled.maxsize
    assert host._compiled.currsize == sum(size for _, size in host._compiled.values())


def test_the_bound_is_configured_by_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(COMPILED_BYTES_VARIABLE, raising=False)
    assert compiled_bytes_limit() == DEFAULT_COMPILED_BYTES == 256 * 1024 * 1024
    monkeypatch.setenv(COMPILED_BYTES_VARIABLE, "1048576")
    assert compiled_bytes_limit() == 1_048_576
    assert ModuleCache().max_bytes == 1_048_576
    monkeypatch.setenv(COMPILED_BYTES_VARIABLE, "lots")
    with pytest.raises(ValueError, match="must be a number of bytes, not 'lots'"):
        compiled_bytes_limit()
