"""``esruntime scripts ...`` against ``esruntime serve`` (uvicorn, in a process), and serve's
script options: the hooks prefix, the body limit, sdk.db, the sdk.http allowlist and the cache."""

from __future__ import annotations

import json
import sqlite3
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from esruntime.cli import main
from tests.cli.conftest import tenant_key
from tests.cli.processes import ENV_NAMES, Served, environment, run, serve
from tests.scripts.test_sdk_cache import require_redis

Outcome = tuple[int, str, str]


@pytest.fixture
def cli(served: Served, database: str, capsys: pytest.CaptureFixture[str], monkeypatch: Any) -> Any:
    """``cli(*args)`` runs ``esruntime ARGS`` as an admin of a new tenant of the served database."""
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)
    key = tenant_key(database, f"scripts-{uuid.uuid4().hex[:12]}")

    def invoke(*args: str, key: str | None = key) -> Outcome:
        options = ["--url", served.url] + (["--api-key", key] if key else [])
        code = main([*args, *options])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    invoke.key = key  # type: ignore[attr-defined]
    return invoke


def write(tmp_path: Path, name: str, content: str) -> str:
    path = tmp_path / name
    path.write_text(content)
    return str(path)


def test_a_script_is_created_run_changed_and_deleted(cli: Any, tmp_path: Path) -> None:
    source = write(tmp_path, "double.js", "return context.input.n * 2;")
    code, out, _ = cli("scripts", "create", source, "--name", "double", "--type", "oneoff")
    assert code == 0
    assert out.startswith("Created double (")
    assert out.endswith("version 1, draft\n")

    assert cli("scripts", "run", "double", '{"n": 21}') == (0, "42\n", "")
    code, out, _ = cli("scripts", "run", "double", '{"n": 1}', "--json")
    assert (code, json.loads(out)["output"]) == (0, 2)

    code, out, err = cli("scripts", "list")
    assert code == 0
    assert out.splitlines()[0].split() == ["ID", "NAME", "TYPE", "STATUS", "VERSION", "TRIGGER"]
    assert "double" in out
    assert "page 1 of 1, 1 script(s)" in err

    newer = write(tmp_path, "triple.js", "return context.input.n * 3;")
    code, out, _ = cli("scripts", "update", "double", newer, "--description", "now triples")
    assert (code, "version 2" in out) == (0, True)
    assert cli("scripts", "run", "double", '{"n": 2}')[1] == "6\n"

    code, out, _ = cli("scripts", "versions", "double")
    assert [line.split()[0] for line in out.splitlines()] == ["VERSION", "1", "2"]
    assert cli("scripts", "rollback", "double", "1")[0] == 0
    assert cli("scripts", "run", "double", '{"n": 2}')[1] == "4\n"

    code, out, _ = cli("scripts", "show", "double")
    assert code == 0
    assert "now triples" in out
    assert out.rstrip().endswith("return context.input.n * 2;")

    code, out, _ = cli("scripts", "executions", "double", "--json")
    executions = json.loads(out)["executions"]
    assert [e["output"] for e in executions] == [4, 6, 2, 42]
    code, out, _ = cli("scripts", "executions", "double", executions[0]["id"])
    assert (code, "completed" in out) == (0, True)

    assert cli("scripts", "delete", "double") == (0, "Deleted double\n", "")
    code, _, err = cli("scripts", "show", "double")
    assert (code, err) == (4, "esruntime: no script has the id or name 'double'\n")


def test_a_failed_run_exits_1_with_its_error(cli: Any, tmp_path: Path) -> None:
    source = write(tmp_path, "fail.js", "\nthrow new TypeError('bad input');")
    cli("scripts", "create", source, "--name", "failing", "--type", "oneoff")
    code, out, err = cli("scripts", "run", "failing")
    assert (code, out) == (1, "")
    assert "failed: TypeError: bad input (line 2)" in err


def test_http_scripts_are_created_with_their_trigger_and_answer_under_hooks(
    cli: Any, tmp_path: Path, served: Served
) -> None:
    source = write(
        tmp_path, "hook.js", "return {status: 200, body: context.trigger.httpRequest.body};"
    )
    code, _, err = cli(
        "scripts", "create", source, "--name", "echo", "--type", "http", "--status", "active",
        "--http-path", "/echo", "--method", "POST", "--limit", "max_http_requests_per_minute=5",
    )  # fmt: skip
    assert code == 0, err
    code, out, _ = cli("scripts", "list", "--type", "http")
    assert "POST /echo" in out
    origin = served.url.removesuffix("/v1")
    reply = httpx.post(
        f"{origin}/hooks/echo", json={"a": 1}, headers={"Authorization": f"Bearer {cli.key}"}
    )
    assert reply.json() == {"a": 1}
    assert httpx.post(f"{origin}/hooks/echo").status_code == 401
    code, _, _ = cli("scripts", "update", "echo", "--public")
    # Public, but of another tenant than the default one anonymous callers reach.
    assert httpx.post(f"{origin}/hooks/echo").status_code == 401


