"""``sdk.cache`` from Python: prefixing and confinement, values, TTLs, atomic increments, on the
in-process backend and on a real Redis server (skipped when none answers)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from esruntime.errors import ConfigurationError, EsruntimeError, RedisReplyError, SdkError
from esruntime.scripts.sdk.cache import (
    MAX_KEY_LENGTH,
    MAX_VALUE_BYTES,
    InMemoryScriptCache,
    ScriptCache,
    ScriptCacheView,
)
from esruntime.scripts.sdk.redis import RedisScriptCache

REDIS = ("127.0.0.1", 6379)
REDIS_URL = f"redis://{REDIS[0]}:{REDIS[1]}/0"


def redis_answers() -> bool:
    try:
        socket.create_connection(REDIS, timeout=1).close()
    except OSError:
        return False
    return True


def require_redis() -> None:
    if not redis_answers():
        reason = f"no Redis server answers at {REDIS[0]}:{REDIS[1]}"
        if os.environ.get("ESRUNTIME_REQUIRE_REDIS") == "1":
            pytest.fail(f"ESRUNTIME_REQUIRE_REDIS=1 but {reason}")
        pytest.skip(reason)


@pytest.fixture
def redis_client() -> Iterator[redis.Redis]:
    require_redis()
    client = redis.Redis(*REDIS)
    yield client
    client.close()


@pytest.fixture
def namespace(redis_client: redis.Redis) -> Iterator[str]:
    """A namespace of the test's own, its keys deleted afterwards."""
    namespace = f"esruntime-test:{uuid.uuid4()}:"
    yield namespace
    keys = redis_client.keys(namespace + "*")
    if keys:
        redis_client.delete(*keys)


@pytest.fixture(params=["memory", "redis"])
def backend(request: pytest.FixtureRequest) -> Iterator[ScriptCache]:
    if request.param == "memory":
        yield InMemoryScriptCache()
        return
    namespace: str = request.getfixturevalue("namespace")
    cache = RedisScriptCache.from_url(REDIS_URL, namespace=namespace)
    yield cache
    cache.close()


def view(backend: ScriptCache, tenant: str = "acme", script: str = "s1") -> ScriptCacheView:
    return ScriptCacheView(backend, tenant, script)


def test_values_round_trip_as_json(backend: ScriptCache) -> None:
    cache = view(backend)
    values: list[Any] = [{"a": [1, 2.5, None, True]}, "text é", 0, -3.25, [], None, False, "\ud800"]
    for n, value in enumerate(values):
        assert cache.call("set", [f"k{n}", value]) is True
        assert cache.call("get", [f"k{n}"]) == value
    assert cache.call("get", ["missing"]) is None
    assert cache.call("exists", ["k0"]) is True
    assert cache.call("exists", ["missing"]) is False
    assert cache.call("delete", ["k0"]) is True
    assert cache.call("delete", ["k0"]) is False
    assert cache.call("exists", ["k0"]) is False


def test_keys_are_prefixed_with_tenant_and_script(backend: ScriptCache) -> None:
    view(backend, "acme", "s1").call("set", ["greeting", "hello"])
    assert backend.get("tenant:acme:script:s1:greeting") == '"hello"'


def test_tenants_and_scripts_are_confined_to_their_own_keys(backend: ScriptCache) -> None:
    mine = view(backend, "acme", "s1")
    mine.call("set", ["secret", "mine"])
    for tenant, script in [("globex", "s1"), ("acme", "s2")]:
        other = view(backend, tenant, script)
        assert other.call("get", ["secret"]) is None
        assert other.call("exists", ["secret"]) is False
        assert other.call("delete", ["secret"]) is False
        assert other.call("increment", ["secret"]) == 1
    # keys that try to reach another prefix stay inside their own
    view(backend, "acme", "s2").call("set", ["../s1:secret", "forged"])
    view(backend, "acme", "s2").call("set", [":script:s1:secret", "forged"])
    assert mine.call("get", ["secret"]) == "mine"
    assert backend.get("tenant:acme:script:s2::script:s1:secret") == '"forged"'


