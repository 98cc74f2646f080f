"""The bank of examples/ from the command line, process by process: a schema, uploaded
WebAssembly handlers, commands, and the events they wrote."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.processes import ROOT, run

BANK = ROOT / "examples" / "bank"


def test_a_bank_from_the_command_line(env: dict[str, str], tmp_path: Path) -> None:
    def cli(*args: str, stdin: bytes | None = None) -> tuple[int, str, str]:
        result = run(*args, cwd=tmp_path, env=env, stdin=stdin)
        return result.returncode, result.stdout, result.stderr

    schema = str(BANK / "schema.esdl")
    assert cli("schema", "validate", schema) == (
        0,
        "Schema valid; it would be version 0.1.0: added OpenedAccount, ReceivedFunds, SentFunds\n",
        "",
    )
    assert cli("schema", "push", schema)[0] == 0
    code, shown, _ = cli("schema", "show")
    assert (code, shown) == (0, (BANK / "schema.esdl").read_text())

    for name in ("open_account", "deposit", "transfer_funds"):
        code, out, err = cli("handlers", "upload", name, str(BANK / "wasm/c" / f"{name}.wasm"),
                             "--version", "1.2.0")  # fmt: skip
        assert code == 0, err
        assert out.startswith(f"Uploaded {name} 1.2.0 (reads OpenedAccount")
    code, listed, _ = cli("handlers", "list")
    assert [line.split()[:3] for line in listed.splitlines()] == [
        ["NAME", "VERSION", "KIND"],
        ["deposit", "1.2.0", "wasm"],
        ["open_account", "1.2.0", "wasm"],
        ["transfer_funds", "1.2.0", "wasm"],
    ]

    accounts = b'{"account_id": "bob", "owner": "Bob", "currency": "EUR"}'
    assert (
        cli("exec", "open_account", '{"account_id":"alice","owner":"Ada","currency":"EUR"}')[0] == 0
    )
    assert cli("exec", "open_account", "-", stdin=accounts)[0] == 0
    (tmp_path / "deposit.json").write_text('{"account_id": "alice", "amount": 80}')
    assert cli("exec", "deposit", f"@{tmp_path / 'deposit.json'}")[0] == 0

    transfer = '{"source_account": "alice", "dest_account": "bob", "amount": 50}'
    code, out, err = cli("exec", "transfer_funds", transfer, "--idempotency-key", "t-1", "--json")
    assert (code, err) == (0, "")
    moved = json.loads(out)
    assert moved["status"] == "ok"
    assert [e["type"] for e in moved["events"]] == ["SentFunds", "ReceivedFunds"]
    code, out, _ = cli("exec", "transfer_funds", transfer, "--idempotency-key", "t-1")
    assert out.startswith(f"ok: position {moved['position']}, 2 event(s), 0 retries, replayed\n")

    assert cli("exec", "transfer_funds", transfer) == (
        1,
        "",
        "esruntime: rejected (insufficient_funds): account alice has insufficient funds\n",
    )

    code, out, err = cli(
        "events", "query", "--type", "SentFunds", "--domain-id", "account_id=alice"
    )
    [sent] = [json.loads(line) for line in out.splitlines()]
    assert sent["data"] == {"account_id": "alice", "amount": 50, "recipient_id": "bob"}
    code, out, err = cli("events", "query", "--all", "--limit", "2")
    assert [json.loads(line)["position"] for line in out.splitlines()] == [1, 2, 3, 4, 5]
    code, out, err = cli("events", "get", sent["id"])
    assert json.loads(out)["metadata"]["handler"] == "transfer_funds"

    assert cli("handlers", "delete", "deposit") == (0, "Deleted deposit\n", "")
    code, _, err = cli("handlers", "show", "deposit")
    assert code == 4
    assert err.startswith("esruntime: HTTP 404 handler_not_found: No handler registered")