def test_show_lists_a_scheduled_scripts_next_runs(cli: Any, tmp_path: Path) -> None:
    source = write(tmp_path, "report.js", "return 1;")
    common = ("--type", "scheduled", "--cron", "0 8 * * *", "--timezone", "Asia/Tokyo")
    cli("scripts", "create", source, "--name", "report", *common, "--status", "active")
    code, out, _ = cli("scripts", "show", "report")
    lines = out.splitlines()
    start = next(n for n, line in enumerate(lines) if line.startswith("next runs:"))
    runs = [line.split()[-1] for line in lines[start : start + 5]]
    assert code == 0
    assert all(run.endswith("T23:00:00+00:00") for run in runs)  # 08:00 in Tokyo
    cli("scripts", "update", "report", "--status", "paused")
    assert "next runs:" not in cli("scripts", "show", "report")[1]


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("scripts", "run", "nothing"), 4, "no script has the id or name 'nothing'"),
        (("scripts", "run", "x", "[1]"), 2, "the script input must be a JSON object"),
        (("scripts", "run", "x", "{"), 2, "the script input is not JSON"),
        (("scripts", "create", "/no/such/file.js", "--name", "abc", "--type", "oneoff"), 2,
         "cannot read the script"),
        (("scripts", "update", "x"), 2, "nothing to change"),
        (("scripts", "create", "-", "--name", "x", "--type", "oneoff"), 2, "name: must be at"),
        (("scripts", "create", "-", "--name", "abc", "--type", "oneoff", "--limit", "oops"), 2,
         "--limit takes NAME=INTEGER"),
    ],
)  # fmt: skip
def test_bad_input_is_refused_with_a_usage_error(
    cli: Any, args: tuple[str, ...], code: int, message: str, monkeypatch: Any
) -> None:
    import io
    import sys

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"return 1;")))
    got, _, err = cli(*args)
    assert got == code, err
    assert message in err
    assert "Traceback" not in err


def test_a_key_without_the_permission_exits_3(cli: Any, database: str, tmp_path: Path) -> None:
    reader = tenant_key(database, "readers", "scripts.read")
    source = write(tmp_path, "one.js", "return 1;")
    code, _, err = cli("scripts", "create", source, "--name", "abc", "--type", "oneoff", key=reader)
    assert code == 3
    assert "scripts.create" in err


@pytest.mark.slow
def test_serve_gives_scripts_their_database_cache_and_hooks_prefix(tmp_path: Path) -> None:
    require_redis()
    shop = tmp_path / "shop.db"
    with sqlite3.connect(shop) as conn:
        conn.execute("CREATE TABLE orders (tenant_id TEXT, id INTEGER, total REAL)")
        conn.execute("CREATE TABLE secrets (tenant_id TEXT, value TEXT)")
        conn.executemany(
            "INSERT INTO orders VALUES (?, ?, ?)",
            [("default", 1, 10.0), ("default", 2, 5.5), ("other", 3, 99.0)],
        )
    env = environment(ESRUNTIME_SCRIPTS_DB_TABLES="orders", ESRUNTIME_HOOKS_PREFIX="/in")
    served = serve(
        "--scripts-db", f"sqlite:///{shop}", "--scripts-cache", "redis://127.0.0.1:6379/3",
        "--hooks-max-body-bytes", "64", cwd=tmp_path, env=env,
    )  # fmt: skip
    try:
        auth = {"Authorization": f"Bearer {served.admin_key}"}
        with httpx.Client(base_url=served.url.removesuffix("/v1"), headers=auth) as http:
            source = (
                "const rows = await sdk.db.query('SELECT id, total FROM orders ORDER BY id', []);\n"
                "const n = await sdk.cache.increment('calls');\n"
                "let secret = null;\n"
                "try { await sdk.db.query('SELECT value FROM secrets', []); }"
                " catch (e) { secret = e.message; }\n"
                "return {rows, n: typeof n, secret};"
            )
            created = http.post(
                "/v1/scripts",
                json={"name": "orders", "type": "http", "status": "active", "source": source,
                      "http_path": "/orders", "http_methods": ["POST"]},
            )  # fmt: skip
            assert created.status_code == 201, created.text
            reply = http.post("/in/orders")
            assert reply.status_code == 200, reply.text
            result = reply.json()["result"]
            assert result["rows"] == [{"id": 1, "total": 10.0}, {"id": 2, "total": 5.5}]
            assert result["n"] == "number"
            assert "secrets" in result["secret"]
            assert http.post("/in/orders", content=b"x" * 65).status_code == 413
            assert http.post("/hooks/orders").status_code == 404
    finally:
        served.stop()


def test_serve_refuses_unusable_script_options(tmp_path: Path) -> None:
    cache = run("serve", "--port", "0", "--scripts-cache", "memcached://x", cwd=tmp_path)
    assert cache.returncode == 2
    assert "the script cache is 'memory' or a redis:// URL" in cache.stderr
    database = run("serve", "--port", "0", "--scripts-db", "nope://x", cwd=tmp_path)
    assert database.returncode == 2
    assert "sdk.db database URL is unusable" in database.stderr
    allow = run("serve", "--port", "0", "--scripts-http-allow", "bad host", cwd=tmp_path)
    assert allow.returncode == 2
    assert "allowlist" in allow.stderr
    prefix = run("serve", "--port", "0", "--hooks-prefix", "/v1", cwd=tmp_path)
    assert prefix.returncode == 2
    assert "--hooks-prefix must differ from --prefix" in prefix.stderr
    for output in (cache, database, allow, prefix):
        assert "Traceback" not in output.stderr
