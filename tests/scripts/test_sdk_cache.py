"""``sdk.cache`` from Python: prefixing and confinement, values, TTLs, atomic increments, on the
in-process backend and on a real Redis server (skipped when none answers)."""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from esruntime.errors import ConfigurationError, SdkError
from esruntime.scripts.sdk.cache import (
    MAX_KEY_LENGTH,
    MAX_VALUE_BYTES,
    InMemoryScriptCache,
    ScriptCache,
    ScriptCacheView,
)
from esruntime.scripts.sdk.redis import RedisReplyError, RedisScriptCache, RespClient

REDIS = ("127.0.0.1", 6379)


def redis_answers() -> bool:
    try:
        socket.create_connection(REDIS, timeout=1).close()
    except OSError:
        return False
    return True


@pytest.fixture
def redis_client() -> Iterator[RespClient]:
    if not redis_answers():
        reason = f"no Redis server answers at {REDIS[0]}:{REDIS[1]}"
        if os.environ.get("ESRUNTIME_REQUIRE_REDIS") == "1":
            pytest.fail(f"ESRUNTIME_REQUIRE_REDIS=1 but {reason}")
        pytest.skip(reason)
    client = RespClient(*REDIS)
    yield client
    client.close()


@pytest.fixture(params=["memory", "redis"])
def backend(request: pytest.FixtureRequest) -> Iterator[ScriptCache]:
    if request.param == "memory":
        yield InMemoryScriptCache()
        return
    client: RespClient = request.getfixturevalue("redis_client")
    namespace = f"esruntime-test:{uuid.uuid4()}:"
    yield RedisScriptCache(client, namespace=namespace)
    keys = client.execute_command("KEYS", namespace + "*")
    if keys:
        client.execute_command("DEL", *keys)


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


def test_entries_expire_after_their_ttl_in_redis(redis_client: RespClient) -> None:
    namespace = f"esruntime-test:{uuid.uuid4()}:"
    cache = view(RedisScriptCache(redis_client, namespace=namespace))
    cache.call("set", ["short", "v", 0.05])
    cache.call("set", ["forever", "v"])
    ttl = redis_client.execute_command("PTTL", namespace + "tenant:acme:script:s1:short")
    assert 0 < ttl <= 50
    assert redis_client.execute_command("TTL", namespace + "tenant:acme:script:s1:forever") == -1
    deadline = time.monotonic() + 10
    while cache.call("exists", ["short"]) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert cache.call("get", ["short"]) is None
    assert cache.call("get", ["forever"]) == "v"
    cache.call("delete", ["forever"])


def test_an_unreachable_redis_is_an_sdk_error() -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    cache = view(RedisScriptCache(RespClient("127.0.0.1", port, timeout=1)))
    with pytest.raises(SdkError, match=r"^The cache is unavailable: ConnectionRefusedError$"):
        cache.call("get", ["k"])


def test_the_resp_client_speaks_every_reply_type(redis_client: RespClient) -> None:
    key = f"esruntime-test:{uuid.uuid4()}"
    assert redis_client.execute_command("PING") == "PONG"
    assert redis_client.execute_command("SET", key, "é\r\n$3\r\n") == "OK"
    assert redis_client.execute_command("GET", key) == "é\r\n$3\r\n".encode()
    assert redis_client.execute_command("MGET", key, key + ":missing") == [
        "é\r\n$3\r\n".encode(),
        None,
    ]
    assert redis_client.execute_command("DEL", key) == 1
    with pytest.raises(RedisReplyError, match="wrong number of arguments"):
        redis_client.execute_command("GET")
    assert redis_client.execute_command("PING") == "PONG"  # the connection is still usable


def test_redis_urls_are_parsed() -> None:
    client = RespClient.from_url("redis://user:p%40ss@cache.internal:6380/2")
    assert client._address == ("cache.internal", 6380)
    assert client._setup == [("AUTH", "user", "p@ss"), ("SELECT", 2)]
    assert RespClient.from_url("redis://localhost")._address == ("localhost", 6379)
    for bad in ("http://localhost", "redis://", "redis://h/db"):
        with pytest.raises(ConfigurationError):
            RespClient.from_url(bad)


def test_a_redis_url_with_a_database_selects_it(redis_client: RespClient) -> None:
    key = f"esruntime-test:{uuid.uuid4()}"
    other = RespClient.from_url("redis://127.0.0.1:6379/1")
    try:
        other.execute_command("SET", key, "in db 1", "PX", 60_000)
        assert redis_client.execute_command("GET", key) is None
        assert other.execute_command("GET", key) == b"in db 1"
        other.execute_command("DEL", key)
    finally:
        other.close()
