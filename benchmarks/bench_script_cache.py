"""Script cache benchmark: ``sdk.cache`` calls through ``ScriptCacheView`` on each backend.

Run: ``python benchmarks/bench_script_cache.py`` (``--quick`` for a smoke run; ``--redis URL``
for another server than ``redis://127.0.0.1:6379/0``). Measured in the same run, the paths
taking turns in every repeat:

- **get**, **set** (60 s TTL), **increment** through ``ScriptCacheView`` (argument checks, key
  prefixing, JSON) on ``RedisScriptCache`` and on ``InMemoryScriptCache``;
- the baseline: the same ``GET``/``SET``/``INCRBY`` sent by a plain redis-py client on the same
  server (no view, no JSON, no error translation);
- **8 threads**: the view's ``get`` from 8 threads sharing one cache (one connection pool),
  the wall time per call.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import redis

from esruntime.scripts.sdk.cache import InMemoryScriptCache, ScriptCache, ScriptCacheView
from esruntime.scripts.sdk.redis import RedisScriptCache

THREADS = 8


def per_call_us(action: Callable[[int], object], calls: int) -> float:
    """The mean time of one call, in microseconds."""
    started = time.perf_counter()
    for n in range(calls):
        action(n)
    return (time.perf_counter() - started) / calls * 1e6


def threaded_per_call_us(action: Callable[[int], object], calls: int) -> float:
    """Wall time per call with ``THREADS`` threads making ``calls`` calls between them."""
    barrier = threading.Barrier(THREADS + 1)
    share = calls // THREADS

    def work() -> None:
        barrier.wait()
        for n in range(share):
            action(n)

    threads = [threading.Thread(target=work) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    return (time.perf_counter() - started) / (share * THREADS) * 1e6


def operations(cache: ScriptCache) -> dict[str, Callable[[int], object]]:
    view = ScriptCacheView(cache, "bench", "s1")
    view.call("set", ["k", {"n": 1, "name": "bench"}])
    return {
        "get": lambda _n: view.call("get", ["k"]),
        "set": lambda n: view.call("set", [f"k{n % 100}", {"n": n}, 60]),
        "increment": lambda _n: view.call("increment", ["counter"]),
    }


def raw_operations(client: redis.Redis, namespace: str) -> dict[str, Callable[[int], object]]:
    key = namespace + "raw:k"
    client.set(key, '{"n":1,"name":"bench"}')
    return {
        "get": lambda _n: client.get(key),
        "set": lambda n: client.set(f"{namespace}raw:k{n % 100}", f'{{"n":{n}}}', px=60_000),
        "increment": lambda _n: client.incrby(namespace + "raw:counter", 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    calls, repeats = (200, 2) if args.quick else (args.calls, args.repeats)

    namespace = f"esruntime-bench:{uuid.uuid4()}:"
    raw = redis.Redis.from_url(args.redis)
    redis_cache = RedisScriptCache.from_url(args.redis, namespace=namespace)
    paths = {
        "redis-py": raw_operations(raw, namespace),
        "RedisScriptCache": operations(redis_cache),
        "InMemoryScriptCache": operations(InMemoryScriptCache()),
    }
    samples: dict[tuple[str, str], list[float]] = {}
    try:
        for _ in range(repeats):
            for path, ops in paths.items():
                for op, action in ops.items():
                    samples.setdefault((path, op), []).append(per_call_us(action, calls))
                samples.setdefault((path, f"get, {THREADS} threads"), []).append(
                    threaded_per_call_us(ops["get"], calls)
                )
    finally:
        keys = raw.keys(namespace + "*")
        if keys:
            raw.delete(*keys)
        raw.close()
        redis_cache.close()

    print(f"{calls} calls x {repeats} repeats, median of the mean per call")
    names = list(paths)
    print("| operation | " + " | ".join(f"{name} µs" for name in names) + " | ratio to redis-py |")
    print("|---" * (len(names) + 2) + "|")
    for op in ["get", "set", "increment", f"get, {THREADS} threads"]:
        row = [statistics.median(samples[(path, op)]) for path in names]
        cells = " | ".join(f"{value:,.1f}" for value in row)
        print(f"| {op} | {cells} | {row[1] / row[0]:.2f}x |")


if __name__ == "__main__":
    main()
