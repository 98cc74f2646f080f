"""``esruntime demo``: the event store at work, in a database of its own."""

from __future__ import annotations

from pathlib import Path

from esruntime import SqlEventStore
from tests.cli.processes import environment, run, serve


def test_demo_runs_in_its_own_sqlite_database(tmp_path: Path) -> None:
    result = run("demo", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Appended to account:demo-1 in sqlite:///esruntime-demo.db" in result.stdout
    assert "Balance of account:demo-1: 100" in result.stdout
    assert "refused" in result.stdout
    store = SqlEventStore(f"sqlite:///{tmp_path}/esruntime-demo.db")
    assert [e.type for e in store.read()] == ["AccountOpened", "MoneyDeposited"]
    store.close()
    assert not (tmp_path / "esruntime.db").exists()


def test_demo_leaves_the_servers_database_alone(tmp_path: Path) -> None:
    """The README serves ``esruntime.db`` (also when named by ESRUNTIME_DATABASE_URL), then
    suggests the demo: the demo's events must not join the tenant the bank was built in."""
    server_db = tmp_path / "esruntime.db"
    env = environment(ESRUNTIME_DATABASE_URL=f"sqlite:///{server_db}")
    served = serve(cwd=tmp_path, env=env)
    assert served.stop() == 130
    before = server_db.read_bytes()
    assert run("demo", cwd=tmp_path, env=env).returncode == 0
    assert server_db.read_bytes() == before
    store = SqlEventStore(f"sqlite:///{server_db}")
    assert list(store.read()) == []
    store.close()


def test_demo_twice_uses_a_new_account(tmp_path: Path) -> None:
    assert run("demo", cwd=tmp_path).returncode == 0
    second = run("demo", cwd=tmp_path)
    assert "account:demo-3" in second.stdout


def test_the_database_url_option_chooses_another(tmp_path: Path) -> None:
    memory = run("demo", "--database-url", "memory://", cwd=tmp_path)
    assert memory.returncode == 0, memory.stderr
    assert "Appended to account:demo-1 in memory://" in memory.stdout
    assert list(tmp_path.iterdir()) == []
    chosen = tmp_path / "chosen.db"
    assert run("demo", "--database-url", f"sqlite:///{chosen}", cwd=tmp_path).returncode == 0
    assert chosen.exists()


def test_a_bad_database_url_is_a_clear_error(tmp_path: Path) -> None:
    result = run("demo", "--database-url", "oracle://nope", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "esruntime: unsupported database URL 'oracle://nope': use memory://, sqlite:///path, "
        "postgresql://... or umadb://host:port"
    )
    assert "Traceback" not in result.stderr
