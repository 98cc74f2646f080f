"""Where wasmtime puts instances: a pool of preallocated slots, or memory mapped per instance.

Every command attempt gets a fresh instance, so creating and dropping one is on the hot path.
wasmtime's default (on-demand) allocator maps and unmaps each instance's linear memory; its
pooling allocator reserves slots once, when the engine is made, and reuses them, which saves
about 40 µs (11%) a command (``benchmarks/bench_allocator.py``). Compiled code is the same
under both, so the compiled-module cache is shared.

``ESRUNTIME_WASM_INSTANCES`` sets how many instances may be alive at once in the process
(default 10,000; each slot reserves the 4 GiB of address space a 32-bit memory may span, as the
on-demand allocator does per live instance, and commits only what guests touch). ``0`` selects
the on-demand allocator. A slot keeps the first :data:`KEEP_RESIDENT` bytes of its memory
resident when its instance is dropped (zeroed rather than returned to the kernel), so that
the next instance does not page-fault on them: restoring a 512 KiB decision state into a fresh
instance measured ~1,000 µs without, ~400 µs with (``docs/commands.md``, "Cached decision
state"). At most wasmtime's warm slots (100) hold that much each.

When the slots cannot be reserved (a limit on address space), the engine falls back to the
on-demand allocator and logs a warning.

A slot holds one memory and one table of up to :data:`TABLE_ELEMENTS` elements, and
:data:`INSTANCE_SIZE` bytes of instance state (globals, function references): far beyond what a
compiled handler declares. A module beyond that is refused when it loads (at upload), with
wasmtime's reason; the on-demand allocator has no such bounds.

The pooling settings are set through wasmtime-py's private ``_ffi`` bindings of the C API;
when a release moves them, :data:`AVAILABLE` is False and the on-demand allocator is used.
"""

from __future__ import annotations

import os

import wasmtime

from esruntime.errors import ConfigurationError

__all__ = [
    "AVAILABLE",
    "DEFAULT_INSTANCES",
    "INSTANCES_VARIABLE",
    "KEEP_RESIDENT",
    "address_space_limit",
    "configure_pooling",
    "pool_size",
    "pooled_engine",
]

DEFAULT_INSTANCES = 10_000
INSTANCES_VARIABLE = "ESRUNTIME_WASM_INSTANCES"
_MAX_MEMORY = 4 << 30  # all a 32-bit memory can address: WasmLimits.memory is the real bound
TABLE_ELEMENTS = 65_536
"""The largest table a module may declare under the pool."""
INSTANCE_SIZE = 4 << 20
"""Bytes of an instance's own state (globals, function references) under the pool."""

KEEP_RESIDENT = 1 << 20
"""Bytes of a slot's memory kept resident (zeroed) between instances."""

try:
    from wasmtime import _ffi

    _NEW = _ffi.wasmtime_pooling_allocation_config_new
    _DELETE = _ffi.wasmtime_pooling_allocation_config_delete
    _SETTERS = (
        _ffi.wasmtime_pooling_allocation_config_total_core_instances_set,
        _ffi.wasmtime_pooling_allocation_config_total_memories_set,
        _ffi.wasmtime_pooling_allocation_config_total_tables_set,
    )
    _MAX_MEMORY_SIZE = _ffi.wasmtime_pooling_allocation_config_max_memory_size_set
    _TABLE_ELEMENTS = _ffi.wasmtime_pooling_allocation_config_table_elements_set
    _INSTANCE_SIZE = _ffi.wasmtime_pooling_allocation_config_max_core_instance_size_set
    _KEEP_RESIDENT = _ffi.wasmtime_pooling_allocation_config_linear_memory_keep_resident_set
    _STRATEGY = _ffi.wasmtime_pooling_allocation_strategy_set
    AVAILABLE = True
except (ImportError, AttributeError):  # pragma: no cover - depends on the wasmtime release
    AVAILABLE = False


def pool_size() -> int:
    """Instances the pool holds, from ``ESRUNTIME_WASM_INSTANCES`` (0: no pool)."""
    text = os.environ.get(INSTANCES_VARIABLE, "").strip()
    if not text:
        return DEFAULT_INSTANCES if AVAILABLE else 0
    try:
        size = int(text)
    except ValueError:
        size = -1
    if size < 0:
        raise ConfigurationError(
            f"{INSTANCES_VARIABLE} must be a whole number of instances (0 for no pool), "
            f"got {text!r}"
        )
    return size if AVAILABLE else 0


def pooled_engine(config: wasmtime.Config) -> wasmtime.Engine | None:
    """The engine for a pooling ``config``, or None when wasmtime cannot reserve the slots.

    The C API answers a failed engine creation with a null engine rather than an error; such
    an engine is disarmed here (wasmtime-py would free the null pointer, and crash, when it
    is collected).
    """
    try:
        engine = wasmtime.Engine(config)
    except wasmtime.WasmtimeError:  # should a release report the failure instead
        return None
    if engine.ptr():
        return engine
    engine._Managed__ptr = None  # type: ignore[attr-defined]
    return None


def address_space_limit() -> str:
    """The process's address-space limit (``ulimit -v``), when it has one, for messages."""
    try:
        import resource
    except ImportError:  # pragma: no cover - not on Windows
        return "unknown"
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    return "no limit" if soft == resource.RLIM_INFINITY else f"{soft / (1 << 30):,.1f} GiB"


def configure_pooling(config: wasmtime.Config, instances: int) -> None:
    """Make engines built from ``config`` allocate ``instances`` slots up front."""
    pooling = _NEW()
    try:
        for setter in _SETTERS:
            setter(pooling, instances)
        _MAX_MEMORY_SIZE(pooling, _MAX_MEMORY)
        _TABLE_ELEMENTS(pooling, TABLE_ELEMENTS)
        _INSTANCE_SIZE(pooling, INSTANCE_SIZE)
        _KEEP_RESIDENT(pooling, KEEP_RESIDENT)
        _STRATEGY(config.ptr(), pooling)
    finally:
        _DELETE(pooling)
