"""Hostile scripts: each ends in a clean result, reaches nothing but the SDK, leaves nothing
behind for the next run, and the host process carries on."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from esruntime.scripts.runner import RunLimits
from tests.scripts.engines.conftest import Js

HOSTILE = ["quickjs", "v8", "pool-quickjs", "pool-v8", "pool-dukpy"]
SHORT = RunLimits(timeout_ms=300)
AMPLE_TIME = RunLimits(timeout_ms=120_000)
"""For runs that must meet another limit first, even on a busy machine."""

_LANGUAGE = """
    AggregateError Array ArrayBuffer AsyncDisposableStack Atomics BigInt BigInt64Array
    BigUint64Array Boolean DataView Date DisposableStack Error EvalError FinalizationRegistry
    Float16Array Float32Array Float64Array Function Infinity Int16Array Int32Array Int8Array
    Iterator JSON Map Math NaN Number Object Promise Proxy RangeError ReferenceError Reflect
    RegExp Set SharedArrayBuffer String SuppressedError Symbol SyntaxError TypeError URIError
    Uint16Array Uint32Array Uint8Array Uint8ClampedArray WeakMap WeakRef WeakSet decodeURI
    decodeURIComponent encodeURI encodeURIComponent escape eval globalThis isFinite isNaN
    parseFloat parseInt unescape
"""
_ENGINE_EXTRAS = "DOMException InternalError atob btoa performance queueMicrotask Intl Temporal"
STANDARD_GLOBALS = frozenset(_LANGUAGE.split()) | frozenset(_ENGINE_EXTRAS.split())
"""The language's globals, and engine extras that reach nothing outside the engine."""


@pytest.fixture(params=HOSTILE)
def hostile(request: pytest.FixtureRequest) -> Iterator[Js]:
    engine = Js(str(request.param))
    yield engine
    engine.close()


def failed(js: Js, source: str, limits: RunLimits | None = None) -> str:
    result = js.run(source, limits=limits)
    assert result.status in ("failed", "timeout"), result
    assert result.error is not None
    assert result.output is None
    return result.status


def test_an_infinite_loop_inside_a_promise_executor(hostile: Js) -> None:
    assert failed(hostile, "await new Promise(() => { while (true) {} })", SHORT) == "timeout"


def test_an_infinite_loop_inside_a_reaction(hostile: Js) -> None:
    source = "Promise.resolve().then(() => { while (true) {} });\nawait sdk.cache.get('k')"
    assert failed(hostile, source, SHORT) == "timeout"


def test_an_infinite_loop_in_a_getter_of_the_thrown_value(hostile: Js) -> None:
    assert failed(hostile, "throw { get message() { for (;;) {} } }", SHORT) == "timeout"


def test_an_infinite_loop_in_to_json_of_an_sdk_argument(hostile: Js) -> None:
    source = "await sdk.http.post('u', { toJSON() { for (;;) {} } })"
    assert failed(hostile, source, SHORT) == "timeout"
    assert hostile.host.calls == []


def test_catastrophic_regex_backtracking(hostile: Js) -> None:
    source = "return /^(a+)+$/.test('a'.repeat(40) + 'b')"
    assert failed(hostile, source, SHORT) == "timeout"


def test_catching_the_timeout_does_not_help(hostile: Js) -> None:
    source = "for (;;) { try { for (;;) {} } catch (e) {} }"
    assert failed(hostile, source, SHORT) == "timeout"


def test_a_memory_bomb_by_string_doubling(hostile: Js) -> None:
    assert failed(hostile, "let s = 'ab'; for (;;) s = s + s") == "failed"


def test_a_memory_bomb_by_growing_arrays(hostile: Js) -> None:
    source = "const keep = []; for (;;) keep.push(new Array(100000).fill({n: 1}))"
    assert failed(hostile, source) == "failed"


def test_a_memory_bomb_by_array_buffers(hostile: Js) -> None:
    if hostile.engine == "v8":
        pytest.skip("V8's heap limit does not count ArrayBuffers: run V8 in the pool")
    source = "const keep = []; for (;;) keep.push(new Uint8Array(16 * 1024 * 1024).fill(1))"
    assert failed(hostile, source) == "failed"


def test_a_memory_bomb_in_the_output(hostile: Js) -> None:
    source = "const row = {text: 'x'.repeat(1000)}; return new Array(1_000_000).fill(row)"
    assert failed(hostile, source, AMPLE_TIME) == "failed"


def test_deep_recursion_through_getters(hostile: Js) -> None:
    source = "const o = {}; Object.defineProperty(o, 'x', {get() { return this.x }}); return o.x"
    assert failed(hostile, source, AMPLE_TIME) == "failed"


def test_a_flood_of_log_calls_reaches_the_host_up_to_the_log_limit(hostile: Js) -> None:
    source = "for (let i = 0; i < 20000; i++) sdk.log.info('line ' + i);\nreturn 'done'"
    assert hostile.output(source) == "done"
    assert len(hostile.host.calls) == 1001
    assert hostile.host.calls[999] == ("log.info", ["line 999"])
    assert hostile.host.calls[-1] == ("log.dropped", [19000])


def test_an_endless_flood_of_log_calls_is_an_endless_loop(hostile: Js) -> None:
    """Logging never fails a script: a loop that only logs runs until its deadline."""
    source = "for (;;) sdk.log.info('again and again')"
    result = hostile.run(source, limits=RunLimits(timeout_ms=2_000))
    assert result.status == "timeout"


