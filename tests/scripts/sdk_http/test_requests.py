"""sdk.http against a real server: methods, headers, query strings, bodies both ways."""

from __future__ import annotations

from typing import Any

import pytest

from esruntime.errors import SdkError
from esruntime.scripts.sdk.http import ScriptHttpClient

from .conftest import LoopbackServer


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "DELETE", "PATCH", "patch"])
def test_every_sdk_method_reaches_the_server(
    client: ScriptHttpClient, server: LoopbackServer, method: str
) -> None:
    response = client.request(method, f"{server.url}/echo")

    assert response["status"] == 200
    assert response["body"]["method"] == method.upper()
    assert server.seen[-1]["method"] == method.upper()


def test_json_bodies_are_sent_as_json_and_parsed_back(
    client: ScriptHttpClient, server: LoopbackServer
) -> None:
    response = client.request("POST", f"{server.url}/echo", {"amount": 5, "tags": ["a", "é"]})

    echoed = response["body"]
    assert echoed["headers"]["content-type"] == "application/json"
    assert echoed["body"] == '{"amount":5,"tags":["a","é"]}'
    assert response["headers"]["content-type"] == "application/json"
    assert response["headers"]["x-echo"] == "yes"


@pytest.mark.parametrize(
    ("body", "sent", "kind"),
    [
        ("plain words", "plain words", "text/plain; charset=utf-8"),
        (b"\x00raw", "\x00raw", "application/octet-stream"),
        ([1, 2.5, None, True], "[1,2.5,null,true]", "application/json"),
        (7, "7", "application/json"),
    ],
)
def test_text_bytes_and_other_values_are_encoded_by_type(
    client: ScriptHttpClient, server: LoopbackServer, body: Any, sent: str, kind: str
) -> None:
    response = client.request("PUT", f"{server.url}/echo", body)

    assert response["body"]["body"] == sent
    assert response["body"]["headers"]["content-type"] == kind


def test_script_headers_are_sent_and_its_content_type_wins(
    client: ScriptHttpClient, server: LoopbackServer
) -> None:
    headers = {"X-Api-Key": "k1", "Content-Type": "text/csv", "X-Count": 3}
    response = client.request("POST", f"{server.url}/echo", "a,b", {"headers": headers})

    seen = response["body"]["headers"]
    assert seen["x-api-key"] == "k1"
    assert seen["x-count"] == "3"
    assert seen["content-type"] == "text/csv"
    assert seen["user-agent"] == "esruntime-scripts"


def test_query_options_merge_with_the_urls_own_query(
    client: ScriptHttpClient, server: LoopbackServer
) -> None:
    query = {"q": "a b&c", "n": 2.0, "flag": True, "many": ["x", 1]}
    response = client.request("GET", f"{server.url}/echo?keep=1", options={"query": query})

    assert response["body"]["query"] == {
        "keep": ["1"],
        "q": ["a b&c"],
        "n": ["2"],
        "flag": ["true"],
        "many": ["x", "1"],
    }


def test_text_responses_are_decoded_with_their_charset(
    client: ScriptHttpClient, server: LoopbackServer
) -> None:
    response = client.request("GET", f"{server.url}/text")

    assert response["body"] == "héllo, world"


def test_error_statuses_are_responses_and_json_suffix_types_are_parsed(
    client: ScriptHttpClient, server: LoopbackServer
) -> None:
    response = client.request("DELETE", f"{server.url}/status/418")

    assert response["status"] == 418
    assert response["body"] == {"error": "as asked"}


def test_gzip_bodies_are_decompressed(client: ScriptHttpClient, server: LoopbackServer) -> None:
    response = client.request("GET", f"{server.url}/gzip?bytes=1000")

    assert response["body"] == "z" * 1000
    assert server.seen[-1]["headers"]["accept-encoding"] == "gzip, deflate"


@pytest.mark.parametrize(
    ("method", "url", "options", "message"),
    [
        ("TRACE", "/echo", None, "Invalid HTTP request: method 'TRACE' is not supported"),
        (None, "/echo", None, "Invalid HTTP request: method None is not supported"),
        ("GET", "/echo", {"timeout": 0}, "Invalid HTTP options: timeout must be 1 to 30000"),
        ("GET", "/echo", {"timeout": 10**9}, "Invalid HTTP options: timeout must be 1 to"),
        ("GET", "/echo", {"timeout": "5"}, "Invalid HTTP options: timeout must be 1 to"),
        ("GET", "/echo", {"retries": 3}, "Invalid HTTP options: unknown option 'retries'"),
        ("GET", "/echo", ["headers"], "Invalid HTTP options: options must be an object"),
        ("GET", "/echo", {"headers": "x"}, "Invalid HTTP options: headers must be an object"),
        ("GET", "/echo", {"headers": {"Host": "a"}}, "Invalid HTTP options: header 'Host'"),
        ("GET", "/echo", {"headers": {"Transfer-Encoding": "chunked"}}, "Invalid HTTP options"),
        ("GET", "/echo", {"headers": {"X": "a\r\nEvil: 1"}}, "Invalid HTTP options: bad value"),
        ("GET", "/echo", {"headers": {"Bad Name": "a"}}, "Invalid HTTP options: bad header name"),
        ("GET", "/echo", {"headers": {"X": {"a": 1}}}, "Invalid HTTP options: header 'X' must"),
        ("GET", "/echo", {"query": {"q": {"a": 1}}}, "Invalid HTTP options: query parameter"),
        (
            "GET",
            "/echo",
            {"headers": {f"X-{i}": "v" for i in range(101)}},
            "Invalid HTTP options: more than 100",
        ),
    ],
)
def test_malformed_calls_are_refused_before_anything_is_sent(
    client: ScriptHttpClient,
    server: LoopbackServer,
    method: Any,
    url: str,
    options: Any,
    message: str,
) -> None:
    with pytest.raises(SdkError) as refused:
        client.request(method, server.url + url, None, options)

    assert str(refused.value).startswith(message)
    assert server.seen == []


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (None, "Invalid URL: a URL must be a string"),
        ("http://", "Invalid URL: no host"),
        ("http://[::1", "Invalid URL: "),
        ("http://x/" + "a" * 9000, "Invalid URL: longer than 8192 characters"),
        ("not a url", "SSRF protection: scheme '' is not allowed"),
    ],
)
def test_malformed_urls_are_refused(client: ScriptHttpClient, url: Any, message: str) -> None:
    with pytest.raises(SdkError) as refused:
        client.request("GET", url)

    assert str(refused.value).startswith(message)


def test_bodies_that_are_not_json_or_too_large_are_refused(
    client: ScriptHttpClient, server: LoopbackServer
) -> None:
    with pytest.raises(SdkError, match="Invalid HTTP request: the body is not JSON"):
        client.request("POST", f"{server.url}/echo", {"when": object()})
    with pytest.raises(SdkError, match="Invalid HTTP request: the body is not JSON"):
        client.request("POST", f"{server.url}/echo", float("nan"))
    with pytest.raises(SdkError, match="the body is larger than 5242880 bytes"):
        client.request("POST", f"{server.url}/echo", "x" * (5 * 1024 * 1024 + 1))
    assert server.seen == []
