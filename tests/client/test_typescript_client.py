"""The TypeScript client (``@esruntime/sdk``) against a real ``esruntime serve``: the client
is built with npm, its suite (``clients/typescript/test``, Node's test runner) runs against a
server on a fresh SQLite database holding the bank of examples/bank, and must pass whole.

The suite covers what the Python client's does: commands and their events, rejections,
idempotent replays, real conflicts of concurrent transfers and their retries, every method of
the API, auth errors, pagination, and servers that close, garble or never answer.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from attrs import frozen

from esruntime.auth.sql import SqlApiKeyStore
from esruntime.client import Client
from tests.cli.processes import Served, environment, serve
from tests.client.typescript import RUN_SECONDS, SDK, build_sdk, node, npm

BANK = Path(__file__).resolve().parents[2] / "examples" / "bank"
BANK_VERSIONS = {
    "open_account": "1.0.0",
    "deposit": "1.0.0",
    "withdraw": "1.0.0",
    "transfer_funds": "1.2.0",
}

pytestmark = pytest.mark.slow


@frozen
class Keys:
    admin: str
    reader: str
    revoked: str
    conflicts: str
    sandbox: str


def load_bank(url: str, key: str) -> None:
    """The bank's schema and its four handlers, built from C, in the key's tenant."""
    with Client(url, api_key=key) as client:
        assert client.push_schema((BANK / "schema.esdl").read_text()).status == "ok"
        for name, version in BANK_VERSIONS.items():
            module = (BANK / "wasm" / "c" / f"{name}.wasm").read_bytes()
            uploaded = client.upload_handler(name, module, version)
            assert uploaded.status == "ok", uploaded


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Served, Keys]]:
    node()  # fails or skips, saying why, before a server starts
    folder = tmp_path_factory.mktemp("ts-server")
    running = serve(cwd=folder, env=environment())
    try:
        assert running.admin_key is not None
        store = SqlApiKeyStore(f"sqlite:///{folder / 'esruntime.db'}")
        try:
            revoked = store.create("default", "revoked", ["admin"])
            store.revoke(revoked.key.key_id)
            keys = Keys(
                admin=running.admin_key,
                reader=store.create("default", "reader", ["events.read"]).secret,
                revoked=revoked.secret,
                conflicts=store.create("conflicts", "admin", ["admin"]).secret,
                sandbox=store.create("sandbox", "admin", ["admin"]).secret,
            )
        finally:
            store.close()
        load_bank(running.url, keys.admin)
        load_bank(running.url, keys.conflicts)
        yield running, keys
    finally:
        running.stop()


def test_the_node_suite_passes_against_esruntime_serve(served: tuple[Served, Keys]) -> None:
    running, keys = served
    build_sdk()
    npm("run", "build:test")
    env = environment(
        ESRUNTIME_URL=running.url,
        ESRUNTIME_API_KEY=keys.admin,
        ESRUNTIME_READER_KEY=keys.reader,
        ESRUNTIME_REVOKED_KEY=keys.revoked,
        ESRUNTIME_CONFLICTS_KEY=keys.conflicts,
        ESRUNTIME_SANDBOX_KEY=keys.sandbox,
        ESRUNTIME_BANK=str(BANK),
    )
    tests = (SDK / "build" / "test").glob("*.test.js")
    done = subprocess.run(
        [node(), "--test", "--test-reporter=tap", *sorted(map(str, tests))],
        cwd=SDK,
        env=env,
        capture_output=True,
        text=True,
        timeout=RUN_SECONDS,
        check=False,
    )
    report = f"{done.stdout}\n{done.stderr}\nserver log:\n{running.errors}"
    assert done.returncode == 0, report
    counts = dict(re.findall(r"^# (tests|pass|fail|skipped|todo|cancelled) (\d+)$", done.stdout, re.M))
    assert counts.get("fail") == "0", report
    assert counts.get("skipped") == counts.get("todo") == counts.get("cancelled") == "0", report
    assert int(counts["pass"]) == int(counts["tests"]) >= 40, report
