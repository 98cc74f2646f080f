"""HTTP-triggered scripts: requests/s and latency percentiles under ``wrk``, against a plain
FastAPI route that runs the same script through ``runtime.scripts.call``.

Run: ``python benchmarks/bench_hooks.py`` (``--quick`` for a smoke run; needs ``wrk``:
``apt-get install wrk``). One server process (uvicorn, one worker, scripts in process on
quickjs-ng, executions recorded in SQLite) serves three routes that run the same source:

- ``POST /plain``: the baseline, a route of the host's own calling ``runtime.scripts.call``;
- ``POST /hooks/public``: a public ``http`` script (no API key to check);
- ``POST /hooks/keyed``: the same with an API key (one key lookup per request).

``wrk`` takes turns on them (``--rounds``), each for ``--duration`` seconds with
``--connections`` connections (a request may take up to 60 s: slow answers count in the
percentiles rather than as timeouts); the medians of the rounds are printed with their ratio to
the baseline. Every answer must be a 2xx: ``wrk`` counts the others and socket errors, and the
run fails if there is any.
"""

# No ``from __future__ import annotations``: FastAPI reads the plain route's annotations, which
# name a class imported in ``serve``.
import argparse
import statistics
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import wrk as load

SOURCE = "const xs = [3, 1, 2].sort(); return {total: xs.reduce((a, b) => a + b, 0)};"
LIMITS = {"max_concurrent_runs": 100, "max_http_requests_per_minute": 100_000}


def serve(database: str) -> None:
    """The server process: prints ``<port> <key>`` once it listens."""
    import uvicorn
    from fastapi import Request
    from fastapi.responses import JSONResponse
    from starlette.concurrency import run_in_threadpool

    from esruntime.contrib.fastapi import create_app
    from esruntime.runtime import Runtime

    runtime = Runtime.from_url(database)
    key = runtime.api_keys.create("default", "bench", ["scripts.execute"]).secret
    runtime.scripts.create(name="plain", type="embedded", source=SOURCE, limits=LIMITS)
    for name, public in (("public", True), ("keyed", False)):
        runtime.scripts.create(
            name=name, type="http", status="active", source=SOURCE, http_path=f"/{name}",
            http_methods=["POST"], public=public, limits=LIMITS,
        )  # fmt: skip
    app = create_app(runtime)

    @app.post("/plain")
    async def plain(request: Request) -> JSONResponse:
        body = await request.json()
        result = await run_in_threadpool(runtime.scripts.call, "plain", body)
        return JSONResponse({"result": result})

    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        thread.join(0.01)
    print(server.servers[0].sockets[0].getsockname()[1], key, flush=True)
    thread.join()


def wrk(url: str, key: str | None, duration: int, connections: int) -> tuple[float, float, float]:
    """(requests/s, p50 ms, p99 ms) of ``wrk`` POSTing ``{}`` to ``url``."""
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    lua = load.script("POST", headers, body={})
    result = load.run(url, lua, duration=duration, connections=connections)
    return result.rate, result.p50_ms, result.p99_ms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="1 round of 2 s")
    parser.add_argument("--serve", metavar="DATABASE_URL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve)
        return
    load.require_wrk("bench_hooks.py")
    if args.quick:
        args.duration, args.rounds = 2, 1
    with tempfile.TemporaryDirectory() as folder:
        database = f"sqlite:///{folder}/bench.db"
        process = subprocess.Popen(
            [sys.executable, __file__, "--serve", database], stdout=subprocess.PIPE, text=True
        )
        try:
            assert process.stdout is not None
            port, key = process.stdout.readline().split()
            origin = f"http://127.0.0.1:{port}"
            targets = {
                "plain route, runtime.scripts.call": (f"{origin}/plain", None),
                "hook, public script": (f"{origin}/hooks/public", None),
                "hook, API key": (f"{origin}/hooks/keyed", key),
            }
            for url, auth in targets.values():  # warm up every route
                wrk(url, auth, 1, args.connections)
            results: dict[str, list[tuple[float, float, float]]] = {t: [] for t in targets}
            for _ in range(args.rounds):
                for name, (url, auth) in targets.items():
                    results[name].append(wrk(url, auth, args.duration, args.connections))
        finally:
            process.terminate()
            process.wait(timeout=30)
    print(
        f"wrk -t2 -c{args.connections} -d{args.duration}s, median of {args.rounds} round(s); "
        "ratio: requests/s against the plain route"
    )
    print(f"{'route':<36} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'ratio':>6}")
    baseline = statistics.median(r[0] for r in results["plain route, runtime.scripts.call"])
    for name, runs in results.items():
        rate = statistics.median(r[0] for r in runs)
        p50 = statistics.median(r[1] for r in runs)
        p99 = statistics.median(r[2] for r in runs)
        print(f"{name:<36} {rate:>9.0f} {p50:>8.2f} {p99:>8.2f} {rate / baseline:>6.2f}")


if __name__ == "__main__":
    main()
