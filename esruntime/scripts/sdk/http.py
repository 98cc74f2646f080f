"""``sdk.http``: HTTP(S) calls of tenant scripts that cannot reach the host's own network.

Every connection goes to an address resolved and checked at that moment (see
:mod:`.pinned_transport`); redirects are followed here, each hop checked again. URLs with user
information and schemes other than http/https are refused; responses are bounded in size and
time. ``HttpPolicy.allowlist`` names the host[:port] entries that may be private (an intranet
API, or the project's own tests with a loopback server). Rate limiting is the script service's.
"""

from __future__ import annotations

import ipaddress
import re
import ssl
import time
from collections.abc import Iterable, Mapping
from types import TracebackType
from typing import Any
from urllib.parse import urljoin, urlsplit

import certifi
import httpcore
import httpx
from attrs import field, frozen

from esruntime.errors import ConfigurationError, SdkError
from esruntime.scripts.sdk.addresses import ipv4_host, non_public_reason, system_resolver
from esruntime.scripts.sdk.http_bodies import decode_body, encode_body, read_bounded
from esruntime.scripts.sdk.http_options import parse_options
from esruntime.scripts.sdk.pinned_transport import DEADLINE, PinnedTransport, Resolver

__all__ = ["METHODS", "HttpPolicy", "Resolver", "ScriptHttpClient"]

METHODS = frozenset({"GET", "POST", "PUT", "DELETE", "PATCH"})
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_MAX_URL = 8192
_NET_ERRORS = (
    httpx.TransportError,
    httpcore.NetworkError,
    httpcore.ProtocolError,
    httpcore.UnsupportedProtocol,
    httpcore.ConnectionNotAvailable,
    ssl.SSLError,
)
_TIMEOUTS = (httpx.TimeoutException, httpcore.TimeoutException, TimeoutError)


def _allowlist(entries: Any) -> frozenset[str]:
    if isinstance(entries, str):
        raise ConfigurationError("HttpPolicy.allowlist must be a collection of host[:port]")
    normalized = set()
    for entry in entries:
        host, port = _split_host_port(str(entry).strip().lower())
        normalized.add(host if port is None else f"{host}:{port}")
    return frozenset(normalized)


def _split_host_port(entry: str) -> tuple[str, int | None]:
    match = re.fullmatch(r"(\[[0-9a-f:.]+\]|[^:\[\]/@\s]+)(?::(\d{1,5}))?", entry)
    if match is None or (match[2] is not None and not 0 < int(match[2]) < 65536):
        raise ConfigurationError(f"bad HttpPolicy.allowlist entry {entry!r}: use host[:port]")
    port = None if match[2] is None else int(match[2])
    return match[1].rstrip("."), port


def _schemes(schemes: Iterable[str]) -> frozenset[str]:
    return frozenset(str(scheme).lower() for scheme in schemes)


