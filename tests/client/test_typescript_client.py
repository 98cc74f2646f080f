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
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from attrs import frozen

from esruntime.backends.sql import SqlApiKeyStore
from tests.cli.processes import Served, environment, serve
from tests.client.typescript import (
    BANK,
    RUN_SECONDS,
    SDK,
    build_sdk,
    load_bank,
    node,
    node_18,
    npm,
    other_runtime,
)

pytestmark = pytest.mark.slow


@frozen
class Live:
    """``esruntime serve`` on a fresh SQLite database, the bank loaded in its default tenant."""

    served: Served
    database: str
    admin: str
    reader: str
    revoked: str

    def tenant(self, name: str, *, bank: bool) -> str:
        """An admin key of a new tenant, empty or with the bank loaded."""
        store = SqlApiKeyStore(self.database)
        try:
            key: str = store.create(f"{name}-{uuid.uuid4().hex[:8]}", "admin", ["admin"]).secret
        finally:
            store.close()
        if bank:
            load_bank(self.served.url, key)
        return key

    def env(self) -> dict[str, str]:
        """What the suite is given: the server, its keys, two tenants of its own (one with the
        bank, for conflicts, one empty, for schemas and handlers), and the bank's folder."""
        return environment(
            ESRUNTIME_URL=self.served.url,
            ESRUNTIME_API_KEY=self.admin,
            ESRUNTIME_READER_KEY=self.reader,
            ESRUNTIME_REVOKED_KEY=self.revoked,
            ESRUNTIME_CONFLICTS_KEY=self.tenant("conflicts", bank=True),
            ESRUNTIME_SANDBOX_KEY=self.tenant("sandbox", bank=False),
            ESRUNTIME_BANK=str(BANK),
        )


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    node()  # fails or skips, saying why, before a server starts
    folder = tmp_path_factory.mktemp("ts-server")
    running = serve(cwd=folder, env=environment())
    try:
        assert running.admin_key is not None
        database = f"sqlite:///{folder / 'esruntime.db'}"
        store = SqlApiKeyStore(database)
        try:
            revoked = store.create("default", "revoked", ["admin"])
            store.revoke(revoked.key.key_id)
            reader = store.create("default", "reader", ["events.read"]).secret
        finally:
            store.close()
        load_bank(running.url, running.admin_key)
        yield Live(running, database, running.admin_key, reader, revoked.secret)
    finally:
        running.stop()


@pytest.mark.parametrize("version", ["installed", "18"])
def test_the_node_suite_passes_against_esruntime_serve(live: Live, version: str) -> None:
    """The whole suite, on the machine's Node and on Node 18, the oldest supported."""
    runner = node() if version == "installed" else node_18()
    build_sdk()
    npm("run", "build:test")
    env = live.env()
    tests = (SDK / "build" / "test").glob("*.test.js")
    done = subprocess.run(
        [runner, "--test", "--test-reporter=tap", *sorted(map(str, tests))],
        cwd=SDK,
        env=env,
        capture_output=True,
        text=True,
        timeout=RUN_SECONDS,
        check=False,
    )
    report = f"{done.stdout}\n{done.stderr}\nserver log:\n{live.served.errors}"
    assert done.returncode == 0, report
    counts = dict(
        re.findall(r"^# (tests|pass|fail|skipped|todo|cancelled) (\d+)$", done.stdout, re.M)
    )
    assert counts.get("fail") == "0", report
    assert counts.get("skipped") == counts.get("todo") == counts.get("cancelled") == "0", report
    assert int(counts["pass"]) == int(counts["tests"]) >= 50, report


@pytest.mark.parametrize("runtime", ["deno", "bun"])
def test_the_client_runs_on_other_runtimes(live: Live, runtime: str, tmp_path: Path) -> None:
    """Deno and Bun import dist/ by path and call the live server: commands, a replay, a
    rejection, pages, typed errors, an abort."""
    build_sdk()
    env = environment(ESRUNTIME_URL=live.served.url, ESRUNTIME_API_KEY=live.admin)
    env.update(DENO_DIR=str(tmp_path / "deno"), DENO_NO_UPDATE_CHECK="1", HOME=str(tmp_path))
    done = subprocess.run(
        other_runtime(runtime, SDK / "test" / "runtimes" / "smoke.mjs"),
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=RUN_SECONDS,
        check=False,
    )
    assert done.returncode == 0, f"{done.stdout}\n{done.stderr}"
    assert done.stdout.splitlines()[-1] == "smoke ok"
