"""Time, memory, output and stack limits end runs cleanly, also while other runs go on."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from esruntime.scripts.runner import RunLimits
from tests.scripts.engines.conftest import Js, RecordingHost

SHORT = RunLimits(timeout_ms=300)


def test_an_infinite_loop_times_out(sandboxed: Js) -> None:
    result = sandboxed.run("let i = 0;\nfor (;;) { i++ }", limits=SHORT)
    assert result.status == "timeout"
    assert result.error is not None
    assert result.error.name == "TimeoutError"
    assert result.error.message == "Script exceeded its time limit of 300 ms"
    assert result.duration_ms >= 300
    assert result.output is None


def test_a_loop_after_an_await_times_out(sandboxed: Js) -> None:
    result = sandboxed.run("await sdk.cache.get('k');\nwhile (true) {}", limits=SHORT)
    assert result.status == "timeout"
    assert sandboxed.host.names() == ["cache.get"]


def test_an_sdk_call_outliving_the_deadline_times_out(sandboxed: Js) -> None:
    result = sandboxed.run("await sdk.http.get('sleep', 2000)", limits=SHORT)
    assert result.status == "timeout"


def test_an_endless_chain_of_microtasks_times_out(sandboxed: Js) -> None:
    result = sandboxed.run("for (;;) await null", limits=SHORT)
    assert result.status == "timeout"


def test_a_runner_keeps_working_after_a_timeout(sandboxed: Js) -> None:
    assert sandboxed.run("for (;;) {}", limits=SHORT).status == "timeout"
    assert sandboxed.output("return await sdk.cache.get('after')") == {
        "name": "cache.get",
        "args": ["after"],
    }


def test_a_large_allocation_fails_at_the_memory_limit(sandboxed: Js) -> None:
    for source in (
        "const b = new ArrayBuffer(200 * 1024 * 1024); return b.byteLength",
        "const a = new Array(50 * 1024 * 1024).fill(1.5); return a.length",
        "let s = 'x'; for (let i = 0; i < 40; i++) s = s + s; return s.length",
    ):
        result = sandboxed.run(source, limits=RunLimits(timeout_ms=120_000))
        assert result.status == "failed", source
        assert result.error is not None
        # V8 cannot always survive a failed allocation: its worker dies and is replaced
        allowed = {"MemoryLimitError", "RangeError", "InternalError"}
        if sandboxed.engine == "pool-v8":
            allowed.add("EngineError")
        assert result.error.name in allowed, result.error
        if result.error.name == "MemoryLimitError":
            assert result.error.message == (
                "Script exceeded its memory limit of 64 MiB (67108864 bytes)"
            )


def test_the_memory_limit_is_exact_on_quickjs() -> None:
    js = Js("quickjs")
    try:
        fits = js.run("return new ArrayBuffer(20 * 1024 * 1024).byteLength")
        assert fits.output == 20 * 1024 * 1024
        small = RunLimits(memory_bytes=16 * 2**20)
        result = js.run("return new ArrayBuffer(20 * 1024 * 1024).byteLength", limits=small)
        assert result.status == "failed"
        assert result.error is not None
        assert result.error.name == "MemoryLimitError"
        assert result.error.message == "Script exceeded its memory limit of 16 MiB (16777216 bytes)"
        assert result.error.line == 1
        assert result.memory_bytes is not None
        assert result.memory_bytes < 16 * 2**20
    finally:
        js.close()


def test_an_out_of_memory_error_can_be_caught_and_the_script_goes_on(sandboxed: Js) -> None:
    source = "try { new ArrayBuffer(500 * 1024 * 1024) } catch (e) { return 'caught' }"
    assert sandboxed.output(source) == "caught"


def test_output_over_the_limit_fails(js: Js) -> None:
    limits = RunLimits(output_bytes=1000)
    result = js.run("return 'x'.repeat(2000)", limits=limits)
    assert result.status == "failed"
    assert result.error is not None
    assert result.error.name == "OutputLimitError"
    assert result.error.message.startswith("Script output exceeds the limit of 1000 bytes of JSON")
    assert js.output("return 'x'.repeat(990)", limits=limits) == "x" * 990


def test_output_size_counts_utf8_bytes(js: Js) -> None:
    limits = RunLimits(output_bytes=1000)
    result = js.run("return '☃'.repeat(400)", limits=limits)
    assert result.error is not None
    assert result.error.message == (
        "Script output exceeds the limit of 1000 bytes of JSON (1202 bytes)"
    )


def test_deep_recursion_fails_cleanly(js: Js) -> None:
    result = js.run("function down(n) { return down(n + 1) + 1 }\nreturn down(0)")
    assert result.status == "failed"
    assert result.error is not None
    assert result.error.name in ("RangeError", "InternalError")
    assert "stack" in result.error.message
    assert result.error.line == 1


def test_reasonable_recursion_works(js: Js) -> None:
    assert (
        js.output("function depth(n) { return n === 0 ? 0 : 1 + depth(n - 1) }\nreturn depth(500)")
        == 500
    )


def test_output_nested_too_deeply_fails_cleanly(js: Js) -> None:
    source = "let v = 1; for (let i = 0; i < 3000; i++) v = [v]; return v"
    result = js.run(source)
    assert result.status == "failed"
    assert result.error is not None


def test_an_infinite_loop_does_not_hold_up_other_runs(sandboxed: Js) -> None:
    hosts = [RecordingHost() for _ in range(6)]
    # Long enough that six short runs end first even on a busy machine: they must not wait for it.
    long = RunLimits(timeout_ms=6_000)

    def normal(host: RecordingHost) -> object:
        result = sandboxed.runner.run(
            "return (await sdk.cache.get('k')).args[0]",
            context={},
            host=host,
            limits=RunLimits(timeout_ms=60_000),
        )
        return result.output

    with ThreadPoolExecutor(4) as pool:
        looping = pool.submit(
            sandboxed.runner.run, "for (;;) {}", context={}, host=RecordingHost(), limits=long
        )
        outputs = list(pool.map(normal, hosts))
        assert not looping.done()
        assert looping.result().status == "timeout"
    assert outputs == ["k"] * 6


def test_concurrent_limits_each_end_their_own_run(sandboxed: Js) -> None:
    sources = {
        "loop": ("for (;;) {}", "timeout"),
        "memory": ("let s = 'x'; for (;;) s = s + s", "failed"),
        "fine": ("return 1", "completed"),
        "recursion": ("function f() { return f() } return f()", "failed"),
        "stall": ("await new Promise(() => {})", "failed"),
        "output": ("return 'x'.repeat(2 * 1024 * 1024)", "failed"),
    }

    def run(source: str) -> str:
        # Each failure other than the loop's comes long before this, however busy the machine.
        limits = RunLimits(timeout_ms=5_000)
        result = sandboxed.runner.run(source, context={}, host=RecordingHost(), limits=limits)
        return result.status

    with ThreadPoolExecutor(len(sources)) as pool:
        statuses = dict(zip(sources, pool.map(run, [s for s, _ in sources.values()]), strict=True))
    assert statuses == {name: status for name, (_, status) in sources.items()}


def test_logging_200000_lines_completes_and_reports_the_dropped_lines(js: Js) -> None:
    """Lines past the log limit stay in the engine, counted: logging never fails a script."""
    source = "for (let i = 0; i < 200000; i++) sdk.log.info('line ' + i);\nreturn 'done'"
    result = js.run(source, limits=RunLimits(timeout_ms=120_000, log_lines=1000))

    assert result.status == "completed", result.error
    assert result.output == "done"
    assert js.host.calls[:2] == [("log.info", ["line 0"]), ("log.info", ["line 1"])]
    assert js.host.calls[999] == ("log.info", ["line 999"])
    assert js.host.calls[1000:] == [("log.dropped", [199_000])]


@pytest.mark.parametrize("engine", ["quickjs", "pool-quickjs"])
def test_log_lines_never_count_against_the_queued_calls_bound(engine: str) -> None:
    """More lines than SDK calls may be queued, then a call: the call still runs. (The prelude
    is the same on every engine; two suffice for a flood this size.)"""
    js = Js(engine)
    source = """
    for (let i = 0; i < 100005; i++) sdk.log.debug('line ' + i);
    const late = await sdk.cache.get('after the flood');
    sdk.log.info('after');
    return late.name"""
    try:
        result = js.run(source, limits=RunLimits(timeout_ms=120_000, log_lines=100_003))
    finally:
        js.close()

    assert result.status == "completed", result.error
    assert result.output == "cache.get"
    assert js.host.names().count("log.debug") == 100_003
    assert js.host.calls[100_003:] == [
        ("log.dropped", [2]),
        ("cache.get", ["after the flood"]),
        ("log.dropped", [1]),
    ]


def test_a_log_limit_of_zero_sends_no_line(js: Js) -> None:
    source = "sdk.log.info('one'); await sdk.cache.get('k'); sdk.log.warn('two'); return 1"
    result = js.run(source, limits=RunLimits(timeout_ms=60_000, log_lines=0))

    assert result.status == "completed", result.error
    assert js.host.calls == [
        ("log.dropped", [1]),
        ("cache.get", ["k"]),
        ("log.dropped", [1]),
    ]
