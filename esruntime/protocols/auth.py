"""The API key protocols: the key store a runtime authenticates with, and its storage.

:class:`ApiKeyStorage` is what a backend implements: rows of keys (never the keys themselves,
only their digests) shared by every tenant. :class:`ApiKeyStore` is what the key service
(:class:`esruntime.auth.keys.ApiKeyService`) offers on top of it: issuing and checking keys.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from esruntime.auth.keys import ApiKey, IssuedApiKey
    from esruntime.auth.principal import Principal

__all__ = ["ApiKeyStorage", "ApiKeyStore"]


@runtime_checkable
class ApiKeyStorage(Protocol):
    """Stored keys of every tenant: each row a key's public data and the digest of its secret."""

    def insert(self, key: ApiKey, digest: str) -> None:
        """Store a new key (its id is new: 64 random bits)."""
        ...

    def find(self, key_id: str) -> tuple[ApiKey, str] | None:
        """The key with this id and its digest, or None."""
        ...

    def revoke(self, key_id: str, at: datetime) -> bool:
        """Mark a live key revoked at ``at``; False when no live key has this id."""
        ...

    def list_keys(self, tenant: str | None = None) -> list[ApiKey]:
        """Every key (of one tenant), oldest first, revoked ones included."""
        ...

    def close(self) -> None:
        """Release what the storage opened itself."""
        ...


@runtime_checkable
class ApiKeyStore(Protocol):
    """Issues, checks, lists and revokes the API keys of every tenant."""

    def create(self, tenant: str, name: str, permissions: Iterable[str]) -> IssuedApiKey:
        """A new key for ``tenant`` with these permissions."""
        ...

    def authenticate(self, secret: str) -> Principal | None:
        """The principal of a live key, or None for anything else."""
        ...

    def get(self, key_id: str) -> ApiKey | None:
        """What is stored about a key, or None."""
        ...

    def list_keys(self, tenant: str | None = None) -> list[ApiKey]:
        """Every key (of one tenant), oldest first, revoked ones included."""
        ...

    def revoke(self, key_id: str) -> bool:
        """Revoke a key from its next use on; False when no live key has this id."""
        ...

    def close(self) -> None: ...
