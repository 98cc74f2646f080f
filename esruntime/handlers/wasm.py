"""WebAssembly command handlers: a wasmtime host for the handler ABI v1 (``docs/abi.md``).

::

    manifest, factory = load_wasm_handler(wasm_bytes)
    executor.register_factory(manifest, factory)

A module is compiled once per process (cached in memory by the sha256 of its bytes), checked
(no imports, the required exports with their types, ``esr_abi_version() == 1``, a valid manifest
from ``esr_describe``) and pre-instantiated. Every command attempt then gets a fresh instance in
its own ``Store`` with a fuel budget and a memory limit, so nothing a guest does outlives one
attempt, and a faulted instance is simply dropped. Every way a guest can misbehave ends in a
:class:`~esruntime.errors.HandlerFault` whose ``code`` is one of ``out_of_fuel``, ``trap``,
``abi_violation`` or ``guest_error`` (see :mod:`esruntime.handlers.abi`).

Guest calls go through :mod:`esruntime.handlers.rawcall` (wasmtime's C API, several times
faster per call) when the installed wasmtime offers it, and through wasmtime-py's public API
otherwise or when ``ESRUNTIME_WASM_CALLS=public``; the same tests run on both paths. Instances
come from a pool of preallocated slots (:mod:`esruntime.handlers.allocator`).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import logging
import os
import threading
from collections.abc import Callable, Sequence
from typing import Any

import wasmtime
from cachetools import LRUCache

from esruntime.encoding import json_depth
from esruntime.errors import HandlerFault, InvalidManifestError, InvalidWasmModuleError
from esruntime.events import SequencedEvent
from esruntime.handlers import allocator, rawcall
from esruntime.handlers.abi import (
    ABI_VIOLATION,
    OPTIONAL_FUNCTIONS,
    OUT_OF_FUEL,
    REQUIRED_FUNCTIONS,
    TRAP,
    WasmLimits,
    decode_decision,
    decode_status,
    decode_validation,
    encode_frames,
    encode_input,
    unpack_buffer,
)
from esruntime.handlers.compiled_cache import CompiledCache
from esruntime.handlers.costs import compiled_bytes_limit, module_shape
from esruntime.handlers.guest_state import GuestState, export_globals, used_length
from esruntime.handlers.manifest import ABI_VERSION, HandlerManifest, parse_manifest
from esruntime.handlers.python import Decision, Rejection
from esruntime.handlers.state import StateSnapshot

__all__ = ["NO_NAMES", "WasmHandler", "WasmModule", "load_wasm_handler", "wasm_engine"]

logger = logging.getLogger("esruntime.handlers")

_U32 = (1 << 32) - 1
_PAGE = 65536
_ZERO_PAGE = bytes(_PAGE)


_engine: wasmtime.Engine | None = None
_compiled: LRUCache[str, tuple[wasmtime.Module, int]] = LRUCache(
    maxsize=compiled_bytes_limit(), getsizeof=lambda entry: entry[1]
)
_lock = threading.Lock()


ENGINE_SETTINGS = "consume_fuel=1;cranelift_nan_canonicalization=1"
"""What ``_engine_config`` sets: part of the compiled cache's key."""

compiled_cache = CompiledCache.from_environment(ENGINE_SETTINGS)
"""Compiled modules on disk (``ESRUNTIME_WASM_CACHE_DIR``; ``off`` disables it)."""

RAW_CALLS = rawcall.AVAILABLE and os.environ.get("ESRUNTIME_WASM_CALLS", "raw") != "public"
"""Whether modules loaded from now on call guests through the C API (see the module docstring)."""


def _engine_config(pool: int = 0) -> wasmtime.Config:
    """The one engine configuration (compiled modules are only valid under the same one),
    with a pool of ``pool`` instance slots when positive (see :mod:`.allocator`)."""
    config = wasmtime.Config()
    config.consume_fuel = True
    config.cranelift_nan_canonicalization = True  # same inputs, same bits, on every CPU
    if pool:
        allocator.configure_pooling(config, pool)
    return config


def wasm_engine() -> wasmtime.Engine:
    """The process's wasmtime engine (thread-safe; created on first use)."""
    global _engine, engine_pool
    with _lock:
        if _engine is None:
            pool = allocator.pool_size()
            engine = allocator.pooled_engine(_engine_config(pool)) if pool else None
            if pool and engine is None:
                logger.warning(
                    "cannot reserve %d WebAssembly instance slots (address space: %s); "
                    "instances are allocated one by one instead (set %s to fewer, or 0)",
                    pool,
                    allocator.address_space_limit(),
                    allocator.INSTANCES_VARIABLE,
                )
            engine_pool = pool if engine is not None else 0
            _engine = engine or wasmtime.Engine(_engine_config())
        return _engine


