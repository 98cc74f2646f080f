"""What the client refuses before sending anything: bad settings and input that HTTP cannot
carry. The URL points at a closed port, so a request that went out would fail differently."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest

from esruntime.client import Client
from esruntime.errors import ConfigurationError, InvalidCommandInput, InvalidQueryError


@pytest.fixture
def client() -> Iterator[Client]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with Client(f"http://127.0.0.1:{port}/v1") as client:
        yield client


@pytest.mark.parametrize("url", ["ftp://host/v1", "not a url", "", "http:///v1", "//host/v1"])
def test_a_base_url_must_be_http_with_a_host(url: str) -> None:
    with pytest.raises(ConfigurationError, match="base URL"):
        Client(url)


@pytest.mark.parametrize("key", ["", "two words", "line\nbreak", "clé", "tab\there"])
def test_an_api_key_must_fit_in_a_header(key: str) -> None:
    with pytest.raises(ConfigurationError, match="API key"):
        Client(api_key=key)


@pytest.mark.parametrize(
    "options",
    [
        {"max_retries": -1},
        {"max_retries": 1.5},
        {"max_retries": True},
        {"backoff": -0.1},
        {"backoff": 2.0, "max_backoff": 1.0},
        {"max_response_bytes": -5},
    ],
)
def test_retry_and_size_settings_are_checked(options: dict[str, Any]) -> None:
    with pytest.raises(ConfigurationError):
        Client(**options)


def test_retries_per_call_are_checked(client: Client) -> None:
    with pytest.raises(ConfigurationError, match="retries is an integer >= 0, got -1"):
        client.execute("deposit", {}, retries=-1)


@pytest.mark.parametrize(
    ("command", "message"),
    [
        ({"amount": float("nan")}, "Out of range float values are not JSON compliant"),
        ({"when": object()}, "is not JSON serializable"),
        ({"text": "\ud800"}, "surrogates not allowed"),
        ({(1, 2): 3}, "keys must be str"),
    ],
)
def test_command_input_that_json_cannot_carry_is_refused(
    client: Client, command: Any, message: str
) -> None:
    with pytest.raises(InvalidCommandInput, match="the command input cannot be sent as JSON") as e:
        client.execute("deposit", command)
    assert message in str(e.value)


@pytest.mark.parametrize("key", ["", "a\nb", "é", "k" * 201])
def test_an_idempotency_key_must_be_a_short_printable_ascii_string(
    client: Client, key: str
) -> None:
    with pytest.raises(InvalidQueryError, match="idempotency key"):
        client.execute("deposit", {}, idempotency_key=key)


def test_names_versions_modules_and_texts_are_checked(client: Client) -> None:
    with pytest.raises(InvalidCommandInput, match="a command name is a non-empty string"):
        client.execute("", {})
    with pytest.raises(InvalidCommandInput, match="an event id is a non-empty string"):
        client.get_event("")
    with pytest.raises(InvalidCommandInput, match="X-Handler-Version must be printable ASCII"):
        client.upload_handler("count", b"\0asm", "1.0.0\r\nX-Evil: 1")
    with pytest.raises(InvalidCommandInput, match="a module is bytes, got str"):
        client.upload_handler("count", "\0asm", "1.0.0")  # type: ignore[arg-type]
    with pytest.raises(InvalidCommandInput, match="an ESDL schema is text"):
        client.push_schema(b"event A {}")  # type: ignore[arg-type]
    with pytest.raises(InvalidCommandInput, match="cannot be sent as UTF-8"):
        client.validate_schema("event \udc80 {}")
    with pytest.raises(InvalidQueryError, match="event_types is a list of names"):
        client.query_events("SentFunds")
    with pytest.raises(InvalidCommandInput, match="the query cannot be sent as JSON"):
        client.query_events(domain_ids={"account_id": {1, 2}})
