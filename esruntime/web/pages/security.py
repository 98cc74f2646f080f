"""Sessions and CSRF for the script pages, signed with itsdangerous.

The session cookie holds who signed in (tenant, permissions, name and key id), signed and
timestamped; it never holds the API key. A key that is revoked ends its sessions at their next
request, since the key id is looked up again each time. The CSRF defence is a double submit: a
random cookie, and a token derived from it with the secret key that every state-changing request
carries in its form (``_csrf``) or in htmx's ``X-CSRF-Token`` header.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable, Mapping
from http.cookies import SimpleCookie
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer

from esruntime.auth.principal import Principal
from esruntime.checks import check_tenant
from esruntime.errors import ConfigurationError

__all__ = ["CSRF_COOKIE", "SESSION_COOKIE", "Sessions", "cookie_header", "read_cookies"]

SESSION_COOKIE = "esr_session"
CSRF_COOKIE = "esr_csrf"
MAX_COOKIE_BYTES = 4096

KeyLookup = Callable[[str], bool]
"""``alive(key_id)``: whether the API key with this id may still be used."""


def read_cookies(headers: Mapping[str, str]) -> dict[str, str]:
    """The request's cookies by name (a malformed header counts as none)."""
    raw = headers.get("cookie", "")
    if not raw or len(raw) > 8 * MAX_COOKIE_BYTES:
        return {}
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(raw)
    except Exception:  # http.cookies raises CookieError and others on hostile input
        return {}
    return {name: morsel.value for name, morsel in jar.items()}


def cookie_header(
    name: str, value: str, *, path: str, max_age: int | None, secure: bool
) -> tuple[str, str]:
    """A ``Set-Cookie`` header: HttpOnly, SameSite=Lax, limited to ``path``."""
    parts = [f"{name}={value}", f"Path={path}", "HttpOnly", "SameSite=Lax"]
    if max_age is not None:
        parts.append(f"Max-Age={max_age}")
    if secure:
        parts.append("Secure")
    return "Set-Cookie", "; ".join(parts)


class Sessions:
    """Signs and reads session cookies and CSRF tokens with one secret key."""

    def __init__(self, secret_key: bytes, max_age_s: int) -> None:
        self._serializer = URLSafeTimedSerializer(secret_key, salt="esruntime.pages.session")
        self._csrf_key = hmac.new(secret_key, b"esruntime.pages.csrf", hashlib.sha256).digest()
        self.max_age_s = max_age_s

    def sign(self, principal: Principal) -> str:
        data = {
            "t": principal.tenant,
            "p": sorted(principal.permissions),
            "n": principal.name,
            "k": principal.key_id,
        }
        return self._serializer.dumps(data)

    def principal(self, cookie: str | None, alive: KeyLookup) -> Principal | None:
        """Who the session cookie is for; None for none, a bad or old signature, or a key
        that was revoked since."""
        if not cookie or len(cookie) > MAX_COOKIE_BYTES:
            return None
        try:
            data: Any = self._serializer.loads(cookie, max_age=self.max_age_s)
            principal = Principal(
                check_tenant(data["t"]),
                frozenset(str(p) for p in data["p"]),
                str(data["n"]),
                None if data["k"] is None else str(data["k"]),
            )
        except (BadSignature, KeyError, TypeError, ValueError, ConfigurationError):
            return None
        if principal.key_id is not None and not alive(principal.key_id):
            return None
        return principal

    @staticmethod
    def new_csrf_cookie() -> str:
        return secrets.token_urlsafe(24)

    def csrf_token(self, cookie: str) -> str:
        """The token that forms carry for this CSRF cookie."""
        return hmac.new(self._csrf_key, cookie.encode(), hashlib.sha256).hexdigest()

    def csrf_ok(self, cookie: str | None, token: str | None) -> bool:
        if not cookie or not token or len(cookie) > 100 or len(token) > 100:
            return False
        return hmac.compare_digest(self.csrf_token(cookie), token)
