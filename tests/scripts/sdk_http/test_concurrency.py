"""One client serves many scripts at once: answers and deadlines never cross between calls."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from esruntime.errors import ConfigurationError, SdkError
from esruntime.scripts.sdk.http import HttpPolicy, ScriptHttpClient

from .conftest import LoopbackServer


def test_concurrent_calls_each_get_their_own_answer(
    client: ScriptHttpClient, server: LoopbackServer
) -> None:
    def call(n: int) -> Any:
        return client.request("POST", f"{server.url}/echo", {"n": n}, {"query": {"n": n}})

    with ThreadPoolExecutor(max_workers=16) as pool:
        responses = list(pool.map(call, range(200)))

    assert [r["body"]["query"]["n"] for r in responses] == [[str(n)] for n in range(200)]
    assert [r["body"]["body"] for r in responses] == [f'{{"n":{n}}}' for n in range(200)]


def test_a_short_timeout_in_one_thread_does_not_cut_calls_in_others(
    client: ScriptHttpClient, server: LoopbackServer
) -> None:
    def call(n: int) -> str:
        if n % 2:
            try:
                client.request("GET", f"{server.url}/slow?ms=3000", options={"timeout": 100})
            except SdkError as exc:
                return str(exc)
            return "no timeout"
        return str(client.request("GET", f"{server.url}/drip?ms=300")["body"])

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(call, range(16)))

    assert results == ["......", "HTTP request timed out after 100 ms"] * 8


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"allowlist": "127.0.0.1"}, "must be a collection of host[:port]"),
        ({"allowlist": ["127.0.0.1:99999"]}, "bad HttpPolicy.allowlist entry '127.0.0.1:99999'"),
        ({"allowlist": ["http://x/"]}, "bad HttpPolicy.allowlist entry"),
        ({"max_redirects": 0}, "HttpPolicy.max_redirects must be a positive integer"),
        ({"schemes": {"ftp"}}, "HttpPolicy.schemes must be a subset"),
        ({"default_timeout_ms": 60_000}, "default_timeout_ms exceeds max_timeout_ms"),
    ],
)
def test_bad_policies_are_refused(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message.replace("[", r"\[").replace(".", r"\.")):
        HttpPolicy(**options)


def test_allowlist_entries_are_normalized() -> None:
    policy = HttpPolicy(allowlist=["API.Example.com.", "[::1]:8080", "10.0.0.1:80"])

    assert policy.allowlist == frozenset({"api.example.com", "[::1]:8080", "10.0.0.1:80"})
    assert policy.allows_private("api.example.com.", 443)
    assert policy.allows_private("::1", 8080)
    assert not policy.allows_private("::1", 8081)
    assert not policy.allows_private("10.0.0.1", 8080)