engine_pool = 0
"""Instance slots of the process's engine once made (0: the on-demand allocator)."""


def _compile(wasm: bytes) -> tuple[str, wasmtime.Module, int]:
    """The sha256, compiled module and compiled size (bytes of machine code and metadata)."""
    digest = hashlib.sha256(wasm).hexdigest()
    with _lock:
        entry = _compiled.get(digest)
    if entry is not None:
        return digest, *entry
    engine = wasm_engine()
    module = compiled_cache.load(engine, digest)
    if module is None:
        try:
            wasmtime.Module.validate(engine, wasm)
            module = wasmtime.Module(engine, wasm)
        except wasmtime.WasmtimeError as exc:
            raise InvalidWasmModuleError([f"not a valid WebAssembly module: {exc}"]) from None
        compiled_cache.store(digest, module)
    size = len(module.serialize())
    with _lock, contextlib.suppress(ValueError):  # larger than the whole cache: not kept
        _compiled[digest] = (module, size)
    return digest, module, size


def _cost_problems(wasm: bytes, limits: WasmLimits) -> list[str]:
    """What makes a module too costly to compile, read from its sections (nothing compiled)."""
    if len(wasm) > limits.module:
        return [f"the module is {len(wasm):,} bytes; the limit is {limits.module:,}"]
    shape = module_shape(wasm)
    if shape is None:
        return []  # unreadable sections: wasmtime's validation says what is wrong
    problems = []
    if shape.functions > limits.functions:
        problems.append(
            f"the module defines {shape.functions:,} functions; the limit is {limits.functions:,}"
        )
    if shape.code_bytes > limits.code:
        problems.append(
            f"the module has {shape.code_bytes:,} bytes of code; the limit is {limits.code:,}"
        )
    return problems


def _signature_problems(module: wasmtime.Module) -> list[str]:
    """Imports, and missing or mistyped exports (``docs/abi.md``, "Exports")."""
    problems = [
        f"imports {imp.module}.{imp.name} ({_kind(imp.type)}); handler modules may not import "
        "anything in abi 1"
        for imp in module.imports
    ]
    exports = {export.name: export.type for export in module.exports}
    memory = exports.get("memory")
    if not isinstance(memory, wasmtime.MemoryType):
        problems.append("does not export a memory named 'memory'")
    elif memory.is_64 or memory.is_shared:
        problems.append("exports a 64-bit or shared memory; abi 1 needs a plain 32-bit memory")
    for name, signature in (*REQUIRED_FUNCTIONS.items(), *OPTIONAL_FUNCTIONS.items()):
        found = exports.get(name)
        if found is None:
            if name in REQUIRED_FUNCTIONS:
                problems.append(f"does not export {name} {_show(signature)}")
        elif not isinstance(found, wasmtime.FuncType) or _signature(found) != signature:
            got = (
                _show(_signature(found)) if isinstance(found, wasmtime.FuncType) else "no function"
            )
            problems.append(f"exports {name} as {got}; abi 1 needs {_show(signature)}")
    return problems


def _kind(extern: object) -> str:
    return type(extern).__name__.removesuffix("Type").lower()


def _signature(func: wasmtime.FuncType) -> tuple[tuple[str, ...], tuple[str, ...]]:
    return tuple(map(str, func.params)), tuple(map(str, func.results))


def _show(signature: tuple[tuple[str, ...], tuple[str, ...]]) -> str:
    params, results = signature
    return f"({', '.join(params)}) -> ({', '.join(results)})"


def _fault(call: str, exc: Exception, limits: WasmLimits) -> HandlerFault:
    """The HandlerFault for a trap or wasmtime error raised out of guest ``call``."""
    if isinstance(exc, wasmtime.Trap):
        code = exc.trap_code
        if code is wasmtime.TrapCode.OUT_OF_FUEL:
            return HandlerFault(OUT_OF_FUEL, f"{call} ran out of fuel (budget {limits.fuel:,})")
        reason = code.name.lower() if code is not None else "trap"
        detail = "" if code is not None else f": {_cause(exc.message)}"
        return HandlerFault(TRAP, f"{call} trapped ({reason}){detail}{_where(exc)}")
    message = str(exc).splitlines()[0] if str(exc) else repr(exc)
    if "concurrent limit" in message:  # the pooling allocator has no free slot
        message += (
            f" (every one of the {engine_pool:,} instance slots is in use; "
            f"{allocator.INSTANCES_VARIABLE} sets how many there are)"
        )
    return HandlerFault(TRAP, f"{call} failed: {message}")