def test_increment_starts_at_zero_and_adds_deltas(backend: ScriptCache) -> None:
    cache = view(backend)
    assert cache.call("increment", ["n"]) == 1
    assert cache.call("increment", ["n", 5]) == 6
    assert cache.call("increment", ["n", -10]) == -4
    assert cache.call("increment", ["n", 0.5]) == -3.5
    assert cache.call("get", ["n"]) == -3.5
    cache.call("set", ["f", 2.5])
    assert cache.call("increment", ["f"]) == 3.5


def test_incrementing_something_else_than_a_number_fails(backend: ScriptCache) -> None:
    cache = view(backend)
    for value in ("5", {"n": 1}, True, None):
        cache.call("set", ["v", value])
        with pytest.raises(SdkError, match=r"^cache\.increment: the value at 'v' is not a number$"):
            cache.call("increment", ["v"])
        assert cache.call("get", ["v"]) == value


def test_increments_from_many_threads_are_atomic(backend: ScriptCache) -> None:
    cache = view(backend)
    barrier = threading.Barrier(8)

    def work() -> None:
        barrier.wait()
        for _ in range(50):
            cache.call("increment", ["hits"])

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert cache.call("get", ["hits"]) == 400


@pytest.mark.parametrize(
    ("method", "args", "message"),
    [
        ("get", [], "cache.get takes (key), got 0 argument(s)"),
        ("get", ["a", "b"], "cache.get takes (key), got 2 argument(s)"),
        ("get", [""], "cache.get: the key must be a non-empty string"),
        ("get", [5], "cache.get: the key must be a non-empty string"),
        ("set", ["k"], "cache.set takes (key, value, ttl?), got 1 argument(s)"),
        ("set", ["k", float("nan")], "cache.set: the value must be JSON (no NaN or Infinity)"),
        ("set", ["k", 1, 0], "cache.set: ttl must be a number of seconds above 0"),
        ("set", ["k", 1, -5], "cache.set: ttl must be a number of seconds above 0"),
        ("set", ["k", 1, "60"], "cache.set: ttl must be a number of seconds above 0"),
        ("set", ["k", 1, True], "cache.set: ttl must be a number of seconds above 0"),
        ("set", ["k", 1, 10**9], "cache.set: ttl must be a number of seconds above 0"),
        ("increment", ["k", "1"], "cache.increment: delta must be a finite number"),
        ("increment", ["k", float("inf")], "cache.increment: delta must be a finite number"),
        ("flush", [], "Unknown SDK call 'cache.flush'"),
    ],
)
def test_bad_arguments_fail_precisely(
    backend: ScriptCache, method: str, args: list[Any], message: str
) -> None:
    with pytest.raises(SdkError) as caught:
        view(backend).call(method, args)
    assert str(caught.value).startswith(message)


def test_oversized_keys_and_values_are_refused(backend: ScriptCache) -> None:
    cache = view(backend)
    cache.call("set", ["k" * MAX_KEY_LENGTH, 1])
    with pytest.raises(SdkError, match="the key is 513 characters; the limit is 512"):
        cache.call("set", ["k" * (MAX_KEY_LENGTH + 1), 1])
    cache.call("set", ["big", "x" * (MAX_VALUE_BYTES - 2)])
    with pytest.raises(SdkError, match="the value is 524,289 bytes; the limit is 524,288"):
        cache.call("set", ["big", "x" * (MAX_VALUE_BYTES - 1)])
    assert len(cache.call("get", ["big"])) == MAX_VALUE_BYTES - 2


def test_entries_expire_after_their_ttl_in_memory() -> None:
    now = [100.0]
    backend = InMemoryScriptCache(timer=lambda: now[0])
    cache = view(backend)
    cache.call("set", ["short", "v", 10])
    cache.call("set", ["forever", "v"])
    cache.call("set", ["counter", 1, 10])
    cache.call("increment", ["counter"])  # keeps the counter's expiry
    now[0] += 9.9
    assert cache.call("exists", ["short"]) is True
    now[0] += 0.2
    assert cache.call("get", ["short"]) is None
    assert cache.call("exists", ["short"]) is False
    assert cache.call("get", ["counter"]) is None
    assert cache.call("get", ["forever"]) == "v"


