"""Load from ``wrk``, the C HTTP load generator (Debian package ``wrk``), for the HTTP benchmarks.

The load generator must not share the interpreter (and its GIL) with anything it measures: Python
client threads on a 2-core machine measure themselves as much as the server. ``run`` starts ``wrk``
and reads its summary; ``script`` writes the Lua that sets the method, headers and body (or a
``request`` function that builds a different body for every request).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass

__all__ = ["WrkResult", "require_wrk", "run", "script"]

_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


@dataclass(frozen=True)
class WrkResult:
    """What ``wrk`` measured: requests/s, latency percentiles in ms, and the failures it counted."""

    rate: float
    p50_ms: float
    p99_ms: float
    requests: int
    non_2xx: int
    socket_errors: int


def require_wrk(benchmark: str) -> None:
    if shutil.which("wrk") is None:
        raise SystemExit(f"{benchmark} needs wrk: apt-get install wrk")


def script(
    method: str = "GET",
    headers: dict[str, str] | None = None,
    body: object = None,
    request: str | None = None,
) -> str:
    """Lua for ``wrk -s``: a fixed method, headers and JSON body, plus an optional ``request``
    function (Lua source defining ``request = function() ... end``) for bodies that vary."""
    lines = [f"wrk.method = {json.dumps(method)}"]
    for name, value in (headers or {}).items():
        lines.append(f"wrk.headers[{json.dumps(name)}] = {json.dumps(value)}")
    if body is not None:
        lines.append('wrk.headers["Content-Type"] = "application/json"')
        lines.append(f"wrk.body = {json.dumps(json.dumps(body))}")
    if request is not None:
        lines.append(request)
    return "\n".join(lines) + "\n"


def run(
    url: str,
    lua: str,
    *,
    duration: float,
    connections: int,
    threads: int = 2,
    allow_failures: bool = False,
    arguments: tuple[str, ...] = (),
) -> WrkResult:
    """Run ``wrk`` against ``url`` with the Lua ``lua`` and return its figures.

    ``arguments`` go to the script's ``init(args)``. Every answer must be a 2xx unless
    ``allow_failures``: a benchmark that counts errors as
    throughput measures nothing.
    """
    threads = max(1, min(threads, connections))
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as file:
        file.write(lua)
        file.flush()
        command = [
            *("wrk", f"-t{threads}", f"-c{connections}", f"-d{max(1, round(duration))}s"),
            *("--timeout", "60s", "--latency", "-s", file.name, url),
            *(("--", *arguments) if arguments else ()),
        ]
        out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    non_2xx = _count(out, r"Non-2xx or 3xx responses:\s+(\d+)")
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    socket_errors = sum(int(group) for group in errors.groups()) if errors else 0
    if not allow_failures and (non_2xx or socket_errors):
        raise SystemExit(f"{url}: not every answer was a 2xx:\n{out}")
    return WrkResult(
        rate=float(_match(out, r"Requests/sec:\s+([\d.]+)")),
        p50_ms=_percentile(out, "50%"),
        p99_ms=_percentile(out, "99%"),
        requests=_count(out, r"(\d+) requests in"),
        non_2xx=non_2xx,
        socket_errors=socket_errors,
    )


def _match(out: str, pattern: str) -> str:
    found = re.search(pattern, out)
    if found is None:
        raise SystemExit(f"unexpected wrk output (no {pattern!r}):\n{out}")
    return found[1]


def _count(out: str, pattern: str) -> int:
    found = re.search(pattern, out)
    return int(found[1]) if found else 0


def _percentile(out: str, which: str) -> float:
    found = re.search(rf"{which}\s+([\d.]+)(us|ms|s)\b", out)
    if found is None:
        raise SystemExit(f"unexpected wrk output (no {which} latency):\n{out}")
    return float(found[1]) * _UNITS[found[2]]
