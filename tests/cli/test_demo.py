"""``esruntime demo``: the event store at work, on the embedded SQLite default."""

from __future__ import annotations

from pathlib import Path

from esruntime import SqlEventStore
from tests.cli.processes import run


def test_demo_runs_on_the_embedded_sqlite_default(tmp_path: Path) -> None:
    result = run("demo", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Balance of account:demo-1: 100" in result.stdout
    assert "refused" in result.stdout
    store = SqlEventStore(f"sqlite:///{tmp_path}/esruntime.db")
    assert [e.type for e in store.read()] == ["AccountOpened", "MoneyDeposited"]
    store.close()


def test_demo_twice_uses_a_new_account(tmp_path: Path) -> None:
    assert run("demo", cwd=tmp_path).returncode == 0
    second = run("demo", cwd=tmp_path)
    assert "account:demo-3" in second.stdout


def test_a_bad_database_url_is_a_clear_error(tmp_path: Path) -> None:
    result = run("demo", "--database-url", "oracle://nope", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "esruntime: unsupported database URL 'oracle://nope': use sqlite:///path or postgresql://..."
    )
    assert "Traceback" not in result.stderr