def test_the_memory_backend_is_bounded() -> None:
    cache = view(InMemoryScriptCache(max_entries=3))
    for n in range(5):
        cache.call("set", [f"k{n}", n])
    assert [cache.call("exists", [f"k{n}"]) for n in range(5)] == [False, False, True, True, True]


def test_entries_expire_after_their_ttl_in_redis(redis_client: redis.Redis, namespace: str) -> None:
    backend = RedisScriptCache.from_url(REDIS_URL, namespace=namespace)
    cache = view(backend)
    cache.call("set", ["short", "v", 0.05])
    cache.call("set", ["forever", "v"])
    ttl = redis_client.pttl(namespace + "tenant:acme:script:s1:short")
    assert 0 < ttl <= 50
    assert redis_client.ttl(namespace + "tenant:acme:script:s1:forever") == -1
    deadline = time.monotonic() + 10
    while cache.call("exists", ["short"]) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert cache.call("get", ["short"]) is None
    assert cache.call("get", ["forever"]) == "v"
    backend.close()


def unused_port() -> int:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        return int(unused.getsockname()[1])


def test_a_refused_connection_is_an_sdk_error() -> None:
    cache = RedisScriptCache.from_url(f"redis://127.0.0.1:{unused_port()}", timeout=5)
    calls: list[tuple[str, list[Any]]] = [("get", ["k"]), ("set", ["k", 1]), ("increment", ["k"])]
    for method, args in calls:
        with pytest.raises(SdkError, match=r"^The cache is unavailable: ConnectionRefusedError$"):
            view(cache).call(method, args)
    cache.close()


def test_an_error_reply_is_a_redis_reply_error_under_the_root(
    redis_client: redis.Redis, namespace: str
) -> None:
    cache = RedisScriptCache.from_url(REDIS_URL, namespace=namespace)
    redis_client.rpush(namespace + "tenant:acme:script:s1:list", "not a string")
    with pytest.raises(RedisReplyError, match=r"^WRONGTYPE ") as caught:
        view(cache).call("get", ["list"])
    assert isinstance(caught.value, SdkError)
    assert isinstance(caught.value, EsruntimeError)
    with pytest.raises(SdkError, match=r"^cache\.increment: the value at 'list' is not a number$"):
        view(cache).call("increment", ["list"])
    assert view(cache).call("set", ["list", 1]) is True  # the connection is still usable
    cache.close()


