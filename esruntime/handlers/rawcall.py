"""Guest calls through wasmtime's C API directly, for the hot path of a command.

wasmtime-py's public ``Func.__call__`` looks up the function's type, converts every argument
to a ``Val`` and back, and allocates on each call: about 15-25 µs, several times the call
itself. The ABI fixes every export's signature, and :mod:`esruntime.handlers.wasm` checks them
when a module is loaded, so a call can skip all of that: one preallocated
``wasmtime_val_raw_t`` array per function, ``wasmtime_func_call_unchecked``, and the result
read back from the same array. An instance's exports are looked up by name, and memory is
copied with ``ctypes.memmove`` at its current base.

These C functions, the handles and the store's context belong to wasmtime-py's private
``_ffi`` module and attributes; when a wasmtime release moves them, :data:`AVAILABLE` is False
and the host uses the public API (both paths run the same tests).
"""

from __future__ import annotations

import ctypes
import functools
from collections.abc import Iterable
from typing import Any

import wasmtime

__all__ = ["AVAILABLE", "RawFunction", "RawGlobals", "RawMemory", "raw_exports"]

try:
    from wasmtime import _ffi

    _CALL = _ffi.wasmtime_func_call_unchecked
    _RAW_VALUE = _ffi.wasmtime_val_raw_t
    _TRAP_POINTER = ctypes.POINTER(_ffi.wasm_trap_t)
    _TRAP_FROM_POINTER = wasmtime.Trap._from_ptr
    _ERROR_FROM_POINTER = wasmtime.WasmtimeError._from_ptr
    _EXPORT_GET = _ffi.wasmtime_instance_export_get
    _EXTERN: Any = _ffi.wasmtime_extern_t
    _FUNC_KIND = _ffi.WASMTIME_EXTERN_FUNC.value
    _MEMORY_KIND = _ffi.WASMTIME_EXTERN_MEMORY.value
    _MEMORY_DATA = _ffi.wasmtime_memory_data
    _MEMORY_SIZE = _ffi.wasmtime_memory_data_size
    _MEMORY_GROW = _ffi.wasmtime_memory_grow
    _GLOBAL_KIND = _ffi.WASMTIME_EXTERN_GLOBAL.value
    _GLOBAL_GET = _ffi.wasmtime_global_get
    _GLOBAL_SET = _ffi.wasmtime_global_set
    _VALUE: Any = _ffi.wasmtime_val_t
    AVAILABLE = True
except (ImportError, AttributeError):  # pragma: no cover - depends on the wasmtime release
    AVAILABLE = False


def _context(store: wasmtime.Store) -> Any:
    return store._context()


def raw_exports(
    store: wasmtime.Store, instance: wasmtime.Instance, functions: Iterable[str]
) -> tuple[Any, dict[str, Any]]:
    """The instance's ``memory`` and the named functions it exports, as C API handles.

    Looks up only these names (the public ``Instance.exports`` wraps every export).
    """
    context = _context(store)
    handle = ctypes.byref(instance._instance)
    found: dict[str, Any] = {}
    memory = None
    for name in ("memory", *functions):
        encoded = _encoded(name)
        extern = _EXTERN()
        if _EXPORT_GET(context, handle, encoded, len(encoded), ctypes.byref(extern)):
            if extern.kind == _MEMORY_KIND and name == "memory":
                memory = extern.of.memory
            elif extern.kind == _FUNC_KIND and name != "memory":
                found[name] = extern.of.func
    return memory, found


@functools.cache
def _encoded(name: str) -> bytes:
    return name.encode()


class RawFunction:
    """One exported function of one instance, called with i32 arguments.

    Only for functions whose signature was checked against the ABI: the call is unchecked, so
    a wrong argument count or type would be undefined behaviour rather than an error.
    """

    __slots__ = ("_args", "_context", "_func", "_result", "_size", "_store", "_values")

    def __init__(self, store: wasmtime.Store, func: Any, params: int, result: str | None) -> None:
        self._store = store  # the context below lives as long as the store
        self._context = _context(store)
        self._func = ctypes.byref(func)
        self._size = max(params, 1)
        self._values = (_RAW_VALUE * self._size)()
        self._args = params
        self._result = result

    def __call__(self, *args: int) -> int | None:
        values = self._values
        for index, value in enumerate(args):
            values[index].i32 = value
        trap = _TRAP_POINTER()
        error = _CALL(self._context, self._func, values, self._size, ctypes.byref(trap))
        if error:
            raise _ERROR_FROM_POINTER(error)
        if trap:
            raise _TRAP_FROM_POINTER(trap)
        if self._result == "i64":
            return int(values[0].i64)
        if self._result == "i32":
            return int(values[0].i32)
        return None


class RawMemory:
    """Copies in and out of a guest memory at its current base (re-read on every access)."""

    __slots__ = ("_context", "_memory", "_store")

    def __init__(self, store: wasmtime.Store, memory: Any) -> None:
        self._store = store
        self._context = _context(store)
        self._memory = ctypes.byref(memory)

    def size(self) -> int:
        return int(_MEMORY_SIZE(self._context, self._memory))

    def _base(self) -> int:
        address = ctypes.cast(_MEMORY_DATA(self._context, self._memory), ctypes.c_void_p).value
        assert address is not None
        return address

    def write(self, data: bytes, offset: int) -> None:
        """Copy ``data`` to ``offset``; the caller has checked the bounds."""
        ctypes.memmove(self._base() + offset, data, len(data))

    def read(self, offset: int, length: int) -> bytes:
        """``length`` bytes from ``offset``; the caller has checked the bounds."""
        return ctypes.string_at(self._base() + offset, length)

    def clear(self, offset: int, length: int) -> None:
        """Zero ``length`` bytes from ``offset``; the caller has checked the bounds."""
        ctypes.memset(self._base() + offset, 0, length)

    def grow(self, pages: int) -> None:
        """Grow by ``pages`` pages of 64 KiB (WasmtimeError past the store's limit)."""
        previous = ctypes.c_uint64(0)
        error = _MEMORY_GROW(self._context, self._memory, pages, ctypes.byref(previous))
        if error:
            raise _ERROR_FROM_POINTER(error)


class RawGlobals:
    """Exported globals of one instance, read and written as the C API's tagged values (their
    bytes), so that every number type round-trips exactly. KeyError when one is missing."""

    __slots__ = ("_context", "_globals", "_store")

    def __init__(
        self, store: wasmtime.Store, instance: wasmtime.Instance, names: Iterable[str]
    ) -> None:
        self._store = store
        self._context = _context(store)
        handle = ctypes.byref(instance._instance)
        self._globals = []
        for name in names:
            encoded = _encoded(name)
            extern = _EXTERN()
            found = _EXPORT_GET(self._context, handle, encoded, len(encoded), ctypes.byref(extern))
            if not found or extern.kind != _GLOBAL_KIND:
                raise KeyError(name)
            self._globals.append(extern.of.global_)

    def get(self) -> tuple[bytes, ...]:
        values = []
        for handle in self._globals:
            value = _VALUE()
            _GLOBAL_GET(self._context, ctypes.byref(handle), ctypes.byref(value))
            values.append(bytes(value))
        return tuple(values)

    def set(self, values: Iterable[object]) -> None:
        for handle, data in zip(self._globals, values, strict=True):
            value = _VALUE.from_buffer_copy(data)  # bytes from get
            error = _GLOBAL_SET(self._context, ctypes.byref(handle), ctypes.byref(value))
            if error:
                raise _ERROR_FROM_POINTER(error)
