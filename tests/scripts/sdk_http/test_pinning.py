"""DNS pinning: a host is resolved once per connection and the checked address is the one used.

The names here exist only in the test's resolver hook, so a second lookup through the system
resolver could not reach the server at all; that the calls succeed shows the client connected to
the address the hook gave and the checks saw.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from esruntime.errors import SdkError
from esruntime.scripts.sdk.http import HttpPolicy, ScriptHttpClient

from .conftest import LoopbackServer

Lookups = list[tuple[str, int]]


def hook(answers: dict[str, list[str]], lookups: Lookups) -> Callable[[str, int], Sequence[str]]:
    def resolve(host: str, port: int) -> Sequence[str]:
        lookups.append((host, port))
        return answers[host]

    return resolve


def test_the_connection_goes_to_the_address_the_resolver_gave(server: LoopbackServer) -> None:
    lookups: Lookups = []
    policy = HttpPolicy(allowlist=[f"api.pinned.test:{server.port}"])
    resolver = hook({"api.pinned.test": ["127.0.0.1"]}, lookups)
    with ScriptHttpClient(policy, resolver=resolver) as client:
        response = client.request("GET", f"http://api.pinned.test:{server.port}/echo")

    assert response["status"] == 200
    assert lookups == [("api.pinned.test", server.port)]
    assert server.seen[0]["headers"]["host"] == f"api.pinned.test:{server.port}"


def test_a_name_resolving_to_a_private_address_is_refused_before_connecting(
    server: LoopbackServer,
) -> None:
    lookups: Lookups = []
    resolver = hook({"internal.test": ["127.0.0.1"]}, lookups)
    with ScriptHttpClient(resolver=resolver) as client, pytest.raises(SdkError) as refused:
        client.request("GET", f"http://internal.test:{server.port}/echo")

    assert str(refused.value) == (
        "SSRF protection: host 'internal.test' resolves to a non-public address (loopback)"
    )
    assert server.seen == []


def test_one_private_address_among_public_ones_is_enough_to_refuse(
    server: LoopbackServer,
) -> None:
    resolver = hook({"mixed.test": ["93.184.216.34", "2606:2800::1", "127.0.0.1"]}, [])
    with ScriptHttpClient(resolver=resolver) as client, pytest.raises(SdkError) as refused:
        client.request("GET", f"http://mixed.test:{server.port}/echo")

    assert "non-public address (loopback)" in str(refused.value)
    assert server.seen == []


def test_a_rebinding_answer_is_never_asked_for(server: LoopbackServer) -> None:
    """A rebinding DNS server answers differently on the second lookup; there is none."""
    lookups: Lookups = []
    answers = iter([["127.0.0.1"], ["169.254.169.254"]])

    def rebinding(host: str, port: int) -> Sequence[str]:
        lookups.append((host, port))
        return next(answers)

    policy = HttpPolicy(allowlist=[f"rebind.test:{server.port}"])
    with ScriptHttpClient(policy, resolver=rebinding) as client:
        client.request("GET", f"http://rebind.test:{server.port}/echo")

    assert len(lookups) == 1
    assert len(server.seen) == 1


def test_a_failing_first_address_falls_back_to_the_next_checked_one(
    server: LoopbackServer,
) -> None:
    """127.0.0.1:<port> on 127.0.0.3 refuses the connection; the second address answers."""
    policy = HttpPolicy(allowlist=[f"two.test:{server.port}"])
    resolver = hook({"two.test": ["127.0.0.3", "127.0.0.1"]}, [])
    with ScriptHttpClient(policy, resolver=resolver) as client:
        assert client.request("GET", f"http://two.test:{server.port}/echo")["status"] == 200


def make_certificate(directory: Path, name: str) -> tuple[str, str]:
    if shutil.which("openssl") is None:
        reason = "the openssl command is needed to make a test certificate"
        if os.environ.get("ESRUNTIME_REQUIRE_TOOLCHAINS") == "1":
            pytest.fail(f"ESRUNTIME_REQUIRE_TOOLCHAINS=1 but {reason}")
        pytest.skip(reason)
    cert, key = directory / f"{name}.pem", directory / f"{name}.key"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-nodes", "-days", "1", "-newkey", "ec"),
            *("-pkeyopt", "ec_paramgen_curve:prime256v1", "-subj", f"/CN={name}"),
            *("-addext", f"subjectAltName=DNS:{name}", "-keyout", str(key), "-out", str(cert)),
        ],
        check=True,
        capture_output=True,
    )
    return str(cert), str(key)


def test_https_uses_the_name_for_sni_and_certificate_checks(
    server: LoopbackServer, tmp_path: Path
) -> None:
    cert, key = make_certificate(tmp_path, "secure.test")
    server.use_tls(cert, key)
    policy = HttpPolicy(allowlist=[f"secure.test:{server.port}"], ca_bundle=cert)
    resolver = hook({"secure.test": ["127.0.0.1"]}, [])
    with ScriptHttpClient(policy, resolver=resolver) as client:
        response = client.request("GET", f"https://secure.test:{server.port}/echo")

    assert response["status"] == 200
    assert server.sni == ["secure.test"]
    assert server.seen[0]["headers"]["host"] == f"secure.test:{server.port}"


def test_https_refuses_a_certificate_for_another_name(
    server: LoopbackServer, tmp_path: Path
) -> None:
    cert, key = make_certificate(tmp_path, "other.test")
    server.use_tls(cert, key)
    policy = HttpPolicy(allowlist=[f"secure.test:{server.port}"], ca_bundle=cert)
    resolver = hook({"secure.test": ["127.0.0.1"]}, [])
    with ScriptHttpClient(policy, resolver=resolver) as client, pytest.raises(SdkError) as refused:
        client.request("GET", f"https://secure.test:{server.port}/echo")

    assert str(refused.value).startswith("HTTP request failed: ")
    assert "CERTIFICATE_VERIFY_FAILED" in str(refused.value)
    assert server.seen == []


def test_a_resolver_that_hangs_cannot_hold_the_call_past_its_timeout(
    server: LoopbackServer,
) -> None:
    released = threading.Event()

    def hanging(host: str, port: int) -> Sequence[str]:
        released.wait(10)
        return ["127.0.0.1"]

    policy = HttpPolicy(allowlist=[f"slow-dns.test:{server.port}"])
    try:
        with ScriptHttpClient(policy, resolver=hanging) as client, pytest.raises(SdkError) as late:
            client.request("GET", f"http://slow-dns.test:{server.port}/", options={"timeout": 200})
    finally:
        released.set()

    assert str(late.value) == "HTTP request timed out after 200 ms"
    assert server.seen == []


def test_proxies_from_the_environment_are_ignored(
    server: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A proxy would see (and could redirect) every request; the client never uses one."""
    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.setenv(name, "http://127.0.0.1:9/")
    with ScriptHttpClient(HttpPolicy(allowlist=[f"127.0.0.1:{server.port}"])) as client:
        assert client.request("GET", f"{server.url}/echo")["status"] == 200