def test_many_threads_share_one_bounded_pool(redis_client: redis.Redis, namespace: str) -> None:
    name = f"esruntime-test-{uuid.uuid4().hex}"
    cache = RedisScriptCache.from_url(
        REDIS_URL, namespace=namespace, max_connections=3, client_name=name
    )
    barrier = threading.Barrier(24)
    failures: list[BaseException] = []

    def work() -> None:
        try:
            barrier.wait()
            for n in range(40):
                view(cache).call("increment", ["hits"])
                view(cache).call("set", [f"k{n}", n])
        except BaseException as exc:  # reported by the assertion below
            failures.append(exc)

    threads = [threading.Thread(target=work) for _ in range(24)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert view(cache).call("get", ["hits"]) == 24 * 40
    # the pool keeps its connections open: the server sees every one the pool ever made
    clients = [c for c in redis_client.client_list() if c["name"] == name]
    assert 1 <= len(clients) <= 3
    cache.close()


def test_redis_urls_are_checked_and_configure_the_pool() -> None:
    cache = RedisScriptCache.from_url(
        "redis://user:p%40ss@cache.internal:6380/2", timeout=2.5, max_connections=7
    )
    pool = cache.client.connection_pool
    assert isinstance(pool, redis.BlockingConnectionPool)
    assert pool.max_connections == 7
    assert pool.timeout == 2.5
    assert {
        key: pool.connection_kwargs[key]
        for key in ("host", "port", "db", "username", "password", "socket_timeout")
    } == {
        "host": "cache.internal",
        "port": 6380,
        "db": 2,
        "username": "user",
        "password": "p@ss",
        "socket_timeout": 2.5,
    }
    tls = RedisScriptCache.from_url("rediss://cache.internal").client.connection_pool
    assert issubclass(tls.connection_class, redis.SSLConnection)
    for bad in ("http://localhost", "redis://", "redis://h/db", "unix:///tmp/redis.sock"):
        with pytest.raises(ConfigurationError):
            RedisScriptCache.from_url(bad)
    for options in ({"timeout": 0}, {"max_connections": 0}):
        with pytest.raises(ConfigurationError):
            RedisScriptCache.from_url("redis://localhost", **options)  # type: ignore[arg-type]


def test_a_redis_url_with_a_database_selects_it(redis_client: redis.Redis, namespace: str) -> None:
    in_db_1 = RedisScriptCache.from_url("redis://127.0.0.1:6379/1", namespace=namespace)
    try:
        view(in_db_1).call("set", ["k", "in db 1", 60])
        assert redis_client.get(namespace + "tenant:acme:script:s1:k") is None
        assert view(in_db_1).call("get", ["k"]) == "in db 1"
        view(in_db_1).call("delete", ["k"])
    finally:
        in_db_1.close()


@pytest.fixture
def tls_redis(tmp_path: Path) -> Iterator[tuple[int, str]]:
    """A Redis server of the test's own that speaks TLS only: its port and CA certificate."""
    require_redis()
    missing = [tool for tool in ("redis-server", "openssl") if shutil.which(tool) is None]
    if missing:
        reason = f"{' and '.join(missing)} needed to run a Redis server with TLS"
        if os.environ.get("ESRUNTIME_REQUIRE_REDIS") == "1":
            pytest.fail(f"ESRUNTIME_REQUIRE_REDIS=1 but {reason}")
        pytest.skip(reason)
    cert, key = tmp_path / "redis.pem", tmp_path / "redis.key"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-nodes", "-days", "1", "-newkey", "ec"),
            *("-pkeyopt", "ec_paramgen_curve:prime256v1", "-subj", "/CN=127.0.0.1"),
            *("-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)),
        ],
        check=True,
        capture_output=True,
    )
    port = unused_port()
    server = subprocess.Popen(
        [
            *("redis-server", "--port", "0", "--tls-port", str(port), "--dir", str(tmp_path)),
            *("--tls-cert-file", str(cert), "--tls-key-file", str(key)),
            *("--tls-ca-cert-file", str(cert), "--tls-auth-clients", "no"),
            *("--save", "", "--appendonly", "no"),
        ],
        stdout=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert server.poll() is None, "redis-server exited"
                assert time.monotonic() < deadline, "redis-server did not listen within 30 s"
                time.sleep(0.05)
        yield port, str(cert)
    finally:
        server.terminate()
        server.wait()


def test_rediss_urls_speak_tls(tls_redis: tuple[int, str]) -> None:
    port, ca = tls_redis
    cache = RedisScriptCache.from_url(f"rediss://127.0.0.1:{port}/0", ssl_ca_certs=ca)
    assert view(cache).call("set", ["k", {"over": "tls"}]) is True
    assert view(cache).call("get", ["k"]) == {"over": "tls"}
    cache.close()
    # the certificate is checked: without its CA the connection is refused
    untrusted = RedisScriptCache.from_url(f"rediss://127.0.0.1:{port}/0")
    with pytest.raises(SdkError, match=r"^The cache is unavailable: "):
        view(untrusted).call("get", ["k"])
    untrusted.close()
    # and a plain connection to the TLS port gets no answer it can use
    plain = RedisScriptCache.from_url(f"redis://127.0.0.1:{port}/0")
    with pytest.raises(SdkError, match=r"^The cache is unavailable: "):
        view(plain).call("get", ["k"])
    plain.close()


def test_without_redis_py_the_import_error_names_the_extra() -> None:
    code = (
        "import sys; sys.modules['redis'] = None\n"
        "try:\n    import esruntime.scripts.sdk.redis\n"
        "except ImportError as exc:\n    print(exc)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == (
        "RedisScriptCache needs redis-py: pip install 'esruntime[redis]'"
    )
