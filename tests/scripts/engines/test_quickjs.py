"""quickjs-ng specifics: wall-clock deadlines that CPU used by other runs cannot shorten, the
fallbacks when the binding is not the one the engine was checked against, closing mid-run."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from esruntime.scripts.engines import QuickJsRunner, interrupt, quickjs_bytecode, quickjs_engine
from esruntime.scripts.runner import RunLimits, RunResult
from tests.scripts.engines.conftest import RecordingHost


def run(runner: QuickJsRunner, source: str, timeout_ms: int = 5_000) -> RunResult:
    limits = RunLimits(timeout_ms=timeout_ms)
    return runner.run(source, context={}, host=RecordingHost(), limits=limits)


def test_the_installed_binding_passes_the_layout_check() -> None:
    assert interrupt.INTERRUPT is not None


def test_cpu_burnt_by_other_runs_does_not_shorten_a_deadline() -> None:
    # Two loops keep both CPUs busy: the process's CPU clock runs about twice as fast as the
    # wall clock, so a limit on it would stop the busy-waiting script long before 1.5 s.
    busy_wait = "const start = Date.now(); while (Date.now() - start < 800) {}\nreturn 'done'"
    with QuickJsRunner() as runner, ThreadPoolExecutor(3) as pool:
        loops = [pool.submit(run, runner, "for (;;) {}", 1_500) for _ in range(2)]
        waiting = pool.submit(run, runner, busy_wait, 1_500)
        assert waiting.result().output == "done"
        assert [loop.result().status for loop in loops] == ["timeout", "timeout"]


def test_a_deadline_is_never_cut_short() -> None:
    with QuickJsRunner() as runner, ThreadPoolExecutor(2) as pool:
        short = pool.submit(run, runner, "for (;;) {}", 200)
        long = pool.submit(run, runner, "for (;;) {}", 1_000)
        assert short.result().status == "timeout"
        assert long.result().status == "timeout"
        assert long.result().duration_ms >= 1_000


def test_without_the_interrupt_the_cpu_limit_still_stops_a_loop(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(interrupt, "INTERRUPT", None)
    monkeypatch.setattr(quickjs_engine, "INTERRUPT", None)
    with QuickJsRunner() as runner:
        result = run(runner, "for (;;) {}", 300)
        assert result.status == "timeout"
        assert run(runner, "return 1").output == 1


def test_without_bytecode_the_prelude_is_compiled_per_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(quickjs_engine, "load_prelude", lambda context, source: None)
    with QuickJsRunner() as runner:
        assert run(runner, "return typeof __esruntime_start").output == "undefined"
        assert run(runner, "return (await sdk.cache.get('k')).args").output == ["k"]


def test_the_bytecode_publishes_start_only_until_the_script_runs() -> None:
    with QuickJsRunner() as runner:
        source = "return [typeof __esruntime_start, 'start' in globalThis]"
        assert run(runner, source).output == ["undefined", False]
    assert quickjs_bytecode.PUBLISHED_AS == "__esruntime_start"


def test_closing_the_runner_interrupts_runs_in_flight() -> None:
    runner = QuickJsRunner()
    results: list[Any] = []
    started = threading.Event()

    class Host(RecordingHost):
        def call(self, name: str, args: list[Any]) -> Any:
            started.set()
            return super().call(name, args)

    def loop() -> None:
        limits = RunLimits(timeout_ms=60_000)
        source = "await sdk.cache.get('k');\nfor (;;) {}"
        results.append(runner.run(source, context={}, host=Host(), limits=limits))

    thread = threading.Thread(target=loop)
    thread.start()
    try:
        assert started.wait(120)
    finally:
        runner.close()
        thread.join(120)
    [result] = results
    assert result.status == "timeout"
    assert result.duration_ms < 60_000


def test_runs_in_many_threads_share_one_runner() -> None:
    with QuickJsRunner() as runner, ThreadPoolExecutor(8) as pool:
        sources = [f"return (await sdk.cache.get({n})).args[0] * 2" for n in range(200)]
        outputs = [result.output for result in pool.map(lambda s: run(runner, s), sources)]
    assert outputs == [2 * n for n in range(200)]


def test_quick_calls_run_on_the_running_thread_and_network_calls_on_the_pool() -> None:
    threads: dict[str, str] = {}

    class Host(RecordingHost):
        def call(self, name: str, args: list[Any]) -> Any:
            threads[name] = threading.current_thread().name
            return super().call(name, args)

    source = """
    await Promise.all([sdk.cache.get('a'), events.publish('order.updated', {}),
                       sdk.http.get('u'), sdk.db.query('select 1', [])]);
    sdk.log.info('done')"""
    with QuickJsRunner() as runner:
        result = runner.run(source, context={}, host=Host(), limits=RunLimits())
    assert result.status == "completed"
    here = threading.current_thread().name
    assert {name: thread == here for name, thread in threads.items()} == {
        "cache.get": True,
        "events.publish": True,
        "log.info": True,
        "http.get": False,
        "db.query": False,
    }
