"""Database URLs on the command line and in the library: a missing driver, a mistyped URL and a
mistyped SQLite path each get one clear line and a non-zero exit, never a traceback, and a
command that only reads or changes a database never creates one."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tests.cli.processes import ROOT, environment, run

POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
NEEDS_PSYCOPG = "a PostgreSQL database needs the psycopg driver"
INSTALL_POSTGRES = "pip install 'esruntime[postgres]'"
# As if psycopg were not installed: importing it raises ModuleNotFoundError.
WITHOUT_PSYCOPG = "import sys; sys.modules['psycopg'] = None; "


def without_psycopg(code: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a Python process where psycopg cannot be imported."""
    return subprocess.run(
        [sys.executable, "-c", WITHOUT_PSYCOPG + code, *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=environment(),
        timeout=120,
        check=False,
    )


def one_line(stderr: str) -> str:
    assert "Traceback" not in stderr
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    return lines[0]


CLI = "from esruntime.cli import main; sys.exit(main())"


@pytest.mark.parametrize(
    "command",
    [("keys", "list"), ("keys", "create"), ("serve", "--port", "0"), ("demo",)],
    ids=" ".join,
)
def test_a_postgresql_url_without_the_driver_names_the_extra_to_install(
    command: tuple[str, ...], tmp_path: Path
) -> None:
    result = without_psycopg(CLI, *command, "--database-url", POSTGRES, cwd=tmp_path)
    line = one_line(result.stderr)
    assert line.startswith(f"esruntime: {NEEDS_PSYCOPG}")
    assert line.endswith(INSTALL_POSTGRES)
    assert result.returncode == (1 if command == ("demo",) else 2)


def test_the_library_names_the_extra_when_the_driver_is_missing(tmp_path: Path) -> None:
    code = (
        "from esruntime import ConfigurationError, Runtime, open_event_store\n"
        "for open_ in (Runtime.from_url, open_event_store):\n"
        "    try:\n"
        f"        open_({POSTGRES!r})\n"
        "    except ConfigurationError as exc:\n"
        "        print(exc)\n"
    )
    result = without_psycopg(code, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    for line in lines:
        assert line.startswith(NEEDS_PSYCOPG)
        assert line.endswith(INSTALL_POSTGRES)


def test_the_server_extra_installs_the_postgresql_driver() -> None:
    """``serve --database-url postgresql://...`` (and ``--scripts-cache redis://...``) are
    documented for the ``[server]`` install."""
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    assert extras["server"] == ["esruntime[fastapi,postgres,redis]"]
    assert any(requirement.startswith("psycopg") for requirement in extras["postgres"])


@pytest.mark.parametrize(
    "command",
    [
        ("keys", "list"),
        ("keys", "revoke", "0123456789abcdef"),
        ("keys", "create"),
        ("serve", "--port", "0"),
    ],
    ids=" ".join,
)
def test_an_unreadable_database_url_is_one_line_that_shows_the_forms(
    command: tuple[str, ...], tmp_path: Path
) -> None:
    result = run(*command, "--database-url", "sqlite:/x.db", cwd=tmp_path)
    assert result.returncode == 2
    assert one_line(result.stderr) == (
        "esruntime: cannot read the database URL 'sqlite:/x.db': use sqlite:///relative/path.db, "
        "sqlite:////absolute/path.db, postgresql://user@host/db or memory://"
    )
    assert list(tmp_path.iterdir()) == []


def test_a_sqlite_url_with_two_slashes_says_how_many_it_takes(tmp_path: Path) -> None:
    result = run("keys", "create", "--database-url", "sqlite://x.db", cwd=tmp_path)
    assert result.returncode == 2
    assert one_line(result.stderr).startswith(
        "esruntime: database URL 'sqlite://x.db' names a host: a SQLite URL has three slashes"
    )


def test_an_unreadable_url_never_shows_its_password(tmp_path: Path) -> None:
    result = run("keys", "list", "--database-url", "postgres:/me:s3cret@db/app", cwd=tmp_path)
    assert result.returncode == 2
    assert "s3cret" not in result.stderr
    assert one_line(result.stderr).startswith(
        "esruntime: cannot read the database URL 'postgres:...@db/app'"
    )


@pytest.mark.parametrize(
    "command", [("keys", "list"), ("keys", "revoke", "0123456789abcdef")], ids=" ".join
)
def test_keys_list_and_revoke_refuse_a_missing_sqlite_file_and_do_not_create_it(
    command: tuple[str, ...], tmp_path: Path
) -> None:
    typo = tmp_path / "esrunitme.db"
    result = run(*command, "--database-url", f"sqlite:///{typo}", cwd=tmp_path)
    assert result.returncode == 2
    assert one_line(result.stderr) == (
        f"esruntime: no database at sqlite:///{typo}: the file {typo} does not exist "
        "(esruntime serve and esruntime keys create make it)"
    )
    assert list(tmp_path.iterdir()) == []
    default = run(*command, cwd=tmp_path)
    assert default.returncode == 2
    assert "the file esruntime.db does not exist" in default.stderr
    assert list(tmp_path.iterdir()) == []


def test_keys_create_makes_the_database_that_keys_list_then_reads(tmp_path: Path) -> None:
    created = run("keys", "create", "--tenant", "acme", cwd=tmp_path)
    assert created.returncode == 0, created.stderr
    assert (tmp_path / "esruntime.db").exists()
    listed = run("keys", "list", "--json", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert '"tenant": "acme"' in listed.stdout
