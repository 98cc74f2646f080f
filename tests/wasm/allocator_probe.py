"""Run in a process of its own by test_allocator.py: the engine's allocator is chosen once per
process, from the environment, when the first module loads.

``python -m tests.wasm.allocator_probe ALIVE`` loads the bank's ``transfer_funds`` module,
keeps up to ALIVE handlers (each with its instance) alive at once, drops them, runs one command
on a fresh instance, and prints a JSON report: the engine's pool size, how many handlers could
be made, the fault that refused the next one, and the outcome of the command after.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

from esruntime import InMemoryEventStore
from esruntime.commands import CommandExecutor
from esruntime.errors import EsruntimeError, HandlerFault
from esruntime.handlers import load_wasm_handler, wasm

MODULE = Path(__file__).resolve().parents[2] / "examples/bank/wasm/c/transfer_funds.wasm"


def main(alive: int) -> None:
    logging.basicConfig(level=logging.WARNING, format="%(name)s: %(message)s")
    try:
        manifest, factory = load_wasm_handler(MODULE.read_bytes())
    except EsruntimeError as exc:
        print(json.dumps({"error": f"{type(exc).__name__}: {exc}"}))
        return
    report: dict[str, object] = {"pool": wasm.engine_pool}
    handlers = []
    try:
        for _ in range(alive):
            handlers.append(factory())  # noqa: PERF401 - count those made before a refusal
    except HandlerFault as fault:
        report["refused"] = {"code": fault.code, "message": str(fault)}
    report["made"] = len(handlers)
    handlers.clear()
    executor = CommandExecutor(InMemoryEventStore())
    executor.register_factory(manifest, factory)
    command = {"source_account": "a", "dest_account": "b", "amount": 5}
    result = executor.execute("transfer_funds", command)
    report["after"] = [result.outcome, result.code]
    print(json.dumps(report))


if __name__ == "__main__":
    main(int(sys.argv[1]))
