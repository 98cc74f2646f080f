"""Runtime benchmark: what ``Runtime.execute`` adds to ``CommandExecutor.execute``.

Run: ``python benchmarks/bench_runtime.py`` (``--quick`` for a smoke run). Transfers of the bank
of ``examples/bank`` with 10 prior events per command, as the Python class and as the C module,
through three paths that take turns on disjoint accounts of the same tenant's store: the
executor alone with the schema in hand (the baseline), the runtime as configured by default
(``refresh_interval=0``: each command reads the tenant's revision and looks the schema and
handler versions up again only when it moved, so any process's change is seen by the next
command), and the runtime reusing them for a second (``refresh_interval=1``). Goal (printed met
or MISSED): the default runtime at most 1.1x the executor on SQLite and PostgreSQL.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.bench_commands import WASM, populate
from esruntime import Runtime
from esruntime.commands import CommandExecutor
from esruntime.handlers import load_wasm_handler
from esruntime.runtime import Tenant
from esruntime.schema import parse_schema
from examples.bank.python_handlers import SCHEMA, TransferFunds

TEXT = SCHEMA.read_text()
BANK = parse_schema(TEXT)
PATHS = ("executor", "runtime", "runtime, refresh 1 s")
WARM_UP = 10  # commands per path before timing: loaded modules, warm caches
CHUNK = 25  # commands per turn of a path
GOAL = 1.1  # the default runtime ÷ the executor, on SQLite and PostgreSQL


def transfers(execute: object, first_pair: int, pairs: int) -> float:
    """Microseconds per transfer through ``execute``, on pairs ``first_pair`` onwards."""
    assert callable(execute)
    started = time.perf_counter()
    for n in range(first_pair, first_pair + pairs):
        command = {"source_account": f"acc{2 * n}", "dest_account": f"acc{2 * n + 1}", "amount": 1}
        result = execute("transfer_funds", command)
        assert result.outcome == "ok", result
    return (time.perf_counter() - started) / pairs * 1e6


def tenant_of(runtime: Runtime, kind: str, n: int) -> Tenant:
    tenant = runtime.tenant(kind)
    tenant.push_schema(TEXT)
    populate(tenant.store, (n + WARM_UP) * len(PATHS), 10)
    if kind == "python":
        tenant.register(TransferFunds)
    else:
        tenant.upload("transfer_funds", WASM, "1.0.0")
    return tenant


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commands", type=int, default=300)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--postgres-url", default="postgresql+psycopg://postgres@127.0.0.1/test")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.commands, args.runs = 50, 1
    directory = Path(tempfile.mkdtemp(prefix="esruntime-bench-"))
    n = args.commands
    print("| backend | handler | path | µs per command | vs executor | goal |")
    print("|---|---|---|---|---|---|")
    for backend in ("memory", "SQLite", "PostgreSQL"):
        for kind in ("python", "wasm C"):
            timings: dict[str, list[float]] = {path: [] for path in PATHS}
            for run in range(args.runs):
                url = {
                    "memory": "memory://",
                    "SQLite": f"sqlite:///{directory}/{kind[:4]}{run}.db",
                    "PostgreSQL": args.postgres_url,
                }[backend]
                if backend == "PostgreSQL":
                    drop_tables(url)
                with Runtime.from_url(url) as runtime:
                    tenant = tenant_of(runtime, kind, n)
                    executor = CommandExecutor(tenant.store, schema=lambda: BANK)
                    if kind == "python":
                        executor.register(TransferFunds)
                    else:
                        executor.register_factory(*load_wasm_handler(WASM))
                    fast = Runtime(
                        event_store=tenant.store,
                        schema_registry=tenant.schema_registry,
                        handler_registry=tenant.handler_registry,
                        default_tenant=kind,
                        refresh_interval=1.0,
                    )
                    fast_tenant = fast.tenant()
                    if kind == "python":
                        fast_tenant.register(TransferFunds)
                    paths = list(
                        zip(
                            PATHS,
                            (executor.execute, tenant.execute, fast_tenant.execute),
                            strict=True,
                        )
                    )
                    for index, (_, execute) in enumerate(paths):
                        transfers(execute, len(PATHS) * n + index * WARM_UP, WARM_UP)
                    # The paths take turns every CHUNK commands, each round starting with
                    # another, so that a busy machine's slow moments fall on each alike.
                    for round_ in range(n // CHUNK):
                        turn = (run + round_) % len(paths)
                        for path, execute in paths[turn:] + paths[:turn]:
                            first = PATHS.index(path) * n + round_ * CHUNK
                            timings[path].append(transfers(execute, first, CHUNK))
            baseline = statistics.median(timings["executor"])
            for path in PATHS:
                us = statistics.median(timings[path])
                ratio = us / baseline
                verdict = ""
                if path == "runtime" and backend != "memory":
                    verdict = f"≤ {GOAL}x {'met' if ratio <= GOAL else 'MISSED'}"
                print(
                    f"| {backend} | {kind} | {path} | {us:,.0f} | {ratio:.2f}x | {verdict} |",
                    flush=True,
                )


def drop_tables(url: str) -> None:
    from esruntime.backends.sql import create_store_engine
    from esruntime.backends.sql.tables import metadata

    engine = create_store_engine(url)
    metadata.drop_all(engine)
    engine.dispose()


if __name__ == "__main__":
    main()
