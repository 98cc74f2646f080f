"""One reader working through one page: a folder, a terminal whose folder and exported variables
carry from block to block, a Python interpreter whose names do, and the servers they started.

The folder holds a link to the repository's ``examples/`` (the pages are read from a checkout's
root). Two things differ from a reader's terminal, both so that tests can run side by side: a
server is started with ``--port 0``, and ``127.0.0.1:8000`` in later blocks becomes the port it
took (``ESRUNTIME_URL`` names it too, as the reader's default would).
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

from esruntime.schema import parse_schema
from tests.cli.processes import Served, environment, serve
from tests.client.typescript import run_program
from tests.docs.snippets import ROOT, Block

DRIVER = Path(__file__).with_name("driver.py")
DOCUMENTED = "127.0.0.1:8000"


class SnippetFailed(AssertionError):
    """A block did not run as written."""


class Session:
    def __init__(self, folder: Path) -> None:
        self.cwd = folder
        (folder / "examples").symlink_to(ROOT / "examples")
        self.state = folder.parent / f"{folder.name}-state"
        self.state.mkdir()
        self.env = environment(ESRUNTIME=str(ROOT))
        # `esruntime` in a block is this checkout's, run by this interpreter, as installed.
        tools = folder.parent / f"{folder.name}-bin"
        tools.mkdir()
        shim = tools / "esruntime"
        shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m esruntime "$@"\n')
        shim.chmod(0o755)
        self.env["PATH"] = f"{tools}{os.pathsep}{self.env.get('PATH', '')}"
        self.servers: list[Served] = []
        self.address = DOCUMENTED
        self._python: subprocess.Popen[str] | None = None

    # -- servers ---------------------------------------------------------------------------

    def serve(self, *args: str) -> Served:
        """``esruntime serve ARGS`` in the terminal's folder, in the background; its admin key,
        if it printed one, is exported as the reader is told to."""
        served = serve(*args, cwd=self.cwd, env=dict(self.env))
        self.servers.append(served)
        self.address = served.url.split("//", 1)[1].split("/", 1)[0]
        self.env["ESRUNTIME_URL"] = served.url
        if served.admin_key is not None:
            self.env["ESRUNTIME_API_KEY"] = served.admin_key
        return served

    def close(self) -> None:
        if self._python is not None:
            assert self._python.stdin is not None
            self._python.stdin.close()
            self._python.wait(60)
            if self._python.stdout is not None:
                self._python.stdout.close()
        for served in self.servers:
            served.stop()

    # -- blocks ----------------------------------------------------------------------------

    def run(self, block: Block) -> str:
        """Run ``block`` as its page means it; its output (stdout)."""
        if block.no_run is not None:
            return ""
        if block.file is not None:
            (self.cwd / block.file).write_text(self._localized(block.text))
            return ""
        if block.lang == "esdl":
            parse_schema(block.text)
            return ""
        if block.lang == "json":
            json.loads(block.text)
            return ""
        if block.lang in ("sh", "bash"):
            server = _serve_line(block.text)
            if server is not None:
                self.serve(*server)
                return ""
            return self.shell(block)
        if block.lang == "python":
            return self.python(block)
        if block.lang == "typescript":
            return self.typescript(block)
        return ""

    def shell(self, block: Block) -> str:
        keep = f'pwd > "{self.state}/cwd"; env -0 > "{self.state}/env"'
        script = f"trap '{keep}' EXIT\nset -eo pipefail\n" + self._localized(block.text)
        done = subprocess.run(
            ["bash", "-c", script],
            cwd=self.cwd,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        if done.returncode != 0:
            raise SnippetFailed(
                f"{block.where}: exit {done.returncode}\n{done.stdout}\n{done.stderr}"
            )
        self.cwd = Path((self.state / "cwd").read_text().strip())
        pairs = (self.state / "env").read_bytes().decode().split("\0")
        self.env = dict(pair.split("=", 1) for pair in pairs if "=" in pair)
        return done.stdout

    def python(self, block: Block) -> str:
        if self._python is None:
            self._python = subprocess.Popen(
                [sys.executable, str(DRIVER)],
                cwd=self.cwd,
                env=self.env,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
        assert self._python.stdin is not None
        assert self._python.stdout is not None
        request = {"code": self._localized(block.text), "name": block.where}
        self._python.stdin.write(json.dumps(request) + "\n")
        self._python.stdin.flush()
        answer = self._python.stdout.readline()
        if not answer:
            raise SnippetFailed(f"{block.where}: the interpreter ended")
        result = json.loads(answer)
        if result["error"] is not None:
            raise SnippetFailed(f"{block.where}:\n{result['error']}")
        output: str = result["output"]
        return output

    def typescript(self, block: Block) -> str:
        """A program of its own, type-checked and run with node in the terminal's folder, with
        ``@esruntime/sdk`` importable as ``npm install <checkout>/clients/typescript`` makes it."""
        project = self.state.parent / f"{self.state.name}-ts"
        project.mkdir(exist_ok=True)
        name = f"block_{block.line}"
        done = run_program(project, name, self._localized(block.text), self.env, cwd=self.cwd)
        if done.returncode != 0:
            raise SnippetFailed(
                f"{block.where}: exit {done.returncode}\n{done.stdout}\n{done.stderr}"
            )
        return done.stdout

    def _localized(self, text: str) -> str:
        return text.replace(DOCUMENTED, self.address)


def _serve_line(text: str) -> list[str] | None:
    """The arguments of a block that only starts ``esruntime serve``, else None."""
    commands = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    if len(commands) != 1:
        return None
    words = shlex.split(commands[0], comments=True)
    return words[2:] if words[:2] == ["esruntime", "serve"] else None