def _positive(instance: Any, attribute: Any, value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ConfigurationError(f"HttpPolicy.{attribute.name} must be a positive integer")


@frozen
class HttpPolicy:
    """What scripts may do over HTTP; the same policy serves every script of a runtime."""

    allowlist: frozenset[str] = field(default=frozenset(), converter=_allowlist)
    default_timeout_ms: int = field(default=10_000, validator=_positive)
    max_timeout_ms: int = field(default=30_000, validator=_positive)
    max_response_bytes: int = field(default=5 * 1024 * 1024, validator=_positive)
    max_request_bytes: int = field(default=5 * 1024 * 1024, validator=_positive)
    max_redirects: int = field(default=5, validator=_positive)
    schemes: frozenset[str] = field(default=frozenset({"http", "https"}), converter=_schemes)
    ca_bundle: str | None = None
    """A PEM file of the certificate authorities to trust instead of certifi's."""
    user_agent: str = "esruntime-scripts"

    def __attrs_post_init__(self) -> None:
        if not self.schemes or not self.schemes <= {"http", "https"}:
            raise ConfigurationError("HttpPolicy.schemes must be a subset of {'http', 'https'}")
        if self.default_timeout_ms > self.max_timeout_ms:
            raise ConfigurationError("HttpPolicy.default_timeout_ms exceeds max_timeout_ms")

    def allows_private(self, host: str, port: int) -> bool:
        """Whether host:port is allowlisted, i.e. may resolve to non-public addresses."""
        name = host.lower().rstrip(".")
        name = f"[{name}]" if ":" in name else name
        return name in self.allowlist or f"{name}:{port}" in self.allowlist


def _parse_url(text: str, what: str = "", error: Exception | None = None) -> httpx.URL:
    """httpx's URL, after writing a host in an IPv4 spelling httpx refuses as browsers read it.

    httpx refuses four-part hosts with leading zeros (``0177.0.0.1``) that browsers read as an
    address; rewritten to the address, they meet the same judgement as every other spelling.
    """
    try:
        if error is not None:
            raise error
        return httpx.URL(text)
    except httpx.InvalidURL as exc:
        detail = f"{what} ({exc})" if what else str(exc)
        try:
            split = urlsplit(text)
            host, port = split.hostname or "", split.port
        except ValueError:
            raise SdkError(f"Invalid URL: {detail}") from None
        address = ipv4_host(host) if host and ":" not in host else None
        if address is None:
            raise SdkError(f"Invalid URL: {detail}") from None
        if split.username is not None or split.password is not None:
            raise SdkError("SSRF protection: URLs with user information are not allowed") from None
        _refuse_if_non_public(host, address)
        netloc = str(address) if port is None else f"{address}:{port}"
        try:
            return httpx.URL(split._replace(netloc=netloc).geturl())
        except httpx.InvalidURL as again:
            raise SdkError(f"Invalid URL: {again}") from None


def _numeric_host_judged(url: httpx.URL) -> httpx.URL:
    """The URL with a numeric host in its canonical form, refused now if it is not public.

    Spelling an address otherwise (``127.1``, ``2130706433``) never matches the allowlist, which
    names hosts as written: only the canonical spelling of an allowlisted address may be private.
    """
    if ":" in url.host:
        return url
    address = ipv4_host(url.host)
    if address is None or str(address) == url.host:
        return url
    if str(address) != url.host.rstrip("."):
        _refuse_if_non_public(url.host, address)
    return url.copy_with(host=str(address))


def _refuse_if_non_public(host: str, address: ipaddress.IPv4Address) -> None:
    why = non_public_reason(address)
    if why is not None:
        raise SdkError(f"SSRF protection: host {host!r} resolves to a non-public address ({why})")


class ScriptHttpClient:
    """Performs the ``sdk.http`` calls of scripts under one :class:`HttpPolicy`; thread-safe.

    ``resolver(host, port)`` replaces ``getaddrinfo`` (tests pin names to addresses with it).
    """

    def __init__(self, policy: HttpPolicy | None = None, *, resolver: Resolver | None = None):
        self.policy = policy or HttpPolicy()
        context = ssl.create_default_context(cafile=self.policy.ca_bundle or certifi.where())
        self._transport = PinnedTransport(
            ssl_context=context,
            resolver=resolver or system_resolver,
            allowed=self.policy.allows_private,
        )
        self._client = httpx.Client(
            transport=self._transport,
            trust_env=False,
            follow_redirects=False,
            headers={"User-Agent": self.policy.user_agent, "Accept-Encoding": "gzip, deflate"},
        )

    def request(
        self, method: str, url: str, body: Any = None, options: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """Send one request, following redirects; ``{"status", "headers", "body"}``.

        ``options``: ``headers`` (object), ``query`` (object), ``timeout`` (milliseconds).
        """
        if not isinstance(method, str) or method.upper() not in METHODS:
            raise SdkError(f"Invalid HTTP request: method {method!r} is not supported")
        headers, query, timeout_ms = parse_options(options, self.policy)
        target = self._check_url(url).copy_merge_params(query)
        content, content_type = encode_body(body, self.policy.max_request_bytes)
        if content_type is not None and "content-type" not in {k.lower() for k, _ in headers}:
            headers.append(("Content-Type", content_type))
        deadline = time.monotonic() + timeout_ms / 1000
        token = DEADLINE.set(deadline)
        try:
            return self._follow(method.upper(), target, headers, content, deadline)
        except _TIMEOUTS:
            raise SdkError(f"HTTP request timed out after {timeout_ms} ms") from None
        except _NET_ERRORS as exc:
            raise SdkError(f"HTTP request failed: {str(exc) or type(exc).__name__}") from None
        finally:
            DEADLINE.reset(token)

    def _follow(
        self,
        method: str,
        url: httpx.URL,
        headers: list[tuple[str, str]],
        content: bytes | None,
        deadline: float,
    ) -> dict[str, Any]:
        for hop in range(self.policy.max_redirects + 1):
            timeout = httpx.Timeout(max(deadline - time.monotonic(), 0.001))
            request = self._client.build_request(
                method, url, headers=headers, content=content, timeout=timeout
            )
            # Straight to the transport: the client would keep cookies across every script of
            # every tenant, and would parse the Location header itself (failing on spellings this
            # client reads as addresses).
            response = self._transport.handle_request(request)
            try:
                location = response.headers.get("location")
                if response.status_code not in _REDIRECTS or location is None:
                    return self._result(response)
            finally:
                response.close()
            if hop == self.policy.max_redirects:
                break
            try:
                next_url = url.join(location)
            except httpx.InvalidURL as exc:
                next_url = _parse_url(urljoin(str(url), location), f"redirect to {location!r}", exc)
            next_url = self._check_url(next_url, redirect=True)
            if response.status_code == 303 or (
                response.status_code in (301, 302) and method == "POST"
            ):
                method, content = "GET", None
                headers = [(k, v) for k, v in headers if k.lower() != "content-type"]
            if next_url.scheme != url.scheme or next_url.netloc != url.netloc:
                headers = [
                    (k, v) for k, v in headers if k.lower() not in ("authorization", "cookie")
                ]
            url = next_url
        raise SdkError(f"HTTP request failed: more than {self.policy.max_redirects} redirects")

    def _result(self, response: httpx.Response) -> dict[str, Any]:
        limit = self.policy.max_response_bytes
        length = response.headers.get("content-length", "")
        if length.isdigit() and int(length) > limit:
            raise SdkError(f"Response too large: more than {limit} bytes")
        encoding = response.headers.get("content-encoding", "")
        content = read_bounded(response.iter_raw(), encoding, limit)
        headers: dict[str, str] = {}
        for name, value in response.headers.multi_items():
            key = name.lower()
            headers[key] = f"{headers[key]}, {value}" if key in headers else value
        body = decode_body(content, headers.get("content-type", ""), response.charset_encoding)
        return {"status": response.status_code, "headers": headers, "body": body}

    def _check_url(self, url: str | httpx.URL, *, redirect: bool = False) -> httpx.URL:
        what = "redirect to scheme" if redirect else "scheme"
        if isinstance(url, str):
            if len(url) > _MAX_URL:
                raise SdkError(f"Invalid URL: longer than {_MAX_URL} characters")
            url = _parse_url(url)
        elif not isinstance(url, httpx.URL):
            raise SdkError("Invalid URL: a URL must be a string")
        if url.scheme not in self.policy.schemes:
            allowed = " and ".join(sorted(self.policy.schemes))
            raise SdkError(f"SSRF protection: {what} {url.scheme!r} is not allowed ({allowed})")
        if url.userinfo:
            raise SdkError("SSRF protection: URLs with user information are not allowed")
        if not url.host:
            raise SdkError("Invalid URL: no host")
        return _numeric_host_judged(url)

    def close(self) -> None:
        """Close pooled connections; the client cannot be used afterwards."""
        self._client.close()
        self._transport.close()

    def __enter__(self) -> ScriptHttpClient:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
