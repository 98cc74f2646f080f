"""``esruntime serve --workers N``: N forked processes on one socket and one PostgreSQL database.

The admin key is printed once, by the parent; every worker answers (a worker is shown to serve
by stopping the other with SIGSTOP: the kernel then hands every new connection to the one left);
a worker that dies is replaced; SIGTERM stops them all with exit code 0; a session cookie of the
script pages signed by one worker is accepted by the other.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import sqlalchemy
from sqlalchemy.engine import make_url

from esruntime.cli.serve import serving_processes
from esruntime.cli.workers import MAX_RESTARTS
from tests.cli.processes import STOP_SECONDS, Served, run, serve

# An upper bound for a busy machine, never an expected duration: each wait ends at its event.
WAIT_SECONDS = 120
SECRET = "a-long-configured-secret"
INFO = ("--log-level", "info")  # uvicorn then logs each worker's completed startup


@pytest.fixture
def database(postgres_url: str) -> Iterator[str]:
    """A PostgreSQL database of this test's own, empty (no API key in it yet)."""
    name = f"{make_url(postgres_url).database}_workers"
    admin = sqlalchemy.create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    yield make_url(postgres_url).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    admin.dispose()


def processes() -> list[tuple[int, int, str, str]]:
    """(pid, parent pid, state, command line) of every process, as ``ps`` lists them."""
    listed = subprocess.run(
        ["ps", "-A", "-o", "pid=", "-o", "ppid=", "-o", "stat=", "-o", "args="],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rows = (line.split(None, 3) for line in listed.splitlines())
    return [(int(row[0]), int(row[1]), row[2], row[3]) for row in rows if len(row) == 4]


def workers(served: Served) -> list[int]:
    """The pids of the serve process's running workers: children forked from it, so with its
    command line (the scripts' pool processes it may start have their own)."""
    pid = served.process.pid
    listed = processes()
    command = next(args for child, _, _, args in listed if child == pid)
    return [
        child
        for child, parent, state, args in listed
        if parent == pid and args == command and state[0] != "Z"
    ]


def wait_for_workers(served: Served, count: int, *, without: int | None = None) -> list[int]:
    """The workers once there are ``count`` of them and ``without`` is not among them."""
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        found = workers(served)
        if len(found) == count and without not in found:
            return found
        assert served.process.poll() is None, served.errors
        assert time.monotonic() < deadline, f"workers {found}, wanted {count}: {served.errors}"
        time.sleep(0.05)


def wait_for_startups(served: Served, count: int) -> None:
    """Until the workers have logged ``count`` completed startups (serve with --log-level info):
    a worker is paused only once it holds no lock its peers' startup may wait for."""
    deadline = time.monotonic() + WAIT_SECONDS
    while served.errors.count("Application startup complete.") < count:
        assert served.process.poll() is None, served.errors
        assert time.monotonic() < deadline, served.errors
        time.sleep(0.05)


@contextmanager
def paused(pid: int) -> Iterator[None]:
    """The process stopped (SIGSTOP) for the block: it accepts no connection meanwhile."""
    os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(pid, signal.SIGCONT)


def fresh(url: str, key: str | None = None) -> httpx.Client:
    """A client that opens a new connection for every request (so any worker may take it)."""
    headers = {"Connection": "close"}
    if key is not None:
        headers["Authorization"] = f"Bearer {key}"
    return httpx.Client(base_url=url, timeout=WAIT_SECONDS, headers=headers)


def stop_with_sigterm(served: Served) -> int:
    served.process.send_signal(signal.SIGTERM)
    try:
        return served.process.wait(STOP_SECONDS)
    finally:
        served.stop()  # nothing left behind whatever happened (kills after its own bound)


def gone(pid: int) -> bool:
    """No longer running: not listed, or a zombie (its parent, init, reaps it)."""
    state = next((state for child, _, state, _ in processes() if child == pid), None)
    return state is None or state[0] in ("Z", "X")


@pytest.mark.postgres
def test_two_workers_print_the_key_once_both_serve_and_sigterm_stops_all(
    tmp_path: Path, database: str
) -> None:
    served = serve("--database-url", database, "--workers", "2", *INFO, cwd=tmp_path)
    try:
        assert served.lines[0] == (
            "Created an admin API key for tenant 'default'; it is shown only this once:"
        )
        assert served.admin_key is not None
        assert served.lines[2].endswith(", 2 workers)")
        first, second = wait_for_workers(served, 2)
        wait_for_startups(served, 2)
        with fresh(served.url, served.admin_key) as client:
            for serving, stopped in ((first, second), (second, first)):
                with paused(stopped):
                    for _ in range(3):
                        health = client.get("/health")
                        assert health.status_code == 200, (serving, health.text)
                        assert health.json()["backend"] == "postgresql"
                        assert client.get("/handlers").status_code == 200  # the key is known
    except BaseException:
        served.stop()
        raise
    assert stop_with_sigterm(served) == 0
    assert gone(first)
    assert gone(second)
    assert served.lines.count(served.admin_key) == 1
    assert "Traceback" not in served.errors

    again = serve("--database-url", database, "--workers", "2", cwd=tmp_path)
    try:
        assert again.admin_key is None  # the key of the first start is in the database
        assert len(again.lines) == 1
    finally:
        assert again.stop() == 130  # SIGINT, as for one process


@pytest.mark.postgres
def test_a_worker_that_dies_is_replaced_and_the_other_serves_meanwhile(
    tmp_path: Path, database: str
) -> None:
    served = serve(
        "--database-url", database, "--workers", "2", "--api-key", SECRET, *INFO, cwd=tmp_path
    )
    try:
        killed, other = wait_for_workers(served, 2)
        wait_for_startups(served, 2)
        os.kill(killed, signal.SIGKILL)
        with fresh(served.url) as client:
            for _ in range(20):
                assert client.get("/health").status_code == 200
        replaced = wait_for_workers(served, 2, without=killed)
        assert other in replaced
        with paused(other), fresh(served.url) as client:  # the new worker alone
            assert client.get("/health").status_code == 200
        assert f"worker {killed} exited with -9; starting another" in served.errors
    except BaseException:
        served.stop()
        raise
    assert stop_with_sigterm(served) == 0
    assert all(gone(pid) for pid in replaced)


@pytest.mark.postgres
def test_workers_that_keep_dying_stop_the_server_with_exit_code_5(
    tmp_path: Path, database: str
) -> None:
    served = serve("--database-url", database, "--workers", "2", "--api-key", SECRET, cwd=tmp_path)
    try:
        victim = wait_for_workers(served, 2)[0]
        for _ in range(MAX_RESTARTS):
            os.kill(victim, signal.SIGKILL)
            victim = next(pid for pid in wait_for_workers(served, 2, without=victim))
        os.kill(victim, signal.SIGKILL)
        code = served.process.wait(STOP_SECONDS)
    finally:
        served.stop()
    assert code == 5
    assert re.search(rf"{MAX_RESTARTS} restarts in 60 s already: stopping", served.errors)


def _csrf(text: str) -> str:
    found = re.search(r'name="_csrf" value="(\w+)"', text)
    assert found is not None
    return found.group(1)


@pytest.mark.postgres
def test_a_session_of_the_script_pages_is_valid_on_every_worker(
    tmp_path: Path, database: str
) -> None:
    served = serve(
        "--database-url", database, "--workers", "2", "--api-key", SECRET, *INFO, cwd=tmp_path
    )
    try:
        first, second = wait_for_workers(served, 2)
        wait_for_startups(served, 2)
        with fresh(served.url.removesuffix("/v1")) as browser:
            with paused(second):  # the first worker signs the session
                login = browser.get("/scripts")
                assert login.status_code == 401
                signed = browser.post(
                    "/scripts/login",
                    data={"ApiKey": SECRET, "_csrf": _csrf(login.text), "next": "/scripts"},
                )
                assert signed.status_code == 303, signed.text
            with paused(first):  # the second reads it
                listing = browser.get("/scripts")
                assert listing.status_code == 200, listing.text
    finally:
        served.stop()


def test_the_number_of_workers_follows_the_database_or_the_option(tmp_path: Path) -> None:
    assert serving_processes(None, "sqlite:///esruntime.db") == 1
    assert serving_processes(None, "postgresql+psycopg://db/app") == (os.cpu_count() or 1)
    assert serving_processes(3, "sqlite:///esruntime.db") == 3
    none = run("serve", "--port", "0", "--workers", "0", cwd=tmp_path)
    assert none.returncode == 2
    assert none.stderr == "esruntime: --workers must be at least 1, got 0\n"
    memory = run(
        "serve", "--port", "0", "--workers", "2", "--database-url", "memory://", cwd=tmp_path
    )
    assert memory.returncode == 2
    assert "needs a database the processes share, not memory://" in memory.stderr


def test_one_worker_on_sqlite_serves_from_the_serve_process_and_sigterm_exits_0(
    tmp_path: Path,
) -> None:
    served = serve("--api-key", SECRET, cwd=tmp_path)
    try:
        assert served.lines[-1].endswith("(database sqlite:///esruntime.db)")
        assert workers(served) == []
        with fresh(served.url) as client:
            assert client.get("/health").status_code == 200
    except BaseException:
        served.stop()
        raise
    assert stop_with_sigterm(served) == 0
