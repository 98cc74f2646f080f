"""Fresh WebAssembly instances: wasmtime's pooling allocator against its on-demand allocator.

Run: ``python benchmarks/bench_allocator.py`` (``--runs``, ``--commands``). The allocator is
chosen once per process (``ESRUNTIME_WASM_INSTANCES``), so each measurement runs in a process of
its own, the two allocators taking turns: ``transfer_funds`` of ``examples/bank`` (the C
module, a fresh instance per command) on the memory store with 10 prior events per command,
and instance creation alone (``Store`` + instantiate + drop). The on-demand allocator is the
baseline.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ALLOCATORS = {"on-demand (baseline)": "0", "pooling": "10000"}


def measure(commands: int) -> dict[str, float]:
    """In this process: µs per fresh-instance command and per bare instance."""
    from benchmarks.bench_commands import WASM, executor_for, populate, time_commands
    from esruntime import InMemoryEventStore
    from esruntime.handlers import load_wasm_handler, wasm

    store = InMemoryEventStore()
    populate(store, 2 * commands + 50, 10)
    executor = executor_for(store, "wasm C")
    time_commands(executor, 0, 50)  # warm up
    command_us = time_commands(executor, 50, commands)[0] * 1e6
    _, factory = load_wasm_handler(WASM)
    started = time.perf_counter()
    for _ in range(commands):
        factory()
    instance_us = (time.perf_counter() - started) / commands * 1e6
    return {"pool": wasm.engine_pool, "command": command_us, "instance": instance_us}


def run_child(instances: str, commands: int) -> dict[str, float]:
    env = {**os.environ, "ESRUNTIME_WASM_INSTANCES": instances}
    done = subprocess.run(
        [sys.executable, __file__, "--child", "--commands", str(commands)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, float] = json.loads(done.stdout)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--commands", type=int, default=2000)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.commands)))
        return
    results: dict[str, list[dict[str, float]]] = {name: [] for name in ALLOCATORS}
    for run in range(args.runs):
        order = list(ALLOCATORS.items())
        if run % 2:
            order.reverse()
        for name, instances in order:
            results[name].append(run_child(instances, args.commands))
    baseline = {
        key: statistics.median(r[key] for r in results["on-demand (baseline)"])
        for key in ("command", "instance")
    }
    print(f"medians of {args.runs} runs, {args.commands} commands each\n")
    print("| allocator | slots | µs per command | vs baseline | µs per instance | vs baseline |")
    print("|---|---|---|---|---|---|")
    for name, runs in results.items():
        command = statistics.median(r["command"] for r in runs)
        instance = statistics.median(r["instance"] for r in runs)
        print(
            f"| {name} | {int(runs[0]['pool']):,} | {command:,.1f} | "
            f"{command / baseline['command']:.2f}x | {instance:,.1f} | "
            f"{instance / baseline['instance']:.2f}x |"
        )


if __name__ == "__main__":
    main()
