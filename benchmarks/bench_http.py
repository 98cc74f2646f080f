"""HTTP benchmark: what ``esruntime serve``'s stack adds to ``runtime.execute``, under ``wrk``.

Run: ``python benchmarks/bench_http.py`` (``--quick`` for a smoke run; needs ``wrk``:
``apt-get install wrk``). One server process (``http_server.py``: the app ``esruntime serve``
runs, under the same uvicorn configuration, with a stored API key) on a SQLite file with the
example bank's Python handlers. In every round, in turn:

- in-process: ``runtime.execute("deposit", ...)`` in a loop in this process, one thread, on the
  same database file (the server idle): deposits/s and the median latency of one call;
- HTTP: ``wrk`` POSTs deposits to ``/v1/commands/deposit`` with 1, 8 and 64 connections;
- ``GET /v1/health`` against ``GET /bare``, a sync FastAPI route of the host's own on the same
  app and server (and ``GET /bare-async``, an async one), 8 connections each;
- ``GET /bare-async`` with 1 connection: the round trip of the stack itself, the floor of the
  latency HTTP can add.

The CPU time per deposit (the server process's, all threads, from ``/proc``; this process's
for the in-process loop) does not depend on what else the machine runs, as rates do.

Each measurement deposits into accounts of its own (``--accounts`` of them, taken in turn, so
concurrent requests never touch the same account and histories stay a few events long). The
medians of the rounds are printed with the ratios of the goals, each marked met or MISSED.
Every answer must be a 2xx: ``wrk`` counts the others, and the run fails if there is any.
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import wrk as load
from esruntime.runtime import Runtime
from examples.bank.python_handlers import HANDLERS, SCHEMA

HERE = Path(__file__).resolve().parent
CONNECTIONS = (1, 8, 64)
NOISE = 0.9  # "non-decreasing within noise": each step keeps at least this share of the last

# wrk's threads each run their own Lua state: ``setup`` numbers them, and every request
# deposits into the next account of its thread's share, so no two requests race on one account.
DEPOSITS = """
local threads = 0
function setup(thread)
  thread:set("id", threads)
  threads = threads + 1
end
function init(args)
  n = 0
  count = tonumber(args[2])
  prefix = args[1]
end
function request()
  n = n + 1
  local account = prefix .. ((n * %(threads)d + id) %% count)
  return wrk.format(nil, nil, nil, '{"account_id":"' .. account .. '","amount":1}')
