"""Every remote command's outcomes and errors, through ``main()`` in this process: what it
prints on stdout and stderr, and its exit code (0 ok, 1 refused, 2 usage, 3 auth, 4 not found,
5 unavailable). The servers are real: ``esruntime serve`` in a process, and the bank of the
client's tests in a thread for conflicts."""

from __future__ import annotations

import json
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from esruntime.cli import main
from tests.cli.conftest import tenant_key
from tests.cli.processes import ENV_NAMES, ROOT, Served, environment, run
from tests.client.servers import Bank, RawServer, http_answer, new_bank, serving
from tests.commands.bank import SCHEMA
from tests.wasm.modules import counter_wasm

Outcome = tuple[int, str, str]


@pytest.fixture
def cli(served: Served, database: str, capsys: pytest.CaptureFixture[str], monkeypatch: Any) -> Any:
    """``cli(*args)`` runs the command as an admin of a new tenant of the served database."""
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)
    key = tenant_key(database, f"cmd-{uuid.uuid4().hex[:12]}")

    def invoke(*args: str, key: str | None = key, url: str = served.url) -> Outcome:
        options = ["--url", url] + (["--api-key", key] if key else [])
        code = main([*args, *options])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    invoke.key = key  # type: ignore[attr-defined]
    return invoke


def write(tmp_path: Path, name: str, content: str | bytes) -> str:
    path = tmp_path / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return str(path)


def test_schema_push_validate_and_show(cli: Any, tmp_path: Path) -> None:
    assert cli("schema", "show")[0] == 4
    first = write(tmp_path, "bank.esdl", SCHEMA)
    assert cli("schema", "push", first) == (
        0,
        "Schema stored as version 0.1.0: added AccountOpened, Deposited, ReceivedFunds, "
        "SentFunds\n",
        "",
    )
    code, out, _ = cli("schema", "show", "--json")
    assert json.loads(out)["version"] == "0.1.0"
    assert cli("schema", "push", first) == (0, "Schema stored as version 0.1.0: no changes\n", "")

    module = write(tmp_path, "c.wasm", counter_wasm())
    code, out, err = cli("handlers", "upload", "count", module, "--version", "1.0.0")
    assert (code, out) == (1, "")
    assert "unknown_event_type" in err  # Counted is not in the schema yet
    counted = write(tmp_path, "counted.esdl", SCHEMA + "event Counted { @counter_id: String }\n")
    assert cli("schema", "push", counted)[0] == 0
    assert (
        cli("handlers", "upload", "count", str(tmp_path / "c.wasm"), "--version", "1.0.0")[0] == 0
    )
    assert cli("exec", "count", '{"counter_id": "c1"}')[0] == 0

    code, out, err = cli("schema", "validate", first)
    assert (code, out) == (1, "")
    assert err.startswith("esruntime: the schema change breaks stored events:\n  Counted: ")
    assert err.endswith("Push with --force to override (it creates a new schema version).\n")
    code, out, _ = cli("schema", "push", first, "--json")
    assert code == 1
    assert json.loads(out)["status"] == "rejected"
    code, out, _ = cli("schema", "push", first, "--force")
    assert (code, out) == (0, "Schema stored as version 1.0.0: removed Counted\n")


def test_schema_input_problems_are_usage_errors(cli: Any, tmp_path: Path) -> None:
    code, _, err = cli("schema", "push", str(tmp_path / "missing.esdl"))
    assert code == 2
    missing = tmp_path / "missing.esdl"
    expected = f"esruntime: cannot read the schema file '{missing}': No such file or directory\n"
    assert err == expected
    code, _, err = cli("schema", "validate", write(tmp_path, "latin.esdl", b"event \xe9 {}"))
    assert (code, err) == (
        2,
        f"esruntime: the schema file '{tmp_path / 'latin.esdl'}' is not UTF-8: byte 6 is invalid\n",
    )
    code, _, err = cli("schema", "push", write(tmp_path, "bad.esdl", "event {"))
    assert code == 2
    assert err.startswith("esruntime: HTTP 400 invalid_schema: ")


