"""Costs of keeping decision states: a guest snapshot and restore per KiB, a Python state's copy.

Run: ``python benchmarks/bench_guest_state.py``. For the C ``transfer_funds`` of
``examples/bank``: a fresh instance alone, a fresh instance with a state of each size restored
into it (the difference is the restore), and a snapshot of that state; then the bank's Python
state (two accounts) pickled and unpickled against ``copy.deepcopy``. Each figure is the best
of several repeats (a busy machine slows some repeats, never speeds one up).
"""

from __future__ import annotations

import copy
import pickle
import sys
import timeit
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from esruntime.handlers.guest_state import GuestState
from esruntime.handlers.wasm import WasmModule
from examples.bank.python_handlers import Account, TransferFunds

WASM = Path(__file__).resolve().parent.parent / "examples/bank/wasm/c/transfer_funds.wasm"
PAGE = 65536


def best(call: object, number: int = 50, repeat: int = 7) -> float:
    """Microseconds per call, the best of ``repeat`` rounds of ``number``."""
    return min(timeit.repeat(call, number=number, repeat=repeat)) / number * 1e6  # type: ignore[arg-type]


def main() -> None:
    module = WasmModule.load(WASM.read_bytes())
    names = module.state_globals
    assert names is not None
    initial = module.instance().memory.size()
    alone = best(module.instance)
    print(f"fresh instance alone: {alone:.1f} µs")
    print("| state KiB | restore µs | µs per KiB | snapshot µs | µs per KiB |")
    print("|---|---|---|---|---|")
    for kib in (64, 256, 1024, 4096):
        data = bytes([1]) * (kib * 1024)
        size = max(initial, -(-len(data) // PAGE) * PAGE)
        globals_ = module.instance().snapshot(names).globals
        state = GuestState(size, data, globals_)

        def restore(state: GuestState = state) -> None:
            module.instance().restore(state, names, larger=False)

        restored = best(restore) - alone
        instance = module.instance()
        instance.restore(state, names, larger=False)
        snapshot = best(lambda instance=instance: instance.snapshot(names))
        print(
            f"| {kib:,} | {restored:,.1f} | {restored / kib:.3f} | {snapshot:,.1f} "
            f"| {snapshot / kib:.3f} |"
        )
    handler = TransferFunds()
    handler.accounts = {"acc0": Account(True, "EUR", 1000.0), "acc1": Account(True, "EUR", 5.0)}
    attributes = vars(handler)
    pickled = pickle.dumps(attributes, protocol=pickle.HIGHEST_PROTOCOL)
    dump = best(lambda: pickle.dumps(attributes, protocol=pickle.HIGHEST_PROTOCOL), 2000)
    load = best(lambda: pickle.loads(pickled), 2000)
    deep = best(lambda: copy.deepcopy(attributes), 2000)
    print()
    print(
        f"Python state ({len(pickled)} bytes pickled): pickle {dump:.1f} µs + unpickle "
        f"{load:.1f} µs = {dump + load:.1f} µs; copy.deepcopy {deep:.1f} µs (twice: "
        f"{2 * deep:.1f} µs, to keep and to restore)"
    )


if __name__ == "__main__":
    main()
