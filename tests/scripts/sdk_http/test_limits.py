"""sdk.http bounds: the timeout covers the whole call, bodies are capped, redirects rechecked."""

from __future__ import annotations

import pytest

from esruntime.errors import SdkError
from esruntime.scripts.sdk.http import HttpPolicy, ScriptHttpClient

from .conftest import LoopbackServer


def test_a_server_slower_than_the_timeout_fails_the_call(
    client: ScriptHttpClient, server: LoopbackServer
) -> None:
    with pytest.raises(SdkError, match=r"^HTTP request timed out after 200 ms$"):
        client.request("GET", f"{server.url}/slow?ms=5000", options={"timeout": 200})


def test_a_body_dripping_a_byte_at_a_time_cannot_stretch_the_timeout(
    client: ScriptHttpClient, server: LoopbackServer
) -> None:
    """Every read gets a byte in time; only a deadline over the whole call stops it."""
    with pytest.raises(SdkError, match=r"^HTTP request timed out after 300 ms$"):
        client.request("GET", f"{server.url}/drip?ms=5000", options={"timeout": 300})


def test_a_server_within_the_timeout_answers(
    client: ScriptHttpClient, server: LoopbackServer
) -> None:
    response = client.request("GET", f"{server.url}/drip?ms=200", options={"timeout": 5000})

    assert response["body"] == "...."


@pytest.mark.parametrize(
    "path", ["/big?bytes=2000", "/big?bytes=2000&chunked=1", "/gzip?bytes=2000"]
)
def test_responses_larger_than_the_limit_are_refused(server: LoopbackServer, path: str) -> None:
    policy = HttpPolicy(allowlist=[f"127.0.0.1:{server.port}"], max_response_bytes=1000)
    with ScriptHttpClient(policy) as client, pytest.raises(SdkError) as refused:
        client.request("GET", server.url + path)

    assert str(refused.value) == "Response too large: more than 1000 bytes"


def test_a_compression_bomb_is_stopped_at_the_limit(
    client: ScriptHttpClient, server: LoopbackServer
) -> None:
    """50 MiB of zeros compress to ~50 KiB; the default 5 MiB limit stops the decompression."""
    with pytest.raises(SdkError, match=r"^Response too large: more than 5242880 bytes$"):
        client.request("GET", f"{server.url}/gzip?bytes={50 * 1024 * 1024}")


def test_a_body_of_exactly_the_limit_is_read(server: LoopbackServer) -> None:
    policy = HttpPolicy(allowlist=[f"127.0.0.1:{server.port}"], max_response_bytes=1000)
    with ScriptHttpClient(policy) as client:
        for path in ("/big?bytes=1000", "/big?bytes=1000&chunked=1", "/gzip?bytes=1000"):
            assert len(client.request("GET", server.url + path)["body"]) == 1000


def test_redirects_are_followed_to_the_final_response(
    client: ScriptHttpClient, server: LoopbackServer
) -> None:
    """/chain/4 redirects five times: the most a call follows."""
    response = client.request("GET", f"{server.url}/chain/4")

    assert response["body"]["path"] == "/echo"
    assert [seen["path"] for seen in server.seen] == [f"/chain/{n}" for n in range(4, -1, -1)] + [
        "/echo"
    ]


def test_more_than_five_redirects_fail(client: ScriptHttpClient, server: LoopbackServer) -> None:
    with pytest.raises(SdkError, match=r"^HTTP request failed: more than 5 redirects$"):
        client.request("GET", f"{server.url}/chain/5")

    assert len(server.seen) == 6


@pytest.mark.parametrize(("status", "method"), [(303, "GET"), (302, "GET"), (307, "POST")])
def test_redirects_keep_or_drop_the_method_and_body_by_status(
    client: ScriptHttpClient, server: LoopbackServer, status: int, method: str
) -> None:
    url = f"{server.url}/redirect?status={status}&to=/echo"
    response = client.request("POST", url, {"n": 1}, {"headers": {"Authorization": "t"}})

    assert response["body"]["method"] == method
    assert response["body"]["body"] == ("" if method == "GET" else '{"n":1}')
    assert response["body"]["headers"]["authorization"] == "t"  # same origin keeps it


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("http://localhost:{port}/echo", "SSRF protection: host 'localhost' is this machine"),
        ("http://127.0.0.2:{port}/echo", "SSRF protection: host '127.0.0.2' resolves to a non-"),
        ("http://127.0.0.1:1/echo", "SSRF protection: host '127.0.0.1' resolves to a non-public"),
        ("http://169.254.169.254/latest/meta-data/", "SSRF protection: host '169.254.169.254'"),
        ("http://[::1]:{port}/", "SSRF protection: host '::1' resolves to a non-public"),
        ("file:///etc/passwd", "SSRF protection: redirect to scheme 'file' is not allowed"),
        ("gopher://127.0.0.1:{port}/", "SSRF protection: redirect to scheme 'gopher'"),
        ("http://user@127.0.0.1:{port}/echo", "SSRF protection: URLs with user information"),
    ],
)
def test_a_redirect_from_an_allowlisted_server_to_a_private_target_is_refused(
    client: ScriptHttpClient, server: LoopbackServer, target: str, message: str
) -> None:
    """The allowlist names 127.0.0.1 with the server's port: nothing else on this machine."""
    target = target.format(port=server.port)
    with pytest.raises(SdkError) as refused:
        client.request("GET", f"{server.url}/redirect", options={"query": {"to": target}})

    assert str(refused.value).startswith(message)
    assert [seen["path"] for seen in server.seen] == ["/redirect"]