_MAX_FRAMES = 12
NO_NAMES = (
    "the module has no function names: build it keeping its name section "
    "(see Traps in docs/handlers-guide.md)"
)


def _where(trap: wasmtime.Trap) -> str:
    """Where a trap happened: the guest's call stack, innermost first, by function name.

    A module without a name section has only function indexes; the message then says how to
    get names instead of printing wasmtime's empty-looking backtrace.
    """
    frames = trap.frames
    if not frames:
        return ""
    names = [frame.func_name for frame in frames]
    labels = [
        name if name else f"function {frame.func_index} (+{frame.func_offset:#x})"
        for name, frame in zip(names, frames, strict=True)
    ]
    runs: list[tuple[str, int]] = []  # recursion shows as one function, repeated
    for label in labels:
        if runs and runs[-1][0] == label:
            runs[-1] = (label, runs[-1][1] + 1)
        else:
            runs.append((label, 1))
    shown = [label if count == 1 else f"{label} ({count} frames)" for label, count in runs]
    if len(shown) > _MAX_FRAMES:
        shown = [*shown[:_MAX_FRAMES], f"{len(runs) - _MAX_FRAMES} more"]
    where = f" in {' <- '.join(shown)}"
    if not any(names):
        where += f"; {NO_NAMES}"
    return where


def _cause(message: str) -> str:
    """The last line of wasmtime's message: the cause, below its backtrace."""
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    return lines[-1] if lines else "no reason given"


class _Memory:
    """A guest memory through wasmtime-py's public API (the interface of RawMemory)."""

    def __init__(self, store: wasmtime.Store, memory: wasmtime.Memory) -> None:
        self._store = store
        self._memory = memory

    def size(self) -> int:
        return self._memory.data_len(self._store)

    def write(self, data: bytes, offset: int) -> None:
        self._memory.write(self._store, data, offset)

    def read(self, offset: int, length: int) -> bytes:
        return bytes(self._memory.read(self._store, offset, offset + length))

    def clear(self, offset: int, length: int) -> None:
        self._memory.write(self._store, bytes(length), offset)

    def grow(self, pages: int) -> None:
        self._memory.grow(self._store, pages)


class _Globals:
    """Exported globals through wasmtime-py's public API (the interface of RawGlobals)."""

    def __init__(self, store: wasmtime.Store, instance: wasmtime.Instance, names: Sequence[str]):
        self._store = store
        exports = instance.exports(store)
        self._globals = []
        for name in names:
            found = exports.get(name)
            if not isinstance(found, wasmtime.Global):
                raise KeyError(name)
            self._globals.append(found)

    def get(self) -> tuple[object, ...]:
        return tuple(g.value(self._store) for g in self._globals)

    def set(self, values: Sequence[object]) -> None:
        for found, value in zip(self._globals, values, strict=True):
            found.set_value(self._store, value)