def test_handlers_upload_show_list_and_delete(cli: Any, tmp_path: Path) -> None:
    cli(
        "schema",
        "push",
        write(tmp_path, "s.esdl", SCHEMA + "event Counted { @counter_id: String }\n"),
    )
    module = write(tmp_path, "count.wasm", counter_wasm())
    code, out, err = cli("handlers", "upload", "count", module, "--version", "2.0.0")
    assert (code, out) == (0, "Uploaded count 2.0.0 (reads Counted)\n")
    assert err == "warning: The module says version 1.0.0; it is stored as 2.0.0\n"
    code, out, _ = cli("handlers", "show", "count")
    assert "version:           2.0.0" in out.splitlines()
    assert "versions:          2.0.0 (running)" in out.splitlines()
    assert json.loads(cli("handlers", "show", "count", "--json")[1])["kind"] == "wasm"
    assert [h["name"] for h in json.loads(cli("handlers", "list", "--json")[1])] == ["count"]

    code, out, err = cli(
        "handlers", "upload", "count", write(tmp_path, "x.wasm", b"nope"), "--version", "2.0.1"
    )
    assert (code, out) == (1, "")
    assert err.startswith("esruntime: the module for 'count' was refused:\n  invalid_module: ")
    code, _, err = cli("handlers", "upload", "count", module, "--version", "two")
    assert code == 1
    assert "invalid_version" in err

    assert cli("handlers", "delete", "count") == (0, "Deleted count\n", "")
    code, _, err = cli("handlers", "delete", "count")
    assert code == 4
    assert err.startswith(
        "esruntime: HTTP 404 handler_not_found: No handler registered with name 'count' [req_"
    )


def test_handlers_rollback_runs_an_earlier_version(cli: Any, tmp_path: Path) -> None:
    cli(
        "schema",
        "push",
        write(tmp_path, "s.esdl", SCHEMA + "event Counted { @counter_id: String }\n"),
    )
    trapping = '(func (export "esr_handle") (param i32 i32) (result i64) (unreachable))'
    cli(
        "handlers",
        "upload",
        "count",
        write(tmp_path, "a.wasm", counter_wasm()),
        "--version",
        "1.0.0",
    )
    bad = write(tmp_path, "b.wasm", counter_wasm(esr_handle=trapping))
    cli("handlers", "upload", "count", bad, "--version", "2.0.0")
    assert cli("exec", "count", '{"counter_id": "c1"}')[0] != 0

    assert cli("handlers", "rollback", "count", "1.0.0") == (
        0,
        "Now running count 1.0.0 (reads Counted)\n",
        "",
    )
    assert cli("exec", "count", '{"counter_id": "c1"}')[0] == 0
    code, out, _ = cli("handlers", "show", "count")
    assert "versions:          1.0.0 (running), 2.0.0" in out.splitlines()
    code, _, err = cli("handlers", "rollback", "count", "3.0.0")
    assert code == 4
    assert err.startswith(
        "esruntime: HTTP 404 version_not_found: 'count' has no version '3.0.0' (it has 1.0.0, "
        "2.0.0) [req_"
    )


def test_exec_input_problems_are_usage_errors(cli: Any, tmp_path: Path) -> None:
    assert cli("exec", "count", "{bad") == (
        2,
        "",
        "esruntime: the command input is not JSON: Expecting property name enclosed in double "
        "quotes: line 1 column 2 (char 1)\n",
    )
    code, _, err = cli("exec", "count", f"@{tmp_path / 'none.json'}")
    assert (code, err.startswith("esruntime: cannot read the command input")) == (2, True)
    code, _, err = cli("exec", "count", "{}", "--idempotency-key", "a\tb")
    assert code == 2
    assert "idempotency key" in err
    cli(
        "schema",
        "push",
        write(tmp_path, "s.esdl", SCHEMA + "event Counted { @counter_id: String }\n"),
    )
    cli(
        "handlers",
        "upload",
        "count",
        write(tmp_path, "c.wasm", counter_wasm()),
        "--version",
        "1.0.0",
    )
    assert cli("exec", "count", "[1, 2]") == (
        1,
        "",
        "esruntime: rejected (invalid_input): command input must be a JSON object, got list\n",
    )


def test_events_options(cli: Any) -> None:
    code, _, err = cli("events", "query", "--domain-id", "account_id")
    assert (code, err) == (2, "esruntime: --domain-id takes FIELD=VALUE, got 'account_id'\n")
    code, _, err = cli("events", "query", "--limit", "0")
    assert code == 2
    assert "limit must be between 1 and 1000, got 0" in err
    assert cli("events", "query") == (0, "", "")
    code, _, err = cli("events", "get", "evt_nope")
    assert code == 4
    assert "event_not_found" in err


