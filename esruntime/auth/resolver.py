"""Who a request is from: the principal resolver, pluggable by the host application.

A resolver gets the request's headers (names in lower case) and returns the :class:`Principal`
the request acts for, or None when it carries no credentials; it raises
:class:`~esruntime.errors.AuthenticationError` for credentials it refuses. The built-in one
reads ``Authorization: Bearer <api_key>``. A host with its own users can pass any callable.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from esruntime.auth.principal import Principal
from esruntime.errors import AuthenticationError
from esruntime.protocols.auth import ApiKeyStore

__all__ = ["ApiKeyResolver", "PrincipalResolver", "bearer_token"]

PrincipalResolver = Callable[[Mapping[str, str]], Principal | None]
"""``resolver(headers) -> Principal | None``; raises AuthenticationError for bad credentials."""


def bearer_token(headers: Mapping[str, str]) -> str | None:
    """The token of ``Authorization: Bearer <token>``; None without the header."""
    value = headers.get("authorization")
    if value is None:
        return None
    scheme, _, token = value.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise AuthenticationError("The Authorization header must read 'Bearer <api_key>'")
    return token


class ApiKeyResolver:
    """The built-in resolver: an API key from the ``Authorization`` header."""

    def __init__(self, keys: ApiKeyStore) -> None:
        self.keys = keys

    def __call__(self, headers: Mapping[str, str]) -> Principal | None:
        token = bearer_token(headers)
        if token is None:
            return None
        principal = self.keys.authenticate(token)
        if principal is None:
            raise AuthenticationError("Invalid or revoked API key")
        return principal
