"""A real UmaDB server for the tests: the ``umadb`` package's server script on a free port.

The server keeps its data in a directory of its own, so it can be killed (SIGKILL) and started
again on the same port and data to test what survives. Its data file is preallocated (256 MiB of
real blocks, whatever it holds), so ``stop`` deletes it: hundreds of tests start a server each.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sysconfig
import time
from pathlib import Path

import pytest

__all__ = ["REQUIRE_UMADB", "UmaDbServer", "tls_files", "umadb_unavailable"]

REQUIRE_UMADB = os.environ.get("ESRUNTIME_REQUIRE_UMADB") == "1"
START_TIMEOUT = 30.0


def umadb_unavailable(reason: str) -> None:
    """Skip the test, or fail it when CI requires UmaDB (ESRUNTIME_REQUIRE_UMADB=1)."""
    if REQUIRE_UMADB:
        pytest.fail(f"ESRUNTIME_REQUIRE_UMADB=1 but {reason}")
    pytest.skip(reason)


def _server_script() -> str | None:
    return shutil.which("umadb", path=sysconfig.get_path("scripts")) or shutil.which("umadb")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class UmaDbServer:
    """A UmaDB server process on 127.0.0.1 with its data in ``directory``."""

    def __init__(self, directory: Path, *options: str) -> None:
        script = _server_script()
        if script is None:
            umadb_unavailable("the umadb server script is not installed (pip install umadb)")
        assert script is not None
        self._script = script
        self.directory = directory
        self.port = _free_port()
        self.options = options  # more of the server's options: --api-key, --tls-cert, ...
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"umadb://127.0.0.1:{self.port}"

    def start(self) -> UmaDbServer:
        """Start the server and return once it accepts connections."""
        self.directory.mkdir(parents=True, exist_ok=True)
        log = (self.directory / "server.log").open("ab")
        args = ["--listen", f"127.0.0.1:{self.port}", "--db-path", str(self.directory / "db")]
        args += self.options
        self._process = subprocess.Popen(
            [self._script, *args], stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT
        )
        log.close()
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if self._process.poll() is not None:
                log_text = (self.directory / "server.log").read_text(errors="replace")
                raise RuntimeError(f"the UmaDB server exited:\n{log_text[-2000:]}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"UmaDB not listening after {START_TIMEOUT}s") from None
                time.sleep(0.02)

    def kill(self) -> None:
        """SIGKILL the server: no chance to flush or close anything."""
        if self._process is not None:
            self._process.kill()
            self._process.wait()
            self._process = None

    def stop(self) -> None:
        """Stop the server for good and delete its data file (the log stays)."""
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None
        (self.directory / "db").unlink(missing_ok=True)


def tls_files(directory: Path) -> tuple[Path, Path, Path]:
    """A CA certificate, and a server certificate and key for 127.0.0.1 signed by it (the
    client's TLS library refuses a self-signed certificate as the server's)."""
    if shutil.which("openssl") is None:
        umadb_unavailable("the openssl command is needed to make test certificates")
    ca_key, ca, key, request, cert = (
        directory / name for name in ("ca.key", "ca.pem", "server.key", "server.csr", "server.pem")
    )
    extensions = directory / "server.ext"
    extensions.write_text("subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n")
    ec = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes")
    for command in (
        ["req", "-x509", *ec, "-days", "1", "-subj", "/CN=test CA", "-keyout", ca_key, "-out", ca],
        ["req", "-new", *ec, "-subj", "/CN=127.0.0.1", "-keyout", key, "-out", request],
        [
            *("x509", "-req", "-in", request, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial"),
            *("-days", "1", "-extfile", extensions, "-out", cert),
        ],
    ):
        subprocess.run(["openssl", *map(str, command)], check=True, capture_output=True)
    return ca, cert, key