end
"""


@contextmanager
def server(url: str) -> Iterator[tuple[str, str, int]]:
    process = subprocess.Popen(
        [sys.executable, str(HERE / "http_server.py"), url], stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    port, key = process.stdout.readline().split()
    try:
        yield f"http://127.0.0.1:{port}", key, process.pid
    finally:
        process.terminate()
        process.wait(timeout=30)
        process.stdout.close()


def open_accounts(runtime: Runtime, prefixes: list[str], count: int) -> None:
    for prefix in prefixes:
        for n in range(count):
            body = {"account_id": f"{prefix}{n}", "owner": "o", "currency": "EUR"}
            assert runtime.execute("open_account", body).outcome == "ok"


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of process ``pid`` (all its threads), from ``/proc``."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def in_process(
    runtime: Runtime, prefix: str, count: int, duration: float
) -> tuple[float, float, float]:
    """(deposits/s, median ms of one call, CPU ms per call) of ``runtime.execute`` in one
    thread."""
    latencies = []
    began, cpu = time.perf_counter(), time.process_time()
    n = 0
    while (now := time.perf_counter()) - began < duration:
        n += 1
        result = runtime.execute("deposit", {"account_id": f"{prefix}{n % count}", "amount": 1})
        latencies.append((time.perf_counter() - now) * 1000)
        assert result.outcome == "ok", result
    rate = n / (time.perf_counter() - began)
    return rate, statistics.median(latencies), (time.process_time() - cpu) * 1000 / n


def deposits(
    origin: str, key: str, prefix: str, count: int, connections: int, duration: float
) -> load.WrkResult:
    threads = min(2, connections)
    lua = load.script("POST", {"Authorization": f"Bearer {key}"}, body={})
    lua += DEPOSITS % {"threads": threads}
    return load.run(
        f"{origin}/v1/commands/deposit",
        lua,
        duration=duration,
        connections=connections,
        threads=threads,
        arguments=(prefix, str(count)),
    )


def get(url: str, duration: float) -> load.WrkResult:
    return load.run(url, load.script(), duration=duration, connections=8)


def verdict(met: bool) -> str:
    return "met" if met else "MISSED"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=5, help="seconds per measurement")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--accounts", type=int, default=500, help="per measurement")
    parser.add_argument("--quick", action="store_true", help="1 round of 2 s")
    args = parser.parse_args()
    load.require_wrk("bench_http.py")
    if args.quick:
        args.duration, args.rounds, args.accounts = 2, 1, 200
    runs: dict[str, list[float]] = {}

    def keep(name: str, value: float) -> None:
        runs.setdefault(name, []).append(value)

    with tempfile.TemporaryDirectory(prefix="esruntime-bench-http-") as folder:
        url = f"sqlite:///{folder}/bank.db"
        runtime = Runtime.from_url(url)
        for handler in HANDLERS:
            runtime.register(handler)
        runtime.tenant().schema_registry.push(SCHEMA.read_text())
        phases = ("in", *(f"c{c}_" for c in CONNECTIONS))
        prefixes = [f"r{r}{phase}" for r in range(args.rounds) for phase in ("w", *phases)]
        open_accounts(runtime, prefixes, args.accounts)
        with server(url) as (origin, key, pid):
            deposits(origin, key, "r0w", args.accounts, 8, 1)  # warm up
            get(f"{origin}/v1/health", 1)
            get(f"{origin}/bare", 1)
            for r in range(args.rounds):  # interleaved: the same machine noise for each
                rate, latency, cpu = in_process(runtime, f"r{r}in", args.accounts, args.duration)
                keep("in-process", rate)
                keep("in-process ms", latency)
                keep("in-process cpu", cpu)
                for c in CONNECTIONS:
                    before = cpu_seconds(pid)
                    found = deposits(origin, key, f"r{r}c{c}_", args.accounts, c, args.duration)
                    keep(f"c{c} cpu", (cpu_seconds(pid) - before) * 1000 / found.requests)
                    keep(f"c{c}", found.rate)
                    keep(f"c{c} p50", found.p50_ms)
                    keep(f"c{c} p99", found.p99_ms)
                for name in ("health", "bare", "bare-async"):
                    path = "/v1/health" if name == "health" else f"/{name}"
                    found = get(origin + path, args.duration)
                    keep(name, found.rate)
                    keep(f"{name} p50", found.p50_ms)
                floor = load.run(
                    f"{origin}/bare-async", load.script(), duration=args.duration, connections=1
                )
                keep("floor p50", floor.p50_ms)
        runtime.close()
    m = {name: statistics.median(values) for name, values in runs.items()}
    print(f"wrk, {args.duration:g} s per measurement, median of {args.rounds} round(s)\n")
    print("| measure | deposits/s or requests/s | p50 ms | p99 ms | CPU ms per deposit |")
    print("|---|---|---|---|---|")
    print(f"| in-process `runtime.execute`, 1 thread | {m['in-process']:,.0f} "
          f"| {m['in-process ms']:.3f} | | {m['in-process cpu']:.3f} |")  # fmt: skip
    for c in CONNECTIONS:
        print(f"| HTTP deposits, {c} connection(s) | {m[f'c{c}']:,.0f} "
              f"| {m[f'c{c} p50']:.3f} | {m[f'c{c} p99']:.2f} "
              f"| {m[f'c{c} cpu']:.3f} |")  # fmt: skip
    for name, label in (("health", "`GET /v1/health`"), ("bare", "`GET /bare` (sync route)"),
                        ("bare-async", "`GET /bare-async` (async route)")):  # fmt: skip
        print(f"| {label}, 8 connections | {m[name]:,.0f} | {m[f'{name} p50']:.3f} | | |")
    print(f"| `GET /bare-async`, 1 connection (the stack's floor) | | {m['floor p50']:.3f} | | |")
    ratio8 = m["c8"] / m["in-process"]
    added = m["c1 p50"] - m["in-process ms"]
    health = m["health"] / m["bare"]
    steps = [m[f"c{b}"] / m[f"c{a}"] for a, b in itertools.pairwise(CONNECTIONS)]
    print("\n| goal | measured | verdict |")
    print("|---|---|---|")
    print(f"| 8 connections ÷ in-process >= 0.5x | {ratio8:.2f}x | {verdict(ratio8 >= 0.5)} |")
    print(f"| 1 connection, p50 added to `runtime.execute` <= 0.25 ms | {added:.3f} ms "
          f"(an empty async route's round trip: {m['floor p50']:.3f} ms) "
          f"| {verdict(added <= 0.25)} |")  # fmt: skip
    print(f"| `/v1/health` ÷ bare sync route >= 0.8x | {health:.2f}x "
          f"| {verdict(health >= 0.8)} |")  # fmt: skip
    shown = " → ".join(f"{m[f'c{c}']:,.0f}" for c in CONNECTIONS)
    rising = all(step >= NOISE for step in steps)
    print(f"| 1 → 8 → 64 connections non-decreasing (each step >= {NOISE}x) | {shown}/s "
          f"({', '.join(f'{s:.2f}x' for s in steps)}) | {verdict(rising)} |")  # fmt: skip


if __name__ == "__main__":
    main()
