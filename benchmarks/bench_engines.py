"""Script engine benchmark: what one script execution costs on each engine, in process and
through the process pool.

Run: ``python benchmarks/bench_engines.py`` (``--quick`` for a smoke run). Two scripts: a
trivial ``return 1``, and ``return await sdk.cache.get('k')`` (one awaited SDK call, answered
by a host that returns a constant). Every execution gets a fresh engine context. Baseline in
the same run: a bare ``quickjs.Context()`` evaluating ``(async function () { return 1 })()``
and draining its jobs, with no prelude, SDK, limits or result handling. Paths take turns in
every repeat; figures are the median over repeats of the mean time per execution.
Throughput: executions per second with several callers at once (in-process quickjs shares one
runner between threads; the pool runs one execution per worker at a time).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import quickjs

from esruntime.scripts.engines import (
    DukpyRunner,
    MiniRacerRunner,
    ProcessPoolRunner,
    QuickJsRunner,
)
from esruntime.scripts.runner import RunLimits, ScriptRunner

SCRIPTS = {"trivial": "return 1", "one SDK call": "return await sdk.cache.get('k')"}
LIMITS = RunLimits()


class ConstantHost:
    def call(self, name: str, args: list[Any]) -> Any:
        return 1


def bare_quickjs() -> None:
    context = quickjs.Context()
    context.eval("(async function () { return 1 })()")
    while context.execute_pending_job():
        pass


def execution(runner: ScriptRunner, source: str) -> Callable[[], None]:
    host = ConstantHost()

    def run() -> None:
        result = runner.run(source, context={}, host=host, limits=LIMITS)
        if result.status != "completed":
            raise SystemExit(f"benchmark script failed: {result.error}")

    return run


def mean_us(work: Callable[[], None], count: int) -> float:
    started = time.perf_counter()
    for _ in range(count):
        work()
    return (time.perf_counter() - started) / count * 1e6


def throughput(work: Callable[[], None], count: int, callers: int) -> float:
    with ThreadPoolExecutor(callers) as pool:
        started = time.perf_counter()
        for future in [pool.submit(work) for _ in range(count)]:
            future.result()
        return count / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a smoke run")
    parser.add_argument("--runs", type=int, default=5, help="repeats (median taken)")
    parser.add_argument("--executions", type=int, default=1000, help="per path and repeat")
    parser.add_argument("--workers", type=int, default=2, help="pool workers and callers")
    args = parser.parse_args()
    runs, count = (1, 50) if args.quick else (args.runs, args.executions)
    slow_count = max(count // 20, 10)  # V8 creates an isolate per execution: ~100x slower

    runners: dict[str, tuple[ScriptRunner, int]] = {
        "quickjs in process": (QuickJsRunner(), count),
        "dukpy in process (trusted)": (DukpyRunner(trusted=True), count // 4),
        "V8 in process": (MiniRacerRunner(), slow_count),
        "pool: quickjs": (ProcessPoolRunner(engine="quickjs", workers=args.workers), count),
        "pool: dukpy": (ProcessPoolRunner(engine="dukpy", workers=args.workers), count // 4),
        "pool: V8": (ProcessPoolRunner(engine="v8", workers=args.workers), slow_count),
    }
    paths: dict[str, tuple[Callable[[], None], int]] = {
        "bare quickjs (baseline)": (bare_quickjs, count)
    }
    for name, (runner, n) in runners.items():
        for script, source in SCRIPTS.items():
            paths[f"{name} | {script}"] = (execution(runner, source), n)
    try:
        for work, n in paths.values():  # warm up: pools start their workers, caches fill
            for _ in range(min(n, 20)):
                work()
        samples: dict[str, list[float]] = {path: [] for path in paths}
        rates: dict[str, list[float]] = {}
        for _ in range(runs):
            for path, (work, n) in paths.items():
                samples[path].append(mean_us(work, n))
            for name in ("quickjs in process", "pool: quickjs"):
                work = paths[f"{name} | trivial"][0]
                rates.setdefault(name, []).append(throughput(work, count, args.workers * 2))
    finally:
        for runner, _ in runners.values():
            runner.close()

    medians = {path: statistics.median(values) for path, values in samples.items()}
    baseline = medians["bare quickjs (baseline)"]
    print(f"{runs} repeats; median of the mean per execution; {args.workers} pool workers\n")
    print(f"| {'path':<44} | {'µs/exec':>9} | {'exec/s':>8} | {'vs bare':>8} |")
    print(f"|{'-' * 46}|{'-' * 11}|{'-' * 10}|{'-' * 10}|")
    for path, value in medians.items():
        print(f"| {path:<44} | {value:>9,.0f} | {1e6 / value:>8,.0f} | {value / baseline:>7.2f}x |")
    print()
    for name, values in rates.items():
        rate = statistics.median(values)
        print(f"{name}: {rate:,.0f} trivial executions/s with {args.workers * 2} callers")
    quick = medians["quickjs in process | trivial"]
    pooled = medians["pool: quickjs | trivial"]
    print()
    print(
        f"quickjs in process, trivial: {quick:.0f} µs ({quick / baseline:.2f}x bare quickjs; "
        f"goal <= 300 µs: {'met' if quick <= 300 else 'MISSED'})"
    )
    print(
        f"pool quickjs, trivial: {pooled:.0f} µs ({pooled / baseline:.2f}x bare quickjs; "
        f"goal <= 1000 µs: {'met' if pooled <= 1000 else 'MISSED'})"
    )


if __name__ == "__main__":
    main()
