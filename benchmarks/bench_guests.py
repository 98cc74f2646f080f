"""Guest SDK benchmark: what one replayed event costs the C and AssemblyScript transfer_funds.

Run: ``python benchmarks/bench_guests.py`` (``--quick`` for a smoke run). The subject is the
bank example's ``transfer_funds`` (examples/bank) built with each SDK, against the Python
handler class of the same behaviour (``examples/bank/python_handlers.py``) measured in the
same run:

- **execute**: ``CommandExecutor.execute`` on an ``InMemoryEventStore`` holding two open
  accounts and N money events of theirs; the transfer asks for more than the balance, so every
  command replays all N and is rejected (nothing appended, every run does the same work). The
  cost per replayed event is (time at 1,000 events - time at 10) / 990: it includes the host's
  side (reading, upcasting, encoding frames) as a user sees it.
- **guest apply**: only the guest's share: pre-encoded frames of 1,000 events copied in and
  applied by ``esr_apply`` (one batch) on an initialised instance, against ``apply_all`` of
  the Python handler on the same events; with the fuel each event burns (deterministic: the
  default budget of 1e9 per command divided by it is how many events a command can replay).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from esruntime import Event, InMemoryEventStore
from esruntime.commands import CommandExecutor
from esruntime.events import SequencedEvent
from esruntime.handlers import WasmModule, load_wasm_handler
from esruntime.handlers.abi import encode_frames
from esruntime.schema import parse_schema
from examples.bank.python_handlers import SCHEMA, TransferFunds

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "bank" / "wasm"
KINDS = ("python", "c", "assemblyscript")
COMMAND = {"source_account": "alice", "dest_account": "bob", "amount": 1e12}
schema = parse_schema(SCHEMA.read_text())


def history(prior: int) -> list[Event]:
    opened = [
        Event(
            "OpenedAccount", {"account_id": a, "owner": a, "currency": "EUR"}, [f"account_id:{a}"]
        )
        for a in ("alice", "bob")
    ]
    money = [
        Event(
            "ReceivedFunds",
            {"account_id": a, "amount": 1.25, "sender_id": None},
            [f"account_id:{a}"],
        )
        for a in ("alice", "bob") * (prior // 2)
    ]
    return opened + money


def wasm(kind: str) -> bytes:
    return (EXAMPLES / kind / "transfer_funds.wasm").read_bytes()


def executor(kind: str, prior: int) -> CommandExecutor:
    store = InMemoryEventStore()
    store.append(history(prior))
    result = CommandExecutor(store, schema=lambda: schema)
    if kind == "python":
        result.register(TransferFunds)
    else:
        result.register_factory(*load_wasm_handler(wasm(kind)))
    return result


def execute_us(kind: str, prior: int, commands: int) -> float:
    run = executor(kind, prior)
    for _ in range(min(commands, 20)):  # warm up
        run.execute("transfer_funds", COMMAND)
    started = time.perf_counter()
    for _ in range(commands):
        result = run.execute("transfer_funds", COMMAND)
    elapsed = time.perf_counter() - started
    assert result.code == "insufficient_funds", result
    return elapsed / commands * 1e6


def replayed(prior: int) -> list[SequencedEvent]:
    store = InMemoryEventStore()
    store.append(history(prior))
    return list(store.read().events)


def apply_us(kind: str, events: Sequence[SequencedEvent], rounds: int) -> float:
    """Mean µs to apply ``events`` once (guest side only for wasm)."""
    if kind == "python":

        def once() -> None:
            TransferFunds().apply_all(events)

    else:
        module = WasmModule.load(wasm(kind))
        [frames] = list(encode_frames(events, 1 << 30))
        instance = module.instance()

        def once() -> None:
            instance.store.set_fuel(module.limits.fuel)
            instance.call_buffer("esr_init")
            assert instance.call_buffer("esr_apply", *instance.send(frames, "esr_apply")) is None

    return timed(once, rounds) / len(events)


def fuel_per_event(kind: str, events: Sequence[SequencedEvent]) -> float:
    """Fuel (about one per wasm instruction) the guest burns per applied event: deterministic."""
    module = WasmModule.load(wasm(kind))
    [frames] = list(encode_frames(events, 1 << 30))
    instance = module.instance()
    instance.call_buffer("esr_init")
    args = instance.send(frames, "esr_apply")
    before = instance.store.get_fuel()
    instance.call_buffer("esr_apply", *args)
    return (before - instance.store.get_fuel()) / len(events)


def timed(once: Callable[[], None], rounds: int) -> float:
    once()
    started = time.perf_counter()
    for _ in range(rounds):
        once()
    return (time.perf_counter() - started) / rounds * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--commands", type=int, default=300)
    args = parser.parse_args()
    if args.quick:
        args.runs, args.commands = 1, 30
    sizes = (10, 1000)
    samples: dict[tuple[str, int], list[float]] = {(k, n): [] for k in KINDS for n in sizes}
    applied: dict[str, list[float]] = {kind: [] for kind in KINDS}
    events = replayed(1000)
    for _ in range(args.runs):  # interleaved, so that machine noise hits every kind alike
        for kind in KINDS:
            for prior in sizes:
                commands = args.commands if prior == 10 else max(args.commands // 10, 10)
                samples[kind, prior].append(execute_us(kind, prior, commands))
            applied[kind].append(apply_us(kind, events, max(args.commands // 3, 10)))
    median = {key: statistics.median(values) for key, values in samples.items()}
    per_event = {k: (median[k, 1000] - median[k, 10]) / 990 for k in KINDS}
    guest = {kind: statistics.median(values) for kind, values in applied.items()}
    print("transfer_funds, execute on an InMemoryEventStore (rejected: insufficient funds)")
    print(f"{'':>16} {'µs @10':>10} {'µs @1000':>10} {'µs/event':>9} {'x python':>9}")
    for kind in KINDS:
        print(
            f"{kind:>16} {median[kind, 10]:10.1f} {median[kind, 1000]:10.1f} "
            f"{per_event[kind]:9.2f} {per_event[kind] / per_event['python']:8.2f}x"
        )
    print("guest apply only: 1,000 events, one esr_apply batch vs PythonHandler.apply_all")
    for kind in KINDS:
        fuel = "" if kind == "python" else f", {fuel_per_event(kind, events):,.0f} fuel/event"
        print(
            f"{kind:>16} {guest[kind]:9.3f} µs/event {guest[kind] / guest['python']:8.2f}x python"
            + fuel
        )


if __name__ == "__main__":
    main()
