"""Running the ``esruntime`` command: as a process (``python -m esruntime``), and ``serve`` in
the background on a SQLite file, its announced URL and admin key read from its output."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

from attrs import define, field

ENV_NAMES = (
    "ESRUNTIME_URL",
    "ESRUNTIME_API_KEY",
    "ESRUNTIME_DATABASE_URL",
    "ESRUNTIME_EVENT_STORE_URL",
    "ESRUNTIME_THREADS",
    "ESRUNTIME_KEY_CACHE_SECONDS",
)
ROOT = Path(__file__).resolve().parents[2]
SERVE = (sys.executable, "-m", "esruntime", "serve", "--port", "0", "--log-level", "warning")
# Upper bounds for a busy machine, never expected durations: each wait ends at its event.
START_SECONDS = 180
STOP_SECONDS = 180


def environment(**values: str) -> dict[str, str]:
    """The test process's environment without ESRUNTIME_* settings, plus ``values``."""
    env = {k: v for k, v in os.environ.items() if k not in ENV_NAMES}
    env["PYTHONPATH"] = str(ROOT)
    env.update(values)
    return env


def run(
    *args: str, cwd: Path, env: dict[str, str] | None = None, stdin: bytes | None = None
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "esruntime", *args],
        capture_output=True,
        cwd=cwd,
        env=env or environment(),
        input=stdin,
        timeout=240,  # a bound for a busy machine
        check=False,
    )
    return subprocess.CompletedProcess(
        result.args, result.returncode, result.stdout.decode(), result.stderr.decode()
    )


@define
class Served:
    """``esruntime serve`` running in the background."""

    process: subprocess.Popen[bytes]
    lines: list[str]
    stderr: Path
    url: str = ""
    admin_key: str | None = None
    _queue: queue.Queue[str | None] = field(factory=queue.Queue)
    _pump: threading.Thread = field(factory=threading.Thread)

    def stop(self) -> int:
        """Interrupt the server (as Ctrl-C does) and return its exit code: 130, as for any
        interrupted command, after a graceful shutdown."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        try:
            code = self.process.wait(STOP_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()  # never left behind
            self.process.wait()
            raise AssertionError(
                f"esruntime serve did not stop within {STOP_SECONDS} s of SIGINT: {self.errors}"
            ) from None
        self._pump.join(STOP_SECONDS)  # ends with the process's stdout
        if self.process.stdout is not None:
            self.process.stdout.close()
        return code

    @property
    def errors(self) -> str:
        return self.stderr.read_text()


def serve(*args: str, cwd: Path, env: dict[str, str] | None = None) -> Served:
    """Start ``esruntime serve --port 0 ARGS`` and wait until it announces its URL."""
    stderr = cwd / f"serve-{len(list(cwd.glob('serve-*.log')))}.log"
    with stderr.open("wb") as errors:
        process = subprocess.Popen(
            [*SERVE, *args],
            cwd=cwd,
            env=env or environment(),
            stdout=subprocess.PIPE,
            stderr=errors,
        )
    served = Served(process, [], stderr)

    def pump() -> None:
        assert process.stdout is not None
        for raw in process.stdout:
            served._queue.put(raw.decode().rstrip("\n"))
        served._queue.put(None)

    served._pump = threading.Thread(target=pump, daemon=True)
    served._pump.start()
    while True:
        try:
            line = served._queue.get(timeout=START_SECONDS)
        except queue.Empty:
            served.stop()
            raise RuntimeError("esruntime serve did not announce itself") from None
        if line is None:
            raise RuntimeError(f"esruntime serve stopped: {served.lines} {stderr.read_text()}")
        served.lines.append(line)
        if line.startswith("esr_"):
            served.admin_key = line
        match = re.match(r"Serving (http://\S+)", line)
        if match:
            served.url = match.group(1)
            return served
