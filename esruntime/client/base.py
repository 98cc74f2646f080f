"""What the sync and async clients share: their settings, checked once, and the retry policy.

A command that conflicts (HTTP 409) is sent again, with the same body and the same idempotency
key, after a jittered exponential backoff, up to ``max_retries`` times; the outcome counts the
retries of the server (``X-Retry-Count``) and of the client.
"""

from __future__ import annotations

from collections.abc import Mapping

import httpx
from attrs import evolve

from esruntime import __version__
from esruntime.backoff import backoff_delay
from esruntime.client.models import CommandResponse
from esruntime.client.protocol import Answer
from esruntime.errors import ConfigurationError, MalformedResponseError

__all__ = [
    "DEFAULT_URL",
    "MAX_RESPONSE_BYTES",
    "Settings",
    "Tally",
    "answer_of",
    "declared_too_large",
]

DEFAULT_URL = "http://127.0.0.1:8000/v1"
"""Where ``esruntime serve`` listens by default."""

MAX_RESPONSE_BYTES = 64 * 1024 * 1024


class Settings:
    """The checked settings of a client (see :class:`esruntime.client.Client`)."""

    def __init__(
        self,
        base_url: str,
        api_key: str | None,
        timeout: float | httpx.Timeout | None,
        max_retries: int,
        backoff: float,
        max_backoff: float,
        max_response_bytes: int,
        headers: Mapping[str, str] | None,
    ) -> None:
        try:
            url = httpx.URL(base_url)
        except (httpx.InvalidURL, TypeError) as exc:
            raise ConfigurationError(f"invalid base URL {base_url!r}: {exc}") from None
        if url.scheme not in ("http", "https") or not url.host:
            raise ConfigurationError(
                f"the base URL must be http(s)://host[:port]/prefix, got {base_url!r}"
            )
        self.base_url = url
        self.max_retries = _count("max_retries", max_retries)
        if not (isinstance(backoff, int | float) and isinstance(max_backoff, int | float)) or (
            not 0 <= backoff <= max_backoff
        ):
            raise ConfigurationError(
                f"backoff and max_backoff are seconds, 0 <= backoff <= max_backoff, "
                f"got {backoff!r} and {max_backoff!r}"
            )
        self.backoff = float(backoff)
        self.max_backoff = float(max_backoff)
        self.max_response_bytes = _count("max_response_bytes", max_response_bytes)
        self.timeout = timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout)
        self.headers = {"User-Agent": f"esruntime-python/{__version__}", **(headers or {})}
        if api_key is not None:
            if not isinstance(api_key, str) or not api_key or not api_key.isascii():
                raise ConfigurationError("an API key is a non-empty ASCII string")
            if not api_key.isprintable() or " " in api_key:
                raise ConfigurationError("an API key has no spaces or control characters")
            self.headers["Authorization"] = f"Bearer {api_key}"

    def retries(self, given: int | None) -> int:
        return self.max_retries if given is None else _count("retries", given)

    def delay(self, retry: int) -> float:
        """Seconds to wait before retry number ``retry`` (from 1): half of an exponentially
        growing, capped step, plus a random part of the other half."""
        return backoff_delay(retry, self.backoff, self.max_backoff, floor=0.5)

    def too_large(self, what: str) -> MalformedResponseError:
        return MalformedResponseError(
            f"{what}: the answer exceeds the client's limit of {self.max_response_bytes:,} bytes"
        )


def _count(name: str, value: int) -> int:
    if type(value) is not int or value < 0:
        raise ConfigurationError(f"{name} is an integer >= 0, got {value!r}")
    return value


class Tally:
    """The retries and attempts of one command across its resends."""

    def __init__(self) -> None:
        self.retries = 0
        self.attempts = 0

    def count(self, result: CommandResponse) -> CommandResponse:
        """``result`` of the latest attempt, with the totals so far."""
        self.attempts += 1
        self.retries += result.retries + (1 if self.attempts > 1 else 0)
        return evolve(result, retries=self.retries, attempts=self.attempts)


def answer_of(response: httpx.Response, body: bytes, what: str) -> Answer:
    headers = {name.lower(): value for name, value in response.headers.items()}
    return Answer(response.status_code, headers, body, what)


def declared_too_large(response: httpx.Response, limit: int) -> bool:
    declared = response.headers.get("content-length", "")
    return declared.isdigit() and int(declared) > limit
