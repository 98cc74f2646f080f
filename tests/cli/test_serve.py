"""``esruntime serve`` as a real process: the admin key printed once, the database chosen by
option or environment, a configured key, Python handlers, and refusals at start."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from esruntime import SqlEventStore
from esruntime.cli.database import shown
from esruntime.client import Client, ForbiddenError, UnauthorizedError
from tests.cli.processes import environment, run, serve
from tests.commands.bank import SCHEMA


def test_the_first_start_prints_an_admin_key_once_and_the_second_does_not(
    tmp_path: Path,
) -> None:
    first = serve(cwd=tmp_path)
    try:
        assert first.lines[0] == (
            "Created an admin API key for tenant 'default'; it is shown only this once:"
        )
        assert first.admin_key is not None
        assert first.url.startswith("http://127.0.0.1:")
        assert first.url.endswith("/v1")
        assert first.lines[2] == f"Serving {first.url} (database sqlite:///esruntime.db)"
        assert (tmp_path / "esruntime.db").exists()
        with Client(first.url, api_key=first.admin_key) as client:
            assert client.health().details["backend"] == "sqlite"
            assert "esruntime" in client.metrics()  # metrics need admin
    finally:
        assert first.stop() == 130

    second = serve(cwd=tmp_path)
    try:
        assert second.admin_key is None
        assert second.lines == [f"Serving {second.url} (database sqlite:///esruntime.db)"]
        with Client(second.url, api_key=first.admin_key) as client:
            assert client.list_handlers() == []
    finally:
        assert second.stop() == 130
    assert first.admin_key not in first.errors + second.errors
    assert "Traceback" not in first.errors + second.errors


def test_the_database_comes_from_the_environment_or_the_option_which_wins(
    tmp_path: Path,
) -> None:
    from_env = tmp_path / "from-env.db"
    env = environment(ESRUNTIME_DATABASE_URL=f"sqlite:///{from_env}")
    served = serve(cwd=tmp_path, env=env)
    served.stop()
    assert from_env.exists()
    assert served.admin_key is not None
    assert f"(database sqlite:///{from_env})" in served.lines[-1]

    chosen = tmp_path / "chosen.db"
    again = serve("--database-url", f"sqlite:///{chosen}", cwd=tmp_path, env=env)
    again.stop()
    assert chosen.exists()
    assert again.admin_key is not None  # a new database: no key yet
    assert not (tmp_path / "esruntime.db").exists()


def test_a_configured_api_key_is_an_admin_and_no_key_is_created(tmp_path: Path) -> None:
    secret = "a-long-configured-secret"
    served = serve("--api-key", secret, cwd=tmp_path)
    try:
        assert served.admin_key is None
        with Client(served.url, api_key=secret) as admin:
            assert admin.push_schema(SCHEMA).status == "ok"
        with (
            Client(served.url, api_key=secret + "x") as stranger,
            pytest.raises(UnauthorizedError),
        ):
            stranger.get_schema()
    finally:
        served.stop()
    listed = run("keys", "list", cwd=tmp_path)
    assert listed.returncode == 0
    assert listed.stdout.splitlines()[1:] == []


def test_python_handlers_are_served_with_the_handler_option(tmp_path: Path) -> None:
    served = serve(
        "--handler",
        "tests.commands.bank:OpenAccount",
        "--handler",
        "tests.commands.bank:Deposit",
        cwd=tmp_path,
    )
    try:
        with Client(served.url, api_key=served.admin_key) as client:
            client.push_schema(SCHEMA)
            assert {h.name for h in client.list_handlers()} == {"open_account", "deposit"}
            opened = client.execute("open_account", {"account_id": "a1", "owner": "Ada"})
            assert opened.status == "ok"
        with Client(served.url, api_key=_reader_key(tmp_path)) as reader:
            assert len(reader.query_events().events) == 1
            with pytest.raises(ForbiddenError):
                reader.push_schema(SCHEMA)
    finally:
        served.stop()


def _reader_key(home: Path) -> str:
    created = run("keys", "create", "--permission", "events.read", cwd=home)
    assert created.returncode == 0, created.stderr
    return created.stdout.strip()


def test_refusals_at_start_name_the_problem(tmp_path: Path) -> None:
    weak = run("serve", "--api-key", "short", cwd=tmp_path)
    assert weak.returncode == 2
    assert weak.stderr == (
        "esruntime: --api-key must be at least 16 printable ASCII characters without spaces\n"
    )
    handler = run("serve", "--handler", "tests.commands.bank:SCHEMA", cwd=tmp_path)
    assert handler.returncode == 2
    assert "'SCHEMA' is not a PythonHandler class in tests.commands.bank" in handler.stderr
    missing = run("serve", "--handler", "no_such_module:Thing", cwd=tmp_path)
    assert missing.returncode == 2
    assert "cannot import 'no_such_module'" in missing.stderr
    database = run("serve", "--port", "0", "--database-url", "oracle://nope", cwd=tmp_path)
    assert database.returncode == 2
    assert "oracle" in database.stderr
    assert "Traceback" not in handler.stderr + missing.stderr + database.stderr
    threads = run("serve", "--port", "0", "--threads", "0", cwd=tmp_path)
    assert (threads.returncode, threads.stderr) == (
        2, "esruntime: --threads must be 1 or more, got 0\n"
    )  # fmt: skip
    cache = run("serve", "--port", "0", "--key-cache-seconds", "-1", cwd=tmp_path)
    assert (cache.returncode, cache.stderr) == (
        2, "esruntime: --key-cache-seconds must be 0 or more, got -1.0\n"
    )  # fmt: skip


def test_the_defaults_of_serve_are_those_of_the_modules_it_runs() -> None:
    from esruntime.auth.keys import DEFAULT_KEY_CACHE_SECONDS
    from esruntime.cli import serve
    from esruntime.contrib.fastapi.threads import DEFAULT_THREADS

    assert serve.DEFAULT_THREADS == DEFAULT_THREADS
    assert serve.DEFAULT_KEY_CACHE_SECONDS == DEFAULT_KEY_CACHE_SECONDS


def test_a_port_in_use_is_refused(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run("serve", "--port", str(port), cwd=tmp_path)
    assert result.returncode == 5
    assert result.stderr.startswith(f"esruntime: cannot listen on 127.0.0.1:{port}: ")


@pytest.mark.postgres
def test_serve_keeps_everything_in_postgresql(tmp_path: Path, postgres_url: str) -> None:
    secret = "a-long-configured-secret"
    served = serve(
        "--database-url",
        postgres_url,
        "--api-key",
        secret,
        "--handler",
        "tests.commands.bank:OpenAccount",
        cwd=tmp_path,
    )
    try:
        processes = os.cpu_count() or 1  # serve's default on PostgreSQL
        many = f", {processes} workers" if processes > 1 else ""
        assert served.lines == [f"Serving {served.url} (database {shown(postgres_url)}{many})"]
        with Client(served.url, api_key=secret) as client:
            assert client.health().details["backend"] == "postgresql"
            client.push_schema(SCHEMA)
            opened = client.execute("open_account", {"account_id": "pg-1", "owner": "Ada"})
            assert opened.status == "ok"
    finally:
        served.stop()
    store = SqlEventStore(postgres_url)
    try:
        assert [e.data["account_id"] for e in store.read() if e.type == "AccountOpened"] == ["pg-1"]
    finally:
        store.close()
    assert not (tmp_path / "esruntime.db").exists()


def test_passwords_in_database_urls_are_never_printed() -> None:
    assert shown("postgresql+psycopg://me:s3cret@db:5432/app") == (
        "postgresql+psycopg://me:***@db:5432/app"
    )
    assert shown("sqlite:///data/esruntime.db") == "sqlite:///data/esruntime.db"
    assert shown("memory://") == "memory://"
