"""Command executor benchmark: transfers through ``CommandExecutor``, Python and WebAssembly.

Run: ``python benchmarks/bench_commands.py`` (``--quick`` for a smoke run). The subject is the
``transfer_funds`` of ``examples/bank``: the Python class (the baseline), the C module with a
fresh instance per command and with pooled instances, and the AssemblyScript module. For each
backend and each history size (10, 100, 1,000 prior events per command), every measured
command transfers between its own two accounts, so each one replays exactly that many events;
the kinds take turns on disjoint accounts of the same store. Also in the same run: the store
operations a command performs (the read of its query and the conditional append of its two
events) without the executor and handler; the ratio to it is the executor's cost.

Cached decision states (``docs/commands.md``): each kind runs the first command of its pairs
with the state cache off (the table's "first, off": a full replay, as before the cache) and on
(other pairs: "first, on": the cache only notes the stream), and then, once every pair had its
first, a second command on each of the latter pairs ("second, on": a full replay that keeps the
state, a stream's second fold being the first kept) and a third ("cached": it restores the
kept state and folds the two events the second appended). One store per run holds the pairs of
every history size, and the commands of every kind, history and mode take turns one by one, so
that a busy machine's noise falls on all cells alike; each cell is the median of single
commands (then of runs). The goals compare, in the same run, cached with 1,000 prior events to
cached with 10 (>= 0.7x), and first-on to first-off (at most 5% slower).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.peers import UmaDBServer
from esruntime import (
    AppendCondition,
    Event,
    EventStore,
    InMemoryEventStore,
    SqlEventStore,
    create_store_engine,
)
from esruntime.backends.umadb import UmaDbEventStore
from esruntime.commands import CommandExecutor, build_query
from esruntime.commands.statecache import StateCache
from esruntime.handlers import load_wasm_handler
from esruntime.schema import parse_schema
from examples.bank.python_handlers import SCHEMA, TransferFunds

BANK = parse_schema(SCHEMA.read_text())
MODULES = Path(__file__).resolve().parent.parent / "examples/bank/wasm"
WASM = (MODULES / "c/transfer_funds.wasm").read_bytes()
WASM_AS = (MODULES / "assemblyscript/transfer_funds.wasm").read_bytes()
KINDS = ("python", "wasm C", "wasm C pooled", "wasm AssemblyScript")


def populate(store: EventStore, pairs: int, history: int, first: int = 0) -> None:
    """``pairs`` pairs of accounts from pair ``first`` on; each opened plus deposits:
    ``history`` events a pair."""
    per_account = max(history // 2 - 1, 0)
    batch: list[Event] = []
    for n in range(first * 2, (first + pairs) * 2):
        account = f"acc{n}"
        tags = [f"account_id:{account}"]
        opened = {"account_id": account, "owner": "o", "currency": "EUR"}
        batch.append(Event("OpenedAccount", opened, tags))
        deposit = {"account_id": account, "amount": 1000.0, "sender_id": None}
        batch.extend(Event("ReceivedFunds", deposit, tags) for _ in range(per_account))
        if len(batch) >= 1000:
            store.append(batch)
            batch = []
    if batch:
        store.append(batch)


def executor_for(store: EventStore, kind: str, *, cache: bool = False) -> CommandExecutor:
    executor = CommandExecutor(store, schema=lambda: BANK, state_cache=cache and StateCache())
    if kind == "python":
        executor.register(TransferFunds)
    else:
        module = WASM_AS if kind.endswith("AssemblyScript") else WASM
        executor.register_factory(*load_wasm_handler(module, pooled=kind.endswith("pooled")))
    return executor


def transfer(executor: CommandExecutor, pair: int) -> float:
    """Seconds of one transfer between the accounts of ``pair``."""
    command = {
        "source_account": f"acc{2 * pair}",
        "dest_account": f"acc{2 * pair + 1}",
        "amount": 1,
    }
    started = time.perf_counter()
    result = executor.execute("transfer_funds", command)
    spent = time.perf_counter() - started
    assert result.outcome == "ok", result
    return spent


def time_commands(
    executor: CommandExecutor, first_pair: int, pairs: int, repeat: int = 1
) -> list[float]:
    """Median seconds per transfer on pairs ``first_pair`` onwards: of the first command of
    each pair, and of each of the ``repeat - 1`` that follow it at once (the same accounts).
    Medians of single commands, so that a busy machine's stalls do not decide a ratio."""
    spent: list[list[float]] = [[] for _ in range(repeat)]
    clock = time.perf_counter
    for n in range(first_pair, first_pair + pairs):
        command = {"source_account": f"acc{2 * n}", "dest_account": f"acc{2 * n + 1}", "amount": 1}
        for turn in range(repeat):
            started = clock()
            result = executor.execute("transfer_funds", command)
            spent[turn].append(clock() - started)
            assert result.outcome == "ok", result
    return [statistics.median(times) for times in spent]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commands", type=int, default=300)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument(
        "--backends", default="memory,SQLite,PostgreSQL,UmaDB", help="comma-separated, of these"
    )
    args = parser.parse_args()
    if args.quick:
        args.commands, args.runs = 50, 1
    directory = Path(tempfile.mkdtemp(prefix="esruntime-bench-"))
    counter = iter(range(1_000_000))
    pg_engine = create_store_engine(args.postgres_url)

    def postgres() -> EventStore:
        with pg_engine.begin() as conn:
            conn.exec_driver_sql(
                "DROP TABLE IF EXISTS esr_event_tags, esr_events, esr_tenants, esr_idempotency"
            )
        return SqlEventStore(pg_engine)

    umadb_server = UmaDBServer()

    def umadb() -> EventStore:
        umadb_server.stop()
        umadb_server.wipe()
        umadb_server.start()
        return UmaDbEventStore(umadb_server.url.replace("http://", "umadb://"))

    backends: dict[str, Callable[[], EventStore]] = {
        "memory": InMemoryEventStore,
        "SQLite": lambda: SqlEventStore(f"sqlite:///{directory}/c{next(counter)}.db"),
        "PostgreSQL": postgres,
        "UmaDB": umadb,
    }
    chosen = args.backends.split(",")
    backends = {name: make for name, make in backends.items() if name in chosen}
    columns = ["backend", "prior events", "handler", "first, off: commands/s", "µs"]
    columns += ["first, on: commands/s", "on ÷ off", "second, on: µs"]
    columns += ["cached: commands/s", "µs"]
    columns += ["store-only µs", "vs python (first, off)"]
    print("| " + " | ".join(columns) + " |")
    print("|" + "---|" * len(columns))
    fits: dict[tuple[str, str], dict[int, float]] = {}
    cached: dict[tuple[str, str], dict[int, float]] = {}
    best_cached: dict[tuple[str, str], dict[int, float]] = {}
    on_off: list[tuple[str, int, str, float, float]] = []
    n = args.commands
    histories = (10, 100, 1000)
    modes = ("off", "first", "second", "cached")
    for name, make in backends.items():
        medians: dict[tuple[str, int, str], list[float]] = {}
        fastest: dict[tuple[str, int, str], list[float]] = {}
        store_us: dict[int, list[float]] = {h: [] for h in histories}
        for _ in range(args.runs):
            store = make()
            group = n * (2 * len(KINDS) + 1)  # pairs of one history: off and on per kind, store
            for g, history in enumerate(histories):
                populate(store, group, history, first=g * group)
            executors = {
                (kind, cache): executor_for(store, kind, cache=cache)
                for kind in KINDS
                for cache in (False, True)
            }
            spent: dict[tuple[str, int, str], list[float]] = {}
            # Everything interleaved, command by command: the same noise for every cell. First
            # every pair's first command, then every pair's second (cached) command, so that a
            # cached command runs among cached ones, as a stream's commands do in steady state.
            for i in range(n):
                for g, history in enumerate(histories):
                    for k, kind in enumerate(KINDS):
                        base = g * group + 2 * k * n + i
                        if i % 2:  # which goes first alternates
                            off = transfer(executors[(kind, False)], base)
                        first = transfer(executors[(kind, True)], base + n)
                        if not i % 2:
                            off = transfer(executors[(kind, False)], base)
                        spent.setdefault((kind, history, "off"), []).append(off * 1e6)
                        spent.setdefault((kind, history, "first"), []).append(first * 1e6)
            for mode in ("second", "cached"):
                for i in range(n):
                    for g, history in enumerate(histories):
                        for k, kind in enumerate(KINDS):
                            pair = g * group + (2 * k + 1) * n + i
                            again = transfer(executors[(kind, True)], pair)
                            spent.setdefault((kind, history, mode), []).append(again * 1e6)
            for key, values in spent.items():
                medians.setdefault(key, []).append(statistics.median(values))
                fastest.setdefault(key, []).append(min(values))
            for g, history in enumerate(histories):
                first_pair = g * group + 2 * len(KINDS) * n
                store_us[history].append(store_only(store, first_pair, n) * 1e6)
            store.close()
        for history in histories:
            s = statistics.median(store_us[history])
            python = statistics.median(medians[("python", history, "off")])
            for kind in KINDS:
                c, f, k2, a = (statistics.median(medians[(kind, history, m)]) for m in modes)
                fits.setdefault((name, kind), {})[history] = c
                cached.setdefault((name, kind), {})[history] = a
                best_cached.setdefault((name, kind), {})[history] = min(
                    fastest[(kind, history, "cached")]
                )
                best_off, best_first = (min(fastest[(kind, history, m)]) for m in modes[:2])
                on_off.append((name, history, kind, c / f, best_off / best_first))
                print(
                    f"| {name} | {history:,} | {kind} | {1e6 / c:,.0f} | {c:,.1f} "
                    f"| {1e6 / f:,.0f} | {c / f:.2f}x | {k2:,.1f} | {1e6 / a:,.0f} | {a:,.1f} "
                    f"| {s:,.1f} | {c / python:.2f}x |",
                    flush=True,
                )
    pg_engine.dispose()
    umadb_server.remove()
    print()
    for (name, kind), by_history in fits.items():
        per_event = (by_history[1000] - by_history[10]) / 990
        fixed = by_history[10] - 10 * per_event
        print(
            f"- {name}, {kind}: ~{per_event:.2f} µs per replayed event, "
            f"~{fixed:.0f} µs fixed per command"
        )
    print()
    print("Goal: cached, 1,000 prior events >= 0.7x the rate with 10 (same run)")
    print("(of the medians, and of the fastest single commands)")
    for (name, kind), by_history in cached.items():
        ratio = by_history[10] / by_history[1000]
        versus_off = fits[(name, kind)][10] / by_history[1000]
        verdict = "met" if ratio >= 0.7 else "MISSED"
        best = best_cached[(name, kind)][10] / best_cached[(name, kind)][1000]
        print(
            f"- {name}, {kind}: {ratio:.2f}x ({verdict}), fastest {best:.2f}x; "
            f"{versus_off:.2f}x the first command's rate with 10, cache off"
        )
    print()
    print("Goal: a first command (state not cached) at most 5% slower with the cache on")
    print("(rate on ÷ off, of the medians and of the fastest single commands)")
    for name, history, kind, ratio, best in on_off:
        verdict = "met" if ratio >= 0.95 else "MISSED"
        print(
            f"- {name}, {history:,} prior events, {kind}: {ratio:.2f}x ({verdict}), "
            f"fastest {best:.2f}x"
        )


def store_only(store: EventStore, first_pair: int, pairs: int) -> float:
    """Seconds per command of the bare store work, on pairs ``first_pair`` onwards."""
    manifest = TransferFunds.manifest()
    started = time.perf_counter()
    for n in range(first_pair, first_pair + pairs):
        source, dest = f"acc{2 * n}", f"acc{2 * n + 1}"
        query = build_query(manifest, {"source_account": source, "dest_account": dest})
        result = store.read(query)
        events = [
            Event(
                "SentFunds",
                {"account_id": source, "amount": 1, "recipient_id": dest},
                [f"account_id:{source}"],
            ),
            Event(
                "ReceivedFunds",
                {"account_id": dest, "amount": 1, "sender_id": source},
                [f"account_id:{dest}"],
            ),
        ]
        store.append(events, AppendCondition(query, after=result.head))
    return (time.perf_counter() - started) / pairs


if __name__ == "__main__":
    main()