def test_the_function_constructor_reaches_only_the_same_global(hostile: Js) -> None:
    source = """
    const g = (() => {}).constructor('return this')();
    const g2 = sdk.http.get.constructor('return globalThis')();
    return [g === globalThis, g2 === globalThis, typeof g.require, typeof g.process,
            typeof g.std, typeof g.os, typeof g.print]"""
    assert hostile.output(source) == [
        True,
        True,
        "undefined",
        "undefined",
        "undefined",
        "undefined",
        "undefined",
    ]


def test_sdk_functions_do_not_expose_their_callers(hostile: Js) -> None:
    source = """
    const probes = [() => sdk.http.get.caller, () => sdk.http.get.arguments,
                    () => sdk.db.transaction.caller];
    return probes.map(p => { try { return p() === null ? 'null' : typeof p() } catch (e) {
      return e.name } })"""
    assert set(hostile.output(source)) <= {"TypeError", "null", "undefined"}


def test_the_global_object_holds_nothing_but_the_language_and_the_sdk(hostile: Js) -> None:
    source = (
        "return Object.getOwnPropertyNames(globalThis).filter(n => globalThis[n] !== undefined)"
    )
    names = set(hostile.output(source))
    assert {"context", "sdk", "events"} <= names
    leftover = names - STANDARD_GLOBALS - {"context", "sdk", "events"}
    if hostile.engine == "pool-dukpy":
        leftover -= {"call_python", "dukpy"}  # dukpy recreates them; see the next test
    assert leftover == set()


def test_dukpy_call_python_reaches_no_python_function() -> None:
    js = Js("pool-dukpy")
    probe = "try { return call_python('dukpy.load_module', 'fs') } catch (e) { return e.message }"
    assert js.output(probe) == "call_python is not defined"
    # dukpy defines it again for every evaluation: after an SDK call settles, it is back
    again = f"await sdk.cache.get('k');\n{probe}"
    assert js.output(again) == "No Python Function named dukpy.load_module"


def test_modules_and_host_apis_are_unavailable(hostile: Js) -> None:
    source = """
    const out = {};
    for (const name of ['require', 'module', 'process', 'std', 'os', 'fetch', 'XMLHttpRequest',
                        'setTimeout', 'setInterval', 'WebAssembly', 'Deno', 'Bun', 'print',
                        'console', '__esruntime_start', 'scriptArgs', 'bjson']) {
      out[name] = typeof globalThis[name];
    }
    try { await import('os'); out.import = 'loaded' } catch (e) { out.import = 'refused' }
    try { await import('./secrets.js'); out.file = 'loaded' } catch (e) { out.file = 'refused' }
    return out"""
    output = hostile.output(source)
    assert output.pop("import") == "refused"
    assert output.pop("file") == "refused"
    assert set(output.values()) == {"undefined"}


def test_blocking_the_thread_with_atomics_is_refused(hostile: Js) -> None:
    source = "Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 60000); return 'woke'"
    result = hostile.run(source, limits=RunLimits(timeout_ms=2_000))
    assert result.status in ("failed", "timeout")


def test_prototype_pollution_does_not_reach_the_next_run(hostile: Js) -> None:
    polluting = """
    Object.prototype.polluted = 'yes';
    Array.prototype.push = function () { return 'hijacked' };
    JSON.parse = () => 'hijacked';
    Promise.prototype.then = function () { return 'hijacked' };
    globalThis.leftover = 1;
    try { Object.getPrototypeOf(sdk).stolen = () => 'x' } catch (e) {}
    try { Object.getPrototypeOf(sdk.http.get).call = () => 'x' } catch (e) {}
    return 'polluted'"""
    assert hostile.output(polluting) == "polluted"
    checking = """
    const a = []; a.push(1);
    return [({}).polluted, a.length, JSON.parse('[1]'), typeof leftover,
            typeof (await Promise.resolve(1)), sdk.stolen]"""
    assert hostile.output(checking) == [None, 1, [1], "undefined", "number", None]


def test_polluting_intrinsics_does_not_break_the_bridge_within_the_run(hostile: Js) -> None:
    source = """
    JSON.stringify = () => 'forged'; JSON.parse = () => 'forged';
    Map.prototype.get = () => undefined; Map.prototype.set = () => {};
    Array.prototype.join = () => 'forged';
    return (await sdk.cache.get('still works')).args"""
    assert hostile.output(source) == ["still works"]
    assert hostile.host.calls == [("cache.get", ["still works"])]


def test_sabotaging_array_indices_only_breaks_the_scripts_own_run(hostile: Js) -> None:
    source = """
    Object.defineProperty(Array.prototype, '0', {set(v) {}, get() { return undefined }});
    await sdk.cache.get('lost')"""
    result = hostile.run(source)
    assert result.status in ("failed", "completed")
    assert hostile.output("return (await sdk.cache.get('next')).args") == ["next"]


def test_one_runner_survives_the_whole_corpus_in_a_row(hostile: Js) -> None:
    corpus = [
        "for (;;) {}",
        "let s = 'ab'; for (;;) s = s + s",
        "function f() { return f() } return f()",
        "return 'x'.repeat(3 * 1024 * 1024)",
        "await new Promise(() => {})",
        "throw { get message() { for (;;) {} } }",
        "})(); (function() {",
    ]
    statuses = [hostile.run(source, limits=SHORT).status for source in corpus]
    assert set(statuses) <= {"failed", "timeout"}
    assert hostile.output("return (await sdk.cache.get('after')).args") == ["after"]
