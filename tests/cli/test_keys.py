"""``esruntime keys``: keys made, listed and revoked in the database a running server uses."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

import pytest

from esruntime.client import Client, ForbiddenError, UnauthorizedError
from tests.cli.processes import Served, run

REFUSED_WITHIN = 60  # seconds: an upper bound for a busy machine, far above the 1 s cache


def test_a_key_is_created_listed_used_and_revoked(
    served: Served, database: str, tmp_path: Path
) -> None:
    tenant = f"keys-{uuid.uuid4().hex[:8]}"
    created = run(
        "keys",
        "create",
        "--database-url",
        database,
        "--tenant",
        tenant,
        "--name",
        "ci reader",
        "--permission",
        "events.read",
        "--permission",
        "handlers.read",
        cwd=tmp_path,
    )
    assert created.returncode == 0, created.stderr
    secret = created.stdout.strip()
    assert created.stdout == secret + "\n"
    key_id = secret.split("_")[1]
    assert created.stderr.startswith(
        f"Created key {key_id} for tenant '{tenant}' (events.read, handlers.read) in sqlite:///"
    )
    assert created.stderr.endswith("; it is shown only this once.\n")

    with Client(served.url, api_key=secret) as client:
        assert client.list_handlers() == []
        with pytest.raises(ForbiddenError):
            client.execute("anything", {})

        listed = run("keys", "list", "--database-url", database, "--tenant", tenant, cwd=tmp_path)
        assert listed.returncode == 0
        header, row = listed.stdout.splitlines()
        assert header.split() == [
            "KEY_ID", "TENANT", "NAME", "PERMISSIONS", "CREATED_AT", "REVOKED_AT"
        ]  # fmt: skip
        assert row.startswith(f"{key_id}  {tenant}  ci reader  events.read,handlers.read  ")
        assert row.endswith("  -")
        assert secret not in listed.stdout

        revoked = run("keys", "revoke", key_id, "--database-url", database, cwd=tmp_path)
        assert (revoked.returncode, revoked.stdout) == (0, f"Revoked {key_id}\n")
        # The server trusts a key that passed for --key-cache-seconds (1 s) before it looks
        # again: another process's revocation is refused from then on.
        deadline = time.monotonic() + REFUSED_WITHIN
        while time.monotonic() < deadline:
            try:
                client.list_handlers()
            except UnauthorizedError:
                break
            time.sleep(0.1)  # polling the outcome, not ordering threads
        with pytest.raises(UnauthorizedError):
            client.list_handlers()

    again = run("keys", "revoke", key_id, "--database-url", database, cwd=tmp_path)
    assert again.returncode == 4
    assert again.stderr == f"esruntime: no live key has the id '{key_id}'\n"
    as_json = run(
        "keys", "list", "--json", "--database-url", database, "--tenant", tenant, cwd=tmp_path
    )
    [key] = json.loads(as_json.stdout)
    assert key["key_id"] == key_id
    assert key["revoked_at"] is not None


def test_keys_refuse_memory_unknown_permissions_and_bad_tenants(tmp_path: Path) -> None:
    memory = run("keys", "create", "--database-url", "memory://", cwd=tmp_path)
    assert memory.returncode == 2
    assert (
        memory.stderr == "esruntime: keys live in a database; memory:// would forget them at once\n"
    )
    unknown = run("keys", "create", "--permission", "root", cwd=tmp_path)
    assert unknown.returncode == 2
    assert "invalid choice: 'root'" in unknown.stderr
    tenant = run("keys", "create", "--tenant", "bad\ttenant", cwd=tmp_path)
    assert tenant.returncode == 2
    assert "a tenant name is a non-empty string" in tenant.stderr
