"""The SDK host of one execution: dispatch by name, metrics, the rate limit, collaborators.

``sdk.http`` goes to the real :class:`ScriptHttpClient` and a loopback server (allowlisted);
``sdk.db`` to a small SQLite-backed database object with the ``ScriptDatabase`` methods.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from esruntime.backends.memory import InMemoryEventStore
from esruntime.errors import SdkError
from esruntime.scripts.sdk.cache import InMemoryScriptCache, ScriptCacheView
from esruntime.scripts.sdk.events import EventPublisher
from esruntime.scripts.sdk.host import ExecutionHost, HttpRequester, ScriptDatabase
from esruntime.scripts.sdk.http import HttpPolicy, ScriptHttpClient
from esruntime.scripts.sdk.logs import ExecutionLog
from esruntime.scripts.sdk.ratelimit import SlidingWindowLimiter


class Echo(BaseHTTPRequestHandler):
    def _reply(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else None
        data = json.dumps({"method": self.command, "path": self.path, "body": body}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _reply

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def http_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def http_client() -> Iterator[ScriptHttpClient]:
    client = ScriptHttpClient(HttpPolicy(allowlist={"127.0.0.1"}))
    yield client
    client.close()


class SqliteDatabase:
    """The ``ScriptDatabase`` methods over one SQLite connection (one transaction at a time)."""

    def __init__(self) -> None:
        self.conn = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
        self.conn.execute("CREATE TABLE t (n INTEGER)")
        self.open: str | None = None
        self.closed = False
        self._lock = threading.Lock()

    def query(self, sql: str, params: Any = None, transaction: Any = None, /) -> Any:
        with self._lock:
            cursor = self.conn.execute(sql, params or [])
            names = [c[0] for c in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def query_one(self, sql: str, params: Any = None, transaction: Any = None, /) -> Any:
        rows = self.query(sql, params, transaction)
        return rows[0] if rows else None

    def execute(self, sql: str, params: Any = None, transaction: Any = None, /) -> Any:
        with self._lock:
            return self.conn.execute(sql, params or []).rowcount

    def begin(self) -> Any:
        with self._lock:
            self.conn.execute("BEGIN")
            self.open = "tx-1"
            return self.open

    def commit(self, transaction: Any, /) -> Any:
        self._finish(transaction, "COMMIT")

    def rollback(self, transaction: Any, /) -> Any:
        self._finish(transaction, "ROLLBACK")

    def _finish(self, transaction: Any, statement: str) -> None:
        with self._lock:
            if transaction != self.open:
                raise SdkError("Invalid transaction: unknown or finished transaction handle")
            self.conn.execute(statement)
            self.open = None

    def close(self) -> None:
        if self.open is not None:
            self.rollback(self.open)
        self.closed = True


def make_host(
    *,
    http: HttpRequester | None = None,
    db: ScriptDatabase | None = None,
    limiter: SlidingWindowLimiter | None = None,
    calls_per_minute: int = 1000,
    store: InMemoryEventStore | None = None,
) -> ExecutionHost:
    return ExecutionHost(
        tenant="acme",
        script_id="s-1",
        log=ExecutionLog(tenant="acme", script_id="s-1", execution_id="e-1"),
        cache=ScriptCacheView(InMemoryScriptCache(), "acme", "s-1"),
        events=(
            None
            if store is None
            else EventPublisher(lambda: store, lambda: None, {"tenant_id": "acme"})
        ),
        http=http,
        database=None if db is None else lambda: db,
        limiter=limiter or SlidingWindowLimiter(),
        calls_per_minute=calls_per_minute,
    )


@pytest.mark.parametrize(
    "name", ["", "nope", "fs.read", "http.head", "db.drop", "events.subscribe", "cache", ".get"]
)
def test_unknown_calls_are_refused(name: str) -> None:
    with pytest.raises(SdkError, match=r"^Unknown SDK call"):
        make_host().call(name, [])


def test_arguments_must_be_a_list() -> None:
    with pytest.raises(SdkError, match="the arguments must be a list"):
        make_host().call("cache.get", {"key": "k"})  # type: ignore[arg-type]


def test_calls_are_dispatched_and_counted() -> None:
    store = InMemoryEventStore("acme")
    host = make_host(store=store, db=SqliteDatabase())
    assert host.call("cache.set", ["k", 1]) is True
    assert host.call("cache.increment", ["k"]) == 2
    assert host.call("log.info", ["hello"]) is None
    assert host.call("events.publish", ["order.updated", {"id": 1}]) is True
    assert host.call("db.execute", ["INSERT INTO t VALUES (?)", [5]]) == 1
    assert host.call("db.queryOne", ["SELECT n FROM t", []]) == {"n": 5}
    metrics = host.metrics(12.5, 4096)
    assert metrics.to_dict() == {
        "duration_ms": 12.5,
        "memory_bytes": 4096,
        "http_calls": 0,
        "db_queries": 2,
        "cache_calls": 2,
        "events_published": 1,
        "log_lines": 1,
    }
    assert [e.type for e in store.read()] == ["order.updated"]


@pytest.mark.parametrize(
    ("name", "args", "message"),
    [
        ("http.get", ["http://example.com"], "HTTP is not configured"),
        ("db.query", ["SELECT 1", []], "Database is not configured"),
        ("db.begin", [], "Database is not configured"),
        ("db.commit", ["tx-1"], "Database is not configured"),
        ("events.publish", ["order.updated", {}], "Events are not configured"),
    ],
)
def test_missing_collaborators_fail_plainly(name: str, args: list[Any], message: str) -> None:
    with pytest.raises(SdkError) as caught:
        make_host().call(name, args)
    assert str(caught.value) == message


def test_http_calls_reach_the_http_client(http_server: str, http_client: ScriptHttpClient) -> None:
    host = make_host(http=http_client)
    got = host.call("http.get", [f"{http_server}/items", {"query": {"page": 2}}])
    assert got["status"] == 200
    assert got["body"] == {"method": "GET", "path": "/items?page=2", "body": None}
    posted = host.call("http.post", [f"{http_server}/items", {"name": "x"}])
    assert posted["body"]["method"] == "POST"
    assert json.loads(posted["body"]["body"]) == {"name": "x"}
    assert host.call("http.delete", [f"{http_server}/items/1"])["body"]["method"] == "DELETE"
    assert host.call("http.patch", [f"{http_server}/i", {"a": 1}, {}])["body"]["method"] == "PATCH"
    assert host.call("http.put", [f"{http_server}/i"])["body"]["method"] == "PUT"
    assert host.metrics(0, None).http_calls == 5


def test_http_refuses_what_the_policy_refuses() -> None:
    client = ScriptHttpClient(HttpPolicy())
    try:
        with pytest.raises(SdkError, match="SSRF protection"):
            make_host(http=client).call("http.get", ["http://127.0.0.1:9/"])
    finally:
        client.close()


@pytest.mark.parametrize(
    ("name", "args", "message"),
    [
        ("http.get", [], "http.get takes (url, options?)"),
        ("http.get", ["u", {}, "x"], "http.get takes (url, options?)"),
        ("http.post", ["u", 1, {}, 2], "http.post takes (url, body, options?)"),
        ("http.get", [5], "http.get: the URL must be a string"),
        ("http.get", ["http://x", [1]], "http.get: options must be an object"),
    ],
)
def test_malformed_http_calls_fail_precisely(
    http_client: ScriptHttpClient, name: str, args: list[Any], message: str
) -> None:
    with pytest.raises(SdkError) as caught:
        make_host(http=http_client).call(name, args)
    assert str(caught.value) == message


def test_transactions_go_to_the_database_which_is_closed_at_the_end() -> None:
    db = SqliteDatabase()
    made: list[SqliteDatabase] = []

    def connect() -> SqliteDatabase:
        made.append(db)
        return db

    host = ExecutionHost(
        tenant="acme",
        script_id="s-1",
        log=ExecutionLog(tenant="acme", script_id="s-1", execution_id="e-1"),
        database=connect,
    )
    assert made == []  # made on the first sdk.db call, once
    handle = host.call("db.begin", [])
    assert host.call("db.execute", ["INSERT INTO t VALUES (?)", [1], handle]) == 1
    host.call("db.commit", [handle])
    with pytest.raises(SdkError, match=r"^Invalid transaction"):
        host.call("db.commit", [handle])
    left = host.call("db.begin", [])
    host.call("db.execute", ["INSERT INTO t VALUES (?)", [2], left])
    host.close()
    assert made == [db]
    assert db.closed
    assert db.query("SELECT n FROM t") == [{"n": 1}]
    assert host.metrics(0, None).db_queries == 2


@pytest.mark.parametrize(
    ("name", "args", "message"),
    [
        ("db.query", [], "db.query takes (sql, params, transaction?)"),
        ("db.queryOne", ["a", [], "t", 4], "db.queryOne takes (sql, params, transaction?)"),
        ("db.begin", [1], "db.begin takes no arguments"),
        ("db.commit", [], "db.commit takes (transaction)"),
        ("db.rollback", ["a", "b"], "db.rollback takes (transaction)"),
        ("db.vacuum", [], "Unknown SDK call 'db.vacuum'"),
    ],
)
def test_malformed_db_calls_fail_precisely(name: str, args: list[Any], message: str) -> None:
    with pytest.raises(SdkError) as caught:
        make_host(db=SqliteDatabase()).call(name, args)
    assert str(caught.value) == message


def test_the_rate_limit_covers_every_call_but_logging() -> None:
    host = make_host(calls_per_minute=3, store=InMemoryEventStore("acme"), db=SqliteDatabase())
    host.call("cache.get", ["k"])
    host.call("events.publish", ["order.updated", {}])
    host.call("db.query", ["SELECT 1 AS one", []])
    refused: list[tuple[str, list[Any]]] = [
        ("cache.get", ["k"]),
        ("db.begin", []),
        ("events.publish", ["order.updated", {}]),
        ("http.get", ["http://example.com"]),
    ]
    for name, args in refused:
        with pytest.raises(SdkError, match=r"^Rate limit exceeded$"):
            host.call(name, args)
    for _ in range(100):
        host.call("log.debug", ["still logging"])
    assert host.metrics(0, None).cache_calls == 1


def test_the_window_slides() -> None:
    now = [0.0]
    limiter = SlidingWindowLimiter(clock=lambda: now[0])
    assert [limiter.acquire(("t", "s"), 2) for _ in range(3)] == [True, True, False]
    assert limiter.acquire(("t", "other"), 2)  # per script
    now[0] = 59.9
    assert not limiter.acquire(("t", "s"), 2)
    now[0] = 60.1  # both calls at 0 left the window; the refused ones were never counted
    assert [limiter.acquire(("t", "s"), 2) for _ in range(3)] == [True, True, False]


def test_concurrent_calls_are_all_counted() -> None:
    host = make_host(calls_per_minute=10_000)
    barrier = threading.Barrier(8)

    def work() -> None:
        barrier.wait()
        for _ in range(100):
            host.call("cache.increment", ["n"])

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert host.call("cache.get", ["n"]) == 800
    assert host.metrics(0, None).cache_calls == 801