def test_credentials_problems_exit_3(cli: Any, database: str) -> None:
    code, _, err = cli("handlers", "list", key=None)
    assert code == 3
    assert err.startswith(
        "esruntime: HTTP 401 unauthorized: Missing API key: send 'Authorization: Bearer <api_key>'"
    )
    reader = tenant_key(database, "readers", "events.read")
    code, _, err = cli("schema", "push", str(ROOT / "examples/bank/schema.esdl"), key=reader)
    assert code == 3
    assert "HTTP 403 forbidden: The credentials lack the 'schema.write' permission" in err
    code, _, err = cli("health", key="has space")
    assert (code, err) == (2, "esruntime: an API key has no spaces or control characters\n")


def test_health(cli: Any) -> None:
    code, out, _ = cli("health")
    assert (code, out) == (0, "healthy (version 0.1.0, store connected, backend sqlite)\n")
    assert json.loads(cli("health", "--json")[1])["status"] == "healthy"


@pytest.fixture(scope="module")
def contended(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bank]:
    with serving(tmp_path_factory.mktemp("live") / "esruntime.db") as live:
        yield new_bank(*live, conflicts=None)


def test_a_command_still_conflicting_after_its_retries_exits_1(cli: Any, contended: Bank) -> None:
    code, out, err = cli("exec", "contended", '{"account_id": "a1"}', "--retries", "1",
                         key=contended.key, url=contended.url)  # fmt: skip
    assert (code, out) == (1, "")
    assert (
        err
        == "esruntime: conflict after 1 retries: Concurrent modification detected, please retry\n"
    )
    code, out, _ = cli("exec", "contended", '{"account_id": "a1"}', "--retries", "0", "--json",
                       key=contended.key, url=contended.url)  # fmt: skip
    assert code == 1
    assert json.loads(out)["status"] == "conflict"


def free_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}/v1"


def test_servers_that_fail_or_cannot_be_reached_exit_5(cli: Any) -> None:
    url = free_url()
    code, _, err = cli("health", url=url)
    assert (code, err) == (
        5,
        f"esruntime: GET /v1/health: cannot connect to {url}: [Errno 111] Connection refused\n",
    )
    broken = RawServer(lambda request: http_answer(500, b"{}"))
    garbage = RawServer(lambda request: b"garbage\r\n\r\n")
    try:
        code, _, err = cli("events", "query", url=broken.url)
        assert code == 5
        assert err.startswith("esruntime: HTTP 500: POST /v1/events/query: the answer is not")
        code, _, err = cli("handlers", "list", url=garbage.url)
        assert code == 5
        assert "sent an invalid HTTP response" in err
    finally:
        broken.stop()
        garbage.stop()
    code, _, err = cli("health", url="ftp://nowhere")
    assert (code, err) == (
        2,
        "esruntime: the base URL must be http(s)://host[:port]/prefix, got 'ftp://nowhere'\n",
    )


def test_a_url_without_the_api_prefix_exits_5_and_suggests_it(served: Served) -> None:
    """``esruntime serve`` answers 404 outside its prefix with a body that is not the API's."""
    root = served.url.removesuffix("/v1")
    for url in (root, root + "/"):
        result = run("handlers", "list", cwd=ROOT, env=environment(ESRUNTIME_URL=url))
        assert result.returncode == 5
        assert result.stderr.startswith("esruntime: HTTP 404: GET /handlers: the answer is not")
        assert result.stderr.endswith(
            f"; no esruntime API answers under {url}: the path lacks the API's prefix, "
            f"did you mean {root}/v1?\n"
        )
        assert len(result.stderr.splitlines()) == 1
    elsewhere = root + "/api/v1"
    result = run("health", cwd=ROOT, env=environment(ESRUNTIME_URL=elsewhere))
    assert result.returncode == 5
    assert result.stderr.endswith(
        f"; no esruntime API answers under {elsewhere}: is it the prefix serve was given?\n"
    )


def test_a_missing_resource_with_the_apis_error_body_still_exits_4(cli: Any) -> None:
    code, _, err = cli("handlers", "show", "nope")
    assert code == 4
    assert err.startswith("esruntime: HTTP 404 handler_not_found: ")
    assert "prefix" not in err


def test_an_oversized_input_is_refused_by_the_server_as_a_usage_error(
    cli: Any, tmp_path: Path
) -> None:
    huge = write(tmp_path, "huge.json", json.dumps({"counter_id": "c" * 300_000}))
    code, out, err = cli("exec", "count", f"@{huge}")
    assert (code, out) == (2, "")
    assert err.startswith("esruntime: HTTP 413 body_too_large: The body exceeds the limit of ")
