"""Where the wall time of one deposit goes in ``esruntime serve``'s stack, with 1 connection.

Run: ``python benchmarks/http_stages.py`` (needs ``wrk``). The bank server of ``bench_http.py``
(``http_server.py``) runs in a process of its own with a clock read (``perf_counter_ns``) at
each stage of a request: the first bytes in (uvicorn's ``data_received``), the ASGI app called
(uvicorn's ``run_asgi``), the call handed to the API's threads (``ApiThreads.run``), the thread
running ``JsonApi.handle``, ``Tenant.execute`` in it, the loop resuming, the response's start
and its last byte sent. ``wrk`` deposits with 1 connection; the medians and quartiles of each
stage (the first fifth of the requests left out) are printed as a table, in µs.

The hooks wrap uvicorn's and esruntime's own functions, so that the same script measures any
version of the code that has them (``ApiThreads`` since the FastAPI routes became async).
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import wrk as load
from benchmarks.bench_http import deposits, open_accounts
from esruntime.runtime import Runtime
from examples.bank.python_handlers import HANDLERS, SCHEMA

STAGES = (
    ("bytes in → ASGI app called (uvicorn: parse, scope, task)", "in", "app"),
    ("app → call handed to a thread (FastAPI or direct: route, body, request)", "app", "hop"),
    ("hand-over → the thread runs it (hop in)", "hop", "handle"),
    ("thread: before `execute` (request id, key, JSON body)", "handle", "execute"),
    ("`Tenant.execute`", "execute", "executed"),
    ("thread: after `execute` (events, JSON, metrics, log)", "executed", "handled"),
    ("thread done → the loop resumes (hop out)", "handled", "resumed"),
    ("loop: resumed → response start", "resumed", "start"),
    ("loop: head and body written", "start", "sent"),
    ("total, bytes in → sent", "in", "sent"),
)


def instrument(report: Path) -> None:
    """Hook the stages in this (the server's) process; SIGTERM writes the table to ``report``."""
    from uvicorn.protocols.http import httptools_impl

    from esruntime.contrib.fastapi.threads import ApiThreads
    from esruntime.contrib.uvicorn import BoundedHttpToolsProtocol
    from esruntime.runtime.tenant import Tenant
    from esruntime.web.api import JsonApi

    now = time.perf_counter_ns
    rows: list[dict[str, int]] = []
    current: dict[str, int] = {}

    def around(owner: Any, name: str, before: str, after: str | None = None) -> None:
        original: Callable[..., Any] = getattr(owner, name)

        def timed(*args: Any, **kwargs: Any) -> Any:
            current[before] = now()
            result = original(*args, **kwargs)
            if after is not None:
                current[after] = now()
            return result

        setattr(owner, name, timed)

    received = BoundedHttpToolsProtocol.data_received

    def data_received(self: Any, data: bytes) -> None:
        current.setdefault("in", now())
        received(self, data)

    run_asgi = httptools_impl.RequestResponseCycle.run_asgi

    async def timed_run_asgi(self: Any, app: Any) -> None:
        current["app"] = now()
        await run_asgi(self, app)

    send = httptools_impl.RequestResponseCycle.send

    async def timed_send(self: Any, message: Any) -> None:
        if message["type"] == "http.response.start":
            current["start"] = now()
        await send(self, message)
        if message["type"] == "http.response.body" and not message.get("more_body"):
            current["sent"] = now()
            rows.append(dict(current))
            current.clear()

    run = ApiThreads.run

    async def timed_hop(self: Any, fn: Any, *args: Any, **kwargs: Any) -> Any:
        current["hop"] = now()
        result = await run(self, fn, *args, **kwargs)
        current["resumed"] = now()
        return result

    BoundedHttpToolsProtocol.data_received = data_received  # type: ignore[method-assign]
    httptools_impl.RequestResponseCycle.run_asgi = timed_run_asgi  # type: ignore[method-assign]
    httptools_impl.RequestResponseCycle.send = timed_send  # type: ignore[method-assign]
    ApiThreads.run = timed_hop  # type: ignore[method-assign]
    around(JsonApi, "handle", "handle", "handled")
    around(Tenant, "execute", "execute", "executed")

    def write(*_: Any) -> None:
        names = {name for _, a, b in STAGES for name in (a, b)}
        kept = [row for row in rows[len(rows) // 5 :] if names <= row.keys()]
        lines = [f"{len(kept)} requests; µs: median (quartiles)\n", "| stage | µs |", "|---|---|"]
        for label, a, b in STAGES:
            spans = [(row[b] - row[a]) / 1000 for row in kept]
            low, mid, high = statistics.quantiles(spans, n=4)
            lines.append(f"| {label} | {mid:.0f} ({low:.0f}-{high:.0f}) |")
        report.write_text("\n".join(lines) + "\n")
        os._exit(0)

    signal.signal(signal.SIGTERM, write)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=8, help="seconds of wrk")
    parser.add_argument("--accounts", type=int, default=500)
    parser.add_argument("--serve", nargs=2, metavar=("URL", "REPORT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        instrument(Path(args.serve[1]))
        from benchmarks.http_server import main as serve

        serve(args.serve[0])
        return
    load.require_wrk("http_stages.py")
    with tempfile.TemporaryDirectory(prefix="esruntime-http-stages-") as folder:
        url = f"sqlite:///{folder}/bank.db"
        runtime = Runtime.from_url(url)
        for handler in HANDLERS:
            runtime.register(handler)
        runtime.tenant().schema_registry.push(SCHEMA.read_text())
        open_accounts(runtime, ["w", "m"], args.accounts)
        runtime.close()
        report = Path(folder) / "stages.md"
        command = [sys.executable, __file__, "--serve", url, str(report)]
        process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        assert process.stdout is not None
        port, key = process.stdout.readline().split()
        origin = f"http://127.0.0.1:{port}"
        try:
            deposits(origin, key, "w", args.accounts, 1, 2)  # warm up
            found = deposits(origin, key, "m", args.accounts, 1, args.duration)
        finally:
            process.terminate()
            process.wait(timeout=30)
            process.stdout.close()
        print(f"wrk, 1 connection, {args.duration:g} s: {found.rate:,.0f} deposits/s, "
              f"p50 {found.p50_ms:.3f} ms\n")  # fmt: skip
        print(report.read_text())


if __name__ == "__main__":
    main()
