"""WebAssembly handler benchmark: ``execute`` of the WAT counter (tests/wasm/modules.py).

Run: ``python benchmarks/bench_wasm.py`` (``--quick`` for a smoke run). Every measured command
replays the same 10 prior ``Counted`` events from an ``InMemoryEventStore`` and is rejected by
the guest (``already_counted``), so nothing is appended and every run does the same work.
Baseline in the same run: a Python handler with the same manifest and the same decision.
Guest calls are measured through wasmtime's C API (``wasm``) and its public Python API
(``wasm public``), each with a fresh instance per command and with pooled instances.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from esruntime import Event, InMemoryEventStore
from esruntime.commands import CommandExecutor
from esruntime.events import SequencedEvent
from esruntime.handlers import Decision, Emit, PythonHandler, Rejection, load_wasm_handler
from tests.wasm.modules import counter_wasm


class Count(PythonHandler):
    """The WAT counter's logic in Python."""

    name = "count"
    version = "1.0.0"
    reads: ClassVar[Mapping[str, Sequence[str]]] = {"Counted": ["counter_id"]}
    input_domain_ids: ClassVar[Mapping[str, str]] = {"counter_id": "counter_id"}
    emits: ClassVar[Sequence[str]] = ("Counted",)

    def __init__(self) -> None:
        self.frames = 0

    def apply(self, event: SequencedEvent) -> None:
        self.frames += 1

    def handle(self, command: dict[str, Any]) -> Decision:
        if self.frames:
            return Rejection("already_counted", "this counter was counted")
        return [Emit("Counted", command)]


def executor(kind: str, prior: int) -> CommandExecutor:
    store = InMemoryEventStore()
    store.append([Event("Counted", {"counter_id": "c1"}, ["counter_id:c1"]) for _ in range(prior)])
    result = CommandExecutor(store)
    if kind.startswith("wasm"):
        pooled, raw = "pooled" in kind, "public" not in kind
        result.register_factory(*load_wasm_handler(counter_wasm(), pooled=pooled, raw_calls=raw))
    else:
        result.register(Count)
    return result


def mean_us(kind: str, prior: int, commands: int) -> float:
    run = executor(kind, prior)
    for _ in range(min(commands, 100)):  # warm up
        run.execute("count", {"counter_id": "c1"})
    started = time.perf_counter()
    for _ in range(commands):
        result = run.execute("count", {"counter_id": "c1"})
    elapsed = time.perf_counter() - started
    assert result.code == "already_counted"
    return elapsed / commands * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--commands", type=int, default=1000)
    parser.add_argument("--prior", type=int, default=10)
    args = parser.parse_args()
    if args.quick:
        args.runs, args.commands = 1, 100
    kinds = ("python", "wasm public", "wasm pooled public", "wasm", "wasm pooled")
    samples: dict[str, list[float]] = {kind: [] for kind in kinds}
    for _ in range(args.runs):  # interleaved, so that machine noise hits every kind alike
        for kind in kinds:
            samples[kind].append(mean_us(kind, args.prior, args.commands))
    results = {kind: statistics.median(values) for kind, values in samples.items()}
    for kind in kinds:
        print(
            f"{kind:>18}: {results[kind]:8.1f} µs per execute ({args.prior} prior events), "
            f"{results[kind] / results['python']:5.1f}x python"
        )
    print(f"  raw calls vs public calls: {results['wasm public'] / results['wasm']:.2f}x faster")


if __name__ == "__main__":
    main()
