"""SSRF probes: every way of spelling this machine or a private network is refused unsent.

The loopback server listens on the probed port, so a probe that slipped through would show up
in ``server.seen``. The allowlist names ``127.0.0.1:<port>`` only: other spellings are refused.
"""

from __future__ import annotations

import pytest

from esruntime.errors import SdkError
from esruntime.scripts.sdk.addresses import (
    check_resolved,
    ipv4_host,
    non_public_reason,
    system_resolver,
)
from esruntime.scripts.sdk.http import HttpPolicy, ScriptHttpClient

from .conftest import LoopbackServer

PROBES = [
    ("http://2130706433:{port}/", "host '2130706433' resolves to a non-public address (loopback)"),
    ("http://0x7f000001:{port}/", "host '0x7f000001' resolves to a non-public address (loopback)"),
    ("http://127.1:{port}/", "host '127.1' resolves to a non-public address (loopback)"),
    ("http://127.0.0.2:{port}/", "host '127.0.0.2' resolves to a non-public address (loopback)"),
    ("http://[::1]:{port}/", "host '::1' resolves to a non-public address (loopback)"),
    ("http://[::ffff:127.0.0.1]:{port}/", "(IPv4-mapped form of a loopback)"),
    ("http://[::127.0.0.1]:{port}/", "(IPv4-compatible, deprecated)"),
    ("http://[64:ff9b::7f00:1]:{port}/", "(NAT64 form of a loopback)"),
    ("http://[64:ff9b:1::a00:1]/", "(local-use NAT64)"),
    ("http://[2002:7f00:1::]:{port}/", "(6to4 form of a loopback)"),
    ("http://[2002:a9fe:a9fe::]/", "(6to4 form of a link-local, cloud metadata)"),
    ("http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/", "(Teredo form of a loopback)"),
    ("http://169.254.169.254/latest/meta-data/", "(link-local, cloud metadata)"),
    ("http://[fe80::1]/", "(link-local)"),
    ("http://10.0.0.1/", "(private)"),
    ("http://172.16.5.4/", "(private)"),
    ("http://192.168.1.1/", "(private)"),
    ("http://100.64.0.1/", "(shared, CGNAT)"),
    ("http://[fd00::1]/", "(unique-local)"),
    ("http://224.0.0.1/", "(multicast)"),
    ("http://[ff02::1]/", "(multicast)"),
    ("http://240.0.0.1/", "(reserved)"),
    ("http://255.255.255.255/", "(broadcast)"),
    ("http://0.0.0.0:{port}/", "host '0.0.0.0' resolves to a non-public address (unspecified)"),
    ("http://0:{port}/", "host '0' resolves to a non-public address (unspecified)"),
    ("http://[::]:{port}/", "(unspecified)"),
    ("http://localhost:{port}/", "host 'localhost' is this machine"),
    ("http://LOCALHOST.:{port}/", "host 'localhost.' is this machine"),
    ("http://api.localhost:{port}/", "host 'api.localhost' is this machine"),
    ("http://public@127.0.0.1:{port}/", "URLs with user information are not allowed"),
    ("http://127.0.0.1:{port}@127.0.0.1:{port}/", "URLs with user information are not allowed"),
    ("file:///etc/passwd", "scheme 'file' is not allowed (http and https)"),
    ("gopher://127.0.0.1:{port}/_GET", "scheme 'gopher' is not allowed"),
    ("ftp://127.0.0.1:{port}/", "scheme 'ftp' is not allowed"),
    ("dict://127.0.0.1:{port}/", "scheme 'dict' is not allowed"),
]


@pytest.mark.parametrize(("url", "message"), PROBES, ids=[url for url, _ in PROBES])
def test_probe_is_refused_and_sends_nothing(
    client: ScriptHttpClient, server: LoopbackServer, url: str, message: str
) -> None:
    with pytest.raises(SdkError) as refused:
        client.request("GET", url.format(port=server.port))

    assert str(refused.value).startswith("SSRF protection: ")
    assert message in str(refused.value)
    assert server.seen == []


