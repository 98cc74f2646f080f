"""A pool's worker process: started with a minimal environment, spoken to over its pipes."""

from __future__ import annotations

import os
import subprocess
import sys
from multiprocessing.connection import Connection
from pathlib import Path

import esruntime
from esruntime.errors import ScriptRunnerError
from esruntime.scripts.engines.protocol import Channel, ProtocolError

__all__ = ["WorkerProcess", "kill_all"]

_ENVIRONMENT = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR", "SYSTEMROOT", "LD_LIBRARY_PATH")
"""The variables a worker inherits: nothing of the host's configuration or secrets."""


class WorkerProcess:
    """One worker process and its pipes."""

    def __init__(self, engine: str, start_timeout: float) -> None:
        package_root = str(Path(esruntime.__file__).resolve().parent.parent)
        env = {name: os.environ[name] for name in _ENVIRONMENT if name in os.environ}
        path = [package_root, *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
        env.update(PYTHONPATH=os.pathsep.join(path), MALLOC_ARENA_MAX="2", PYTHONNOUSERSITE="1")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "esruntime.scripts.engines.worker", engine],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            close_fds=True,
            start_new_session=True,
        )
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.channel = Channel(
            Connection(os.dup(self.process.stdout.fileno()), writable=False),
            Connection(os.dup(self.process.stdin.fileno()), readable=False),
        )
        self.process.stdin.close()
        self.process.stdout.close()
        try:
            if not self.channel.reading.poll(start_timeout):
                raise ScriptRunnerError(f"a {engine} script worker did not start in time")
            if self.channel.receive(4096).get("op") != "ready":
                raise ScriptRunnerError(f"a {engine} script worker started badly")
        except (EOFError, OSError, ProtocolError) as error:
            self.kill()
            raise ScriptRunnerError(f"a {engine} script worker failed to start: {error}") from None
        except ScriptRunnerError:
            self.kill()
            raise

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        self.channel.close()

    def stop(self, timeout: float) -> None:
        """Ask an idle worker to exit; kill it if it does not."""
        try:
            self.channel.send({"op": "exit"})
            self.process.wait(timeout)
        except (OSError, subprocess.TimeoutExpired):
            pass
        self.kill()

    def describe_exit(self) -> str:
        try:
            code = self.process.wait(1.0)
        except subprocess.TimeoutExpired:
            return "closed its pipe"
        if code < 0:
            try:
                import signal

                return f"killed by {signal.Signals(-code).name}"
            except ValueError:
                return f"killed by signal {-code}"
        return f"exited with code {code}"


def kill_all(processes: set[subprocess.Popen[bytes]]) -> None:
    for process in list(processes):
        if process.poll() is None:
            process.kill()
        process.wait()
