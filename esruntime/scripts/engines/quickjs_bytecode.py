"""The prelude as bytecode: compiled once per process, loaded into every fresh quickjs-ng context.

Compiling the prelude costs more than everything else in a small run (quickjs-ng compiles
about 30 ns per byte of code); reading its bytecode costs a fifth of that. The Python binding
has no bytecode API, so this goes through the engine's exported C API (``JS_WriteObject``,
``JS_ReadObject``, ``JS_EvalFunction``) with ctypes, on the ``JSContext`` the binding keeps in
its context object. Only bytecode compiled in this process from the packaged prelude is ever
read: bytecode is never loaded from storage.

The binding's layout and the round trip are checked once; when anything differs,
:func:`load_prelude` answers ``None`` and the caller compiles the prelude from source.
"""

from __future__ import annotations

import ctypes
import logging
import threading
from typing import Any

import quickjs

__all__ = ["PUBLISHED_AS", "load_prelude"]

logger = logging.getLogger("esruntime.scripts.engines")

_GLOBAL = "__esruntime_start"
_EVAL_COMPILE_ONLY = 1 << 5
_OBJ_BYTECODE = 1 << 0
_TAG_EXCEPTION = 6
_CONTEXT_OFFSET = 3 * ctypes.sizeof(ctypes.c_void_p)  # after PyObject_HEAD and JSRuntime*


class _JSValue(ctypes.Structure):
    # quickjs-ng's JSValue on 64-bit targets without NaN boxing: a union and a tag.
    _fields_ = (("u", ctypes.c_int64), ("tag", ctypes.c_int64))


class _Loader:
    def __init__(self, source: str) -> None:
        lib = ctypes.CDLL(quickjs._quickjs.__file__)
        self._lib = lib
        voidp, value = ctypes.c_void_p, _JSValue
        lib.JS_Eval.restype = value
        lib.JS_Eval.argtypes = (
            voidp,
            ctypes.c_char_p,
            ctypes.c_size_t,
            ctypes.c_char_p,
            ctypes.c_int,
        )
        lib.JS_WriteObject.restype = ctypes.POINTER(ctypes.c_uint8)
        lib.JS_WriteObject.argtypes = (voidp, ctypes.POINTER(ctypes.c_size_t), value, ctypes.c_int)
        lib.JS_ReadObject.restype = value
        lib.JS_ReadObject.argtypes = (voidp, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_int)
        lib.JS_EvalFunction.restype = value
        lib.JS_EvalFunction.argtypes = (voidp, value)
        lib.JS_FreeValue.restype = None
        lib.JS_FreeValue.argtypes = (voidp, value)
        lib.JS_GetException.restype = value
        lib.JS_GetException.argtypes = (voidp,)
        lib.JS_GetRuntime.restype = voidp
        lib.JS_GetRuntime.argtypes = (voidp,)
        lib.js_free.restype = None
        lib.js_free.argtypes = (voidp, voidp)

        template = quickjs.Context()
        context = self._pointer(template)
        code = f"globalThis.{_GLOBAL} = {source}".encode()
        function = lib.JS_Eval(context, code, len(code), b"<prelude>", _EVAL_COMPILE_ONLY)
        if function.tag == _TAG_EXCEPTION:
            self._clear(context)
            raise ValueError("the prelude does not compile")
        size = ctypes.c_size_t()
        buffer = lib.JS_WriteObject(context, ctypes.byref(size), function, _OBJ_BYTECODE)
        lib.JS_FreeValue(context, function)
        if not buffer:
            self._clear(context)
            raise ValueError("the prelude's bytecode cannot be written")
        self._bytecode = ctypes.string_at(buffer, size.value)
        lib.js_free(context, ctypes.cast(buffer, voidp))

    def _pointer(self, context: quickjs.Context) -> int:
        runtime = ctypes.c_void_p.from_address(id(context) + 2 * ctypes.sizeof(ctypes.c_void_p))
        pointer = ctypes.c_void_p.from_address(id(context) + _CONTEXT_OFFSET).value
        if not pointer or self._lib.JS_GetRuntime(pointer) != runtime.value:
            raise ValueError("unrecognised quickjs binding layout")
        return pointer

    def _clear(self, context: int) -> None:
        self._lib.JS_FreeValue(context, self._lib.JS_GetException(context))

    def load(self, context: quickjs.Context) -> Any:
        pointer = self._pointer(context)
        lib = self._lib
        function = lib.JS_ReadObject(pointer, self._bytecode, len(self._bytecode), _OBJ_BYTECODE)
        if function.tag == _TAG_EXCEPTION:
            self._clear(pointer)
            return None
        result = lib.JS_EvalFunction(pointer, function)
        if result.tag == _TAG_EXCEPTION:
            self._clear(pointer)
            return None
        lib.JS_FreeValue(pointer, result)
        return context.get(_GLOBAL)


_lock = threading.Lock()
_loader: _Loader | None = None
_failed = False


def load_prelude(context: quickjs.Context, source: str) -> Any:
    """The prelude's ``start`` function in ``context``, read from bytecode; ``None`` when the
    bytecode path is unavailable (the caller then evaluates ``source``). ``start`` removes the
    global it is published under when the payload lists it in ``remove``."""
    global _loader, _failed
    if _loader is None:
        with _lock:
            if _loader is None and not _failed:
                try:
                    loader = _Loader(source)
                    probe = quickjs.Context()
                    start = loader.load(probe)
                    if start is None or probe.eval(f"typeof {_GLOBAL}") != "function":
                        raise ValueError("the prelude's bytecode does not load")
                    _loader = loader
                except (OSError, AttributeError, ValueError) as error:
                    _failed = True
                    logger.warning("script prelude compiled per run (no bytecode: %s)", error)
    if _loader is None:
        return None
    return _loader.load(context)


PUBLISHED_AS = _GLOBAL
