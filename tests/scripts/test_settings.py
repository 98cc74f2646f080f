"""``Runtime(script_settings=...)``: the sdk.db database and tables, the sdk.http allowlist and
the cache (memory or Redis) a runtime gives its scripts, and the refusals of bad settings."""

from __future__ import annotations

import sqlite3
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy

from esruntime.errors import ConfigurationError, ScriptExecutionError
from esruntime.runtime import Runtime
from esruntime.scripts import ScriptSettings
from esruntime.scripts.sdk.http import HttpPolicy
from tests.scripts.test_sdk_cache import require_redis

REDIS_URL = "redis://127.0.0.1:6379/2"


@pytest.fixture
def shop(tmp_path: Path) -> str:
    path = tmp_path / "shop.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE orders (tenant_id TEXT, id INTEGER, total REAL)")
        conn.execute("CREATE TABLE staff (tenant_id TEXT, name TEXT)")
        conn.executemany(
            "INSERT INTO orders VALUES (?, ?, ?)",
            [("acme", 1, 10.0), ("acme", 2, 2.5), ("globex", 3, 99.0)],
        )
    return f"sqlite:///{path}"


def embedded(runtime: Runtime, source: str, tenant: str = "acme") -> str:
    name = f"rule {uuid.uuid4().hex[:8]}"
    runtime.scripts.create(tenant=tenant, name=name, type="embedded", source=source)
    return name


def test_sdk_db_reads_the_tenants_rows_of_the_allowed_tables(shop: str) -> None:
    settings = ScriptSettings(database=shop, tables=["orders"])
    with Runtime(script_settings=settings) as runtime:
        total = embedded(
            runtime, "const r = await sdk.db.queryOne('SELECT SUM(total) AS t FROM orders', []);"
            " return r.t;"
        )  # fmt: skip
        assert runtime.scripts.call(total, tenant="acme") == 12.5
        assert runtime.scripts.call(
            embedded(runtime, "return (await sdk.db.query('SELECT id FROM orders', [])).length;",
                     tenant="globex"), tenant="globex",
        ) == 1  # fmt: skip
        staff = embedded(runtime, "return await sdk.db.query('SELECT name FROM staff', []);")
        with pytest.raises(ScriptExecutionError, match="staff"):
            runtime.scripts.call(staff, tenant="acme")


def test_without_a_database_sdk_db_says_so() -> None:
    with Runtime() as runtime:
        name = embedded(runtime, "return await sdk.db.query('SELECT 1', []);")
        with pytest.raises(ScriptExecutionError, match="Database is not configured"):
            runtime.scripts.call(name, tenant="acme")


def test_an_engine_passed_in_stays_the_hosts(shop: str) -> None:
    engine = sqlalchemy.create_engine(shop)
    try:
        with Runtime(script_settings=ScriptSettings(database=engine, db_max_rows=1)) as runtime:
            name = embedded(runtime, "return await sdk.db.query('SELECT id FROM orders', []);")
            with pytest.raises(ScriptExecutionError, match="Row limit exceeded"):
                runtime.scripts.call(name, tenant="acme")
        with engine.connect() as conn:  # not disposed by the runtime
            assert conn.exec_driver_sql("SELECT COUNT(*) FROM orders").scalar_one() == 3
    finally:
        engine.dispose()


def test_a_redis_cache_is_shared_by_runtimes(tmp_path: Path) -> None:
    require_redis()
    url = f"sqlite:///{tmp_path}/shared.db"
    settings = ScriptSettings(cache=REDIS_URL)
    source = "return await sdk.cache.increment('visits');"
    with Runtime.from_url(url, script_settings=settings) as first:
        name = embedded(first, source)
        start = first.scripts.call(name, tenant="acme")
        with Runtime.from_url(url, script_settings=settings) as second:
            assert second.scripts.call(name, tenant="acme") == start + 1
        assert first.scripts.call(name, tenant="acme") == start + 2


@contextmanager
def loopback() -> Iterator[str]:
    class Answer(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "11")
            self.end_headers()
            self.wfile.write(b'{"ok":true}')

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Answer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_the_http_allowlist_opens_a_private_host() -> None:
    with loopback() as host:
        source = f"return (await sdk.http.get('http://{host}/')).body;"
        allowed = ScriptSettings(http=HttpPolicy(allowlist=[host]))
        with Runtime(script_settings=allowed) as runtime:
            assert runtime.scripts.call(embedded(runtime, source), tenant="acme") == {"ok": True}
        with Runtime() as runtime, pytest.raises(ScriptExecutionError, match="SSRF protection"):
            runtime.scripts.call(embedded(runtime, source), tenant="acme")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"tables": "orders"}, "list of table names"),
        ({"tables": ["orders", ""]}, "table names"),
        ({"db_max_rows": 0}, "db_max_rows"),
        ({"db_timeout_s": -1}, "db_timeout_s"),
        ({"db_max_rows": True}, "db_max_rows"),
    ],
)
def test_bad_settings_are_refused_when_made(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        ScriptSettings(**options)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"database": "nope://x"}, "sdk.db database URL is unusable"),
        ({"database": 42}, "SQLAlchemy URL or Engine"),
        ({"database": "mysql://u@h/d"}, "unusable|supports PostgreSQL and SQLite"),
        ({"cache": "memcached://x"}, "'memory' or a redis:// URL"),
        ({"cache": "redis://"}, "redis"),
    ],
)
def test_unusable_services_are_refused_when_scripts_start(
    options: dict[str, Any], message: str
) -> None:
    with Runtime(script_settings=ScriptSettings(**options)) as runtime:
        with pytest.raises(ConfigurationError, match=message):
            runtime.scripts  # noqa: B018
        with pytest.raises(ConfigurationError):  # and again: nothing half-made is kept
            runtime.scripts  # noqa: B018


def test_an_autocommit_engine_is_refused(shop: str) -> None:
    engine = sqlalchemy.create_engine(shop, isolation_level="AUTOCOMMIT")
    try:
        with (
            Runtime(script_settings=ScriptSettings(database=engine)) as runtime,
            pytest.raises(ConfigurationError, match="AUTOCOMMIT"),
        ):
            runtime.scripts  # noqa: B018
    finally:
        engine.dispose()