# Every spelling of an IPv4 address that browsers read (the WHATWG URL Standard's IPv4 parser):
# judged as the address it spells, refused as SSRF whatever the allowlist says of 127.0.0.1.
NUMERIC_FORMS = [
    ("0177.0.0.1", "loopback"),
    ("0177.0000.0000.0001", "loopback"),
    ("127.000.000.001", "loopback"),
    ("0x7f.0.0.1", "loopback"),
    ("0X7F.0x0.0x0.0x1", "loopback"),
    ("0x7f000001", "loopback"),
    ("017700000001", "loopback"),
    ("2130706433", "loopback"),
    ("127.1", "loopback"),
    ("127.0.1", "loopback"),
    ("0177.1", "loopback"),
    ("0x7f.1", "loopback"),
    ("0x7f.0.1", "loopback"),
    ("0", "unspecified"),
    ("0x", "unspecified"),
    ("0.0", "unspecified"),
    ("012.0.0.1", "private"),
    ("10.1", "private"),
    ("167772161", "private"),
    ("0xc0.0xa8.1.1", "private"),
    ("0300.0250.1.1", "private"),
    ("0251.0376.0251.0376", "link-local, cloud metadata"),
    ("0xa9fea9fe", "link-local, cloud metadata"),
    ("2852039166", "link-local, cloud metadata"),
    ("169.254.43518", "link-local, cloud metadata"),
    ("4294967295", "broadcast"),
]


@pytest.mark.parametrize(("host", "reason"), NUMERIC_FORMS, ids=[h for h, _ in NUMERIC_FORMS])
def test_every_spelling_of_a_non_public_ipv4_address_is_refused_as_ssrf(
    client: ScriptHttpClient, server: LoopbackServer, host: str, reason: str
) -> None:
    with pytest.raises(SdkError) as refused:
        client.request("GET", f"http://{host}:{server.port}/echo")

    assert str(refused.value) == (
        f"SSRF protection: host {host.lower()!r} resolves to a non-public address ({reason})"
    )
    assert server.seen == []


@pytest.mark.parametrize(
    "url",
    [
        "http://[::ffff:127.0.0.1]:{port}/",
        "http://[::ffff:7f00:1]:{port}/",
        "http://[0:0:0:0:0:ffff:127.0.0.1]:{port}/",
        "http://[::ffff:a9fe:a9fe]/",
    ],
)
def test_ipv4_mapped_ipv6_spellings_are_refused_as_ssrf(
    client: ScriptHttpClient, server: LoopbackServer, url: str
) -> None:
    with pytest.raises(SdkError) as refused:
        client.request("GET", url.format(port=server.port))

    assert str(refused.value).startswith("SSRF protection: host ")
    assert "(IPv4-mapped form of a " in str(refused.value)
    assert server.seen == []


def test_user_information_before_a_numeric_host_is_refused_as_ssrf(
    client: ScriptHttpClient, server: LoopbackServer
) -> None:
    with pytest.raises(SdkError) as refused:
        client.request("GET", f"http://user@0177.0.0.1:{server.port}/")

    assert str(refused.value) == "SSRF protection: URLs with user information are not allowed"
    assert server.seen == []


@pytest.mark.parametrize(
    "target", ["http://0177.0.0.1:{port}/echo", "http://2130706433:{port}/echo", "//0x7f.1/"]
)
def test_a_redirect_to_a_numeric_spelling_of_loopback_is_refused_as_ssrf(
    client: ScriptHttpClient, server: LoopbackServer, target: str
) -> None:
    location = target.format(port=server.port)
    with pytest.raises(SdkError) as refused:
        client.request("GET", f"{server.url}/redirect", options={"query": {"to": location}})

    assert str(refused.value).startswith("SSRF protection: host ")
    assert str(refused.value).endswith("resolves to a non-public address (loopback)")
    assert [seen["path"] for seen in server.seen] == ["/redirect"]


@pytest.mark.parametrize("host", ["256.0.0.1", "08.0.0.1", "1.2.3.4.5", "0x100000000", "x.1"])
def test_a_host_that_ends_in_a_number_but_is_no_address_is_an_invalid_url(
    client: ScriptHttpClient, host: str
) -> None:
    with pytest.raises(SdkError) as refused:
        client.request("GET", f"http://{host}/")

    assert str(refused.value) == f"Invalid URL: host {host!r} is not a valid IPv4 address"