class _Instance:
    """One fresh instance in its own store, called with the ABI's buffer rules.

    Every guest call is guarded: a trap or wasmtime error becomes a HandlerFault and marks the
    instance dead, so it is never called again.
    """

    def __init__(self, pre: wasmtime.InstancePre, limits: WasmLimits, *, raw: bool) -> None:
        self.limits = limits
        self.store = wasmtime.Store(wasm_engine())
        self.store.set_limits(memory_size=limits.memory)
        self.store.set_fuel(limits.fuel)
        self._dead = False
        instance = self._guard("instantiate", pre.instantiate, self.store)
        self._handle = instance
        self._raw = raw
        self._globals: rawcall.RawGlobals | _Globals | None = None
        signatures = {**REQUIRED_FUNCTIONS, **OPTIONAL_FUNCTIONS}
        self.funcs: dict[str, Callable[..., Any]] = {}
        self.memory: rawcall.RawMemory | _Memory
        if raw:
            memory, funcs = rawcall.raw_exports(self.store, instance, signatures)
            self.memory = rawcall.RawMemory(self.store, memory)
            for name, func in funcs.items():
                params, results = signatures[name]
                result = results[0] if results else None
                self.funcs[name] = rawcall.RawFunction(self.store, func, len(params), result)
        else:
            exports = instance.exports(self.store)
            public_memory = exports["memory"]
            assert isinstance(public_memory, wasmtime.Memory)
            self.memory = _Memory(self.store, public_memory)
            for name in signatures:
                public_func = exports.get(name)
                if isinstance(public_func, wasmtime.Func):
                    self.funcs[name] = functools.partial(public_func, self.store)
        if "_initialize" in self.funcs:
            self.call("_initialize")

    def _state_globals(self, names: Sequence[str]) -> rawcall.RawGlobals | _Globals:
        if self._globals is None:
            kind = rawcall.RawGlobals if self._raw else _Globals
            self._globals = kind(self.store, self._handle, names)
        return self._globals

    def snapshot(self, names: Sequence[str]) -> GuestState:
        """Memory and the mutable globals ``names`` now (see :mod:`.guest_state`)."""
        size = end = self.memory.size()
        while end >= _PAGE:  # the trailing zero pages, then the zero KiBs of the last page
            page = self.memory.read(end - _PAGE, _PAGE)
            if page != _ZERO_PAGE:
                end -= _PAGE - used_length(page)
                break
            end -= _PAGE
        memory = self.memory.read(0, end)  # one copy of what is used
        return GuestState(size, memory, tuple(self._state_globals(names).get()))

    def restore(self, state: GuestState, names: Sequence[str], *, larger: bool) -> bool:
        """Make memory and globals what ``state`` says; False (and this instance unusable)
        when they cannot be: the memory is larger than the state's, unless ``larger``
        (a pooled instance's memory stays grown), or cannot grow to it."""
        size = self.memory.size()
        if size > state.size and not larger:
            return False
        try:
            if size < state.size:  # grown pages are zero: only the rest needs clearing
                self.memory.grow((state.size - size) // _PAGE)
            self.memory.write(state.memory, 0)
            if len(state.memory) < size:
                self.memory.clear(len(state.memory), size - len(state.memory))
            self._state_globals(names).set(state.globals)
        except (wasmtime.WasmtimeError, KeyError, ValueError):
            logger.warning("could not restore a guest state", exc_info=True)
            self._dead = True
            return False
        return True

    @property
    def dead(self) -> bool:
        """Whether a fault ended this instance (it is never called again)."""
        return self._dead

    def _guard(self, call: str, fn: Callable[..., Any], *args: Any) -> Any:
        if self._dead:
            raise HandlerFault(TRAP, f"{call}: this instance faulted earlier and was discarded")
        try:
            return fn(*args)
        except (wasmtime.Trap, wasmtime.WasmtimeError) as exc:
            self._dead = True
            raise _fault(call, exc, self.limits) from None

    def call(self, name: str, *args: int) -> Any:
        return self._guard(name, self.funcs[name], *args)

    def send(self, data: bytes, call: str) -> tuple[int, int]:
        """Copy ``data`` into a guest buffer from ``esr_alloc``; its ``(ptr, len)``."""
        ptr = self.call("esr_alloc", len(data)) & _U32
        if ptr == 0:
            self._dead = True
            raise HandlerFault(
                ABI_VIOLATION, f"esr_alloc({len(data)}) returned 0 (for {call}'s input)"
            )
        self._check_bounds(ptr, len(data), f"esr_alloc({len(data)})")
        self.memory.write(data, ptr)
        return ptr, len(data)

    def call_buffer(self, name: str, *args: int) -> bytes | None:
        """Call ``name`` and copy out the buffer it returns (None for 0)."""
        value = self.call(name, *args)
        if value == 0:
            return None
        ptr, length = unpack_buffer(value)
        if length > self.limits.result:
            self._dead = True
            raise HandlerFault(
                ABI_VIOLATION,
                f"{name} returned a {length:,}-byte result; the limit is {self.limits.result:,}",
            )
        self._check_bounds(ptr, length, name)
        return self.memory.read(ptr, length)

    def _check_bounds(self, ptr: int, length: int, call: str) -> None:
        size = self.memory.size()  # re-read: the call may have grown memory
        if ptr + length > size:
            self._dead = True
            raise HandlerFault(
                ABI_VIOLATION,
                f"{call} gave buffer [{ptr:#x}, +{length:,}) outside the {size:,}-byte memory",
            )


class WasmModule:
    """A checked, compiled handler module: its manifest, and instances on demand.

    By default every command attempt gets a fresh instance. ``pooled=True`` (for trusted
    handlers) keeps one instance per thread and reuses it: each command refills its fuel and
    starts with ``esr_init``, which the ABI makes reset the guest's state; an instance that
    faulted is replaced. Memory the guest grew stays grown (within the limit).

    ``raw_calls`` chooses the call path (None: :data:`RAW_CALLS`); both behave the same.
    """

    def __init__(
        self,
        sha256: str,
        pre: wasmtime.InstancePre,
        manifest: HandlerManifest,
        limits: WasmLimits,
        *,
        pooled: bool = False,
        raw_calls: bool | None = None,
    ) -> None:
        self.sha256 = sha256
        self.manifest = manifest
        self.limits = limits
        self.pooled = pooled
        self.raw_calls = RAW_CALLS if raw_calls is None else raw_calls and rawcall.AVAILABLE
        self._pre = pre
        self._local = threading.local()
        self.compiled_size = 0
        """Bytes of the compiled module (machine code and metadata), for caches to weigh."""
        self.state_globals: tuple[str, ...] | None = None
        """The export names of the guest's mutable globals, when its state can be snapshotted
        (:mod:`.guest_state`); None when every command replays in full."""

    @classmethod
    def load(
        cls,
        wasm: bytes,
        *,
        limits: WasmLimits | None = None,
        pooled: bool = False,
        raw_calls: bool | None = None,
    ) -> WasmModule:
        """Compile (or take from the cache), check and describe a module.

        Raises InvalidWasmModuleError naming every problem found: imports, exports, the ABI
        version, a fault while describing itself, or the manifest's problems.
        """
        limits = limits or WasmLimits()
        if not isinstance(wasm, bytes | bytearray) or not bytes(wasm[:4]) == b"\0asm":
            raise InvalidWasmModuleError(["not a WebAssembly binary (no \\0asm header)"])
        wasm = bytes(wasm)
        too_costly = _cost_problems(wasm, limits)
        if too_costly:
            raise InvalidWasmModuleError(too_costly)
        exported = export_globals(wasm)
        sha256 = hashlib.sha256(wasm).hexdigest()
        _, module, compiled_size = _compile(wasm if exported is None else exported[0])
        problems = _signature_problems(module)
        if problems:
            raise InvalidWasmModuleError(problems)
        pre = wasmtime.Linker(wasm_engine()).instantiate_pre(module)
        raw = RAW_CALLS if raw_calls is None else raw_calls and rawcall.AVAILABLE
        manifest = _describe(pre, limits, raw)
        loaded = cls(sha256, pre, manifest, limits, pooled=pooled, raw_calls=raw)
        loaded.compiled_size = compiled_size
        loaded.state_globals = None if exported is None else exported[1]
        return loaded

    def instance(self) -> _Instance:
        """An instance for one command attempt: fresh, or this thread's pooled one refueled."""
        if not self.pooled:
            return _Instance(self._pre, self.limits, raw=self.raw_calls)
        instance: _Instance | None = getattr(self._local, "instance", None)
        if instance is None or instance.dead:
            instance = self._local.instance = _Instance(self._pre, self.limits, raw=self.raw_calls)
        else:
            instance.store.set_fuel(self.limits.fuel)
        return instance

    def handler(self) -> WasmHandler:
        """A handler for one command attempt, on a fresh instance."""
        return WasmHandler(self)


def _describe(pre: wasmtime.InstancePre, limits: WasmLimits, raw_calls: bool) -> HandlerManifest:
    try:
        instance = _Instance(pre, limits, raw=raw_calls)
        version = instance.call("esr_abi_version")
        if version != ABI_VERSION:
            raise InvalidWasmModuleError(
                [f"esr_abi_version() returned {version}; this runtime speaks abi {ABI_VERSION}"]
            )
        raw = instance.call_buffer("esr_describe")
    except HandlerFault as exc:
        raise InvalidWasmModuleError([f"{exc} [{exc.code}]"]) from None
    if raw is None:
        raise InvalidWasmModuleError(["esr_describe returned nothing"])
    too_deep = InvalidWasmModuleError(
        [f"esr_describe returned JSON nested deeper than {limits.depth:,} levels"]
    )
    try:
        document = json.loads(raw.decode())
    except ValueError as exc:  # UnicodeDecodeError is a ValueError too
        raise InvalidWasmModuleError([f"esr_describe returned invalid JSON: {exc}"]) from None
    except RecursionError:
        raise too_deep from None
    if json_depth(document) > limits.depth:
        raise too_deep
    error = document.get("error") if isinstance(document, dict) and len(document) == 1 else None
    if isinstance(error, dict):  # the SDKs' way to fail (esr_fail, a bad esr_input_schema)
        code, message = error.get("code"), error.get("message")
        raise InvalidWasmModuleError([f"esr_describe failed: {message} [{code}]"])
    try:
        return parse_manifest(document)
    except InvalidManifestError as exc:
        raise InvalidWasmModuleError([f"manifest: {p}" for p in exc.problems]) from None


class WasmHandler:
    """One command attempt on a fresh instance; the executor's CommandHandler for wasm modules.

    ``validate`` may run before the instance is initialized (``docs/abi.md``, "One command",
    step 1); ``apply_all`` starts the command with ``esr_init`` and sends the events in frame
    batches.
    """

    def __init__(self, module: WasmModule) -> None:
        self.module = module
        self._instance = module.instance()
        self._initialized = False

    @property
    def fuel_left(self) -> int:
        """Fuel this attempt has not used yet (same module, history and input: same number)."""
        return self._instance.store.get_fuel()

    def _input(self, command: dict[str, Any]) -> bytes | Rejection:
        try:
            data = encode_input(command)
        except (TypeError, ValueError) as exc:
            return Rejection("invalid_input", f"command input is not JSON: {exc}")
        except RecursionError:
            return Rejection("invalid_input", "command input nests too deeply to encode")
        if len(data) > self.module.limits.input:
            return Rejection(
                "invalid_input",
                f"command input is {len(data):,} bytes; the limit is {self.module.limits.input:,}",
            )
        return data

    def validate(self, command: dict[str, Any]) -> Rejection | None:
        data = self._input(command)
        if isinstance(data, Rejection):
            return data
        if "esr_validate" not in self._instance.funcs:
            return None
        return decode_validation(
            self._instance.call_buffer("esr_validate", *self._instance.send(data, "esr_validate")),
            self.module.limits,
        )

    def _init(self) -> None:
        if not self._initialized:
            decode_status(self._instance.call_buffer("esr_init"), "esr_init", self.module.limits)
            self._initialized = True

    def snapshot_state(self) -> StateSnapshot | None:
        """The guest's memory and mutable globals after ``apply_all`` (None when the module's
        globals cannot all be read, or the instance faulted)."""
        names = self.module.state_globals
        if names is None or self._instance.dead or not self._initialized:
            return None
        state = self._instance.snapshot(names)
        return StateSnapshot(state, len(state.memory) + 64 * len(state.globals))

    def restore_state(self, snapshot: StateSnapshot) -> bool:
        """Start this command from ``snapshot`` instead of ``esr_init`` and the full replay.

        ``validate`` has run on this instance; what it left in memory is overwritten. When the
        instance's memory has grown past the snapshot's, a fresh instance takes its place.
        """
        names = self.module.state_globals
        state = snapshot.data
        if names is None or not isinstance(state, GuestState):
            return False
        larger = self.module.pooled
        if not self._instance.restore(state, names, larger=larger):
            self._instance = self.module.instance()
            if not self._instance.restore(state, names, larger=larger):
                self._instance = self.module.instance()
                return False
        self._initialized = True
        return True

    def apply_all(self, events: Sequence[SequencedEvent]) -> None:
        self._init()
        for batch in encode_frames(events, self.module.limits.batch):
            args = self._instance.send(batch, "esr_apply")
            raw = self._instance.call_buffer("esr_apply", *args)
            decode_status(raw, "esr_apply", self.module.limits)

    def handle(self, command: dict[str, Any]) -> Decision:
        data = self._input(command)
        if isinstance(data, Rejection):
            return data
        self._init()
        raw = self._instance.call_buffer("esr_handle", *self._instance.send(data, "esr_handle"))
        if raw is None:
            raise HandlerFault(ABI_VIOLATION, "esr_handle returned nothing (0)")
        return decode_decision(raw, self.module.limits)


def load_wasm_handler(
    wasm: bytes,
    *,
    limits: WasmLimits | None = None,
    pooled: bool = False,
    raw_calls: bool | None = None,
) -> tuple[HandlerManifest, Callable[[], WasmHandler]]:
    """``(manifest, factory)`` for ``executor.register_factory`` from module bytes."""
    module = WasmModule.load(wasm, limits=limits, pooled=pooled, raw_calls=raw_calls)
    return module.manifest, module.handler