@pytest.mark.parametrize(
    ("host", "address"),
    [
        ("8.8.8.8", "8.8.8.8"),
        ("010.010.010.010", "8.8.8.8"),
        ("0x8.0x8.0x8.0x8", "8.8.8.8"),
        ("134744072", "8.8.8.8"),
        ("8.526344", "8.8.8.8"),
        ("1.1", "1.0.0.1"),
        ("example.com", None),
        ("api.example.com", None),
        ("127.0.0.1", "127.0.0.1"),
    ],
)
def test_numeric_hosts_are_read_as_browsers_read_them(host: str, address: str | None) -> None:
    assert (None if ipv4_host(host) is None else str(ipv4_host(host))) == address


def test_the_allowlisted_address_with_a_trailing_dot_is_the_same_host(
    client: ScriptHttpClient, server: LoopbackServer
) -> None:
    assert client.request("GET", f"http://127.0.0.1.:{server.port}/echo")["status"] == 200


def test_cookies_set_for_one_call_are_not_sent_by_the_next(
    client: ScriptHttpClient, server: LoopbackServer
) -> None:
    """The client serves every script of every tenant: no call may see another's cookies."""
    assert client.request("GET", f"{server.url}/cookie")["headers"]["set-cookie"]

    echoed = client.request("GET", f"{server.url}/echo")["body"]

    assert "cookie" not in echoed["headers"]


def test_without_an_allowlist_even_the_servers_own_address_is_refused(
    server: LoopbackServer,
) -> None:
    with ScriptHttpClient() as client, pytest.raises(SdkError, match="SSRF protection"):
        client.request("GET", f"{server.url}/echo")

    assert server.seen == []


def test_an_allowlist_entry_without_a_port_allows_every_port_of_that_host(
    server: LoopbackServer,
) -> None:
    with ScriptHttpClient(HttpPolicy(allowlist=["127.0.0.1"])) as client:
        assert client.request("GET", f"{server.url}/echo")["status"] == 200


def test_a_policy_can_allow_https_only(server: LoopbackServer) -> None:
    policy = HttpPolicy(allowlist=["127.0.0.1"], schemes=frozenset({"https"}))
    with ScriptHttpClient(policy) as client, pytest.raises(SdkError) as refused:
        client.request("GET", f"{server.url}/echo")

    assert str(refused.value) == "SSRF protection: scheme 'http' is not allowed (https)"


@pytest.mark.parametrize(
    "address",
    [
        "8.8.8.8",
        "1.1.1.1",
        "2606:4700:4700::1111",
        "::ffff:8.8.8.8",
        "64:ff9b::808:808",
        "2002:808:808::1",
        "2001:0:4136:e378:8000:63bf:f7f7:f7f7",
    ],
)
def test_public_addresses_in_any_form_are_allowed(address: str) -> None:
    assert non_public_reason(address) is None
    assert check_resolved("example.com", [address]) == [address]


@pytest.mark.parametrize(
    ("addresses", "reason"),
    [
        (["10.1.2.3"], "private"),
        (["93.184.216.34", "127.0.0.1"], "loopback"),
        (["2606:4700::1", "fd12::1"], "unique-local"),
        (["192.0.2.7"], "documentation"),
        (["2001:db8::7"], "documentation"),
        (["198.18.0.1"], "reserved"),
        (["fe80::1%lo"], "link-local"),
        (["not-an-address"], "unparseable"),
    ],
)
def test_a_name_is_refused_if_any_of_its_addresses_is_not_public(
    addresses: list[str], reason: str
) -> None:
    with pytest.raises(SdkError) as refused:
        check_resolved("internal.example", addresses)

    assert str(refused.value) == (
        f"SSRF protection: host 'internal.example' resolves to a non-public address ({reason})"
    )


def test_a_name_without_addresses_fails_plainly() -> None:
    with pytest.raises(SdkError, match=r"^HTTP request failed: host 'x\.example' has no address$"):
        check_resolved("x.example", [])
    with pytest.raises(SdkError, match=r"^HTTP request failed: cannot resolve host"):
        system_resolver("no-such-host.invalid", 80)
