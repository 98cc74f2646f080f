"""API keys: issued once, stored only as a digest, looked up by their public id, revocable.

A key reads ``esr_<key id>_<secret>``: 16 hex digits that name it, then 256 random bits. The
store keeps the key id, the sha256 of the whole key, the tenant, a name and the permissions;
the key itself is shown once, when it is created. Checking a key finds the row by its id and
compares digests in constant time, so response times say nothing about how close a guess was.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Protocol

from attrs import frozen

from esruntime.auth.principal import Principal, check_permissions
from esruntime.checks import check_tenant
from esruntime.errors import ConfigurationError

__all__ = [
    "ApiKey",
    "ApiKeyStore",
    "BaseApiKeyStore",
    "InMemoryApiKeyStore",
    "IssuedApiKey",
    "key_digest",
]

_KEY = re.compile(r"esr_([0-9a-f]{16})_[A-Za-z0-9_-]{43}")
MAX_NAME_LENGTH = 200


@frozen
class ApiKey:
    """What is stored about a key (never the key itself)."""

    key_id: str
    tenant: str
    name: str
    permissions: tuple[str, ...]
    created_at: datetime
    revoked_at: datetime | None = None

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None

    def principal(self) -> Principal:
        return Principal(self.tenant, frozenset(self.permissions), self.name, self.key_id)


@frozen
class IssuedApiKey:
    """A new key: ``secret`` is the whole key, to hand to the client; it cannot be shown again."""

    key: ApiKey
    secret: str


def key_digest(secret: str) -> str:
    """The stored digest of a key: sha256, hex."""
    return hashlib.sha256(secret.encode()).hexdigest()


class ApiKeyStore(Protocol):
    """Issues, checks, lists and revokes the API keys of every tenant."""

    def create(self, tenant: str, name: str, permissions: Iterable[str]) -> IssuedApiKey:
        """A new key for ``tenant`` with these permissions."""
        ...

    def authenticate(self, secret: str) -> Principal | None:
        """The principal of a live key, or None for anything else."""
        ...

    def get(self, key_id: str) -> ApiKey | None: ...

    def list_keys(self, tenant: str | None = None) -> list[ApiKey]:
        """Every key (of one tenant), oldest first, revoked ones included."""
        ...

    def revoke(self, key_id: str) -> bool:
        """Revoke a key from its next use on; False when no live key has this id."""
        ...

    def close(self) -> None: ...


class BaseApiKeyStore(ABC):
    """The rules for keys over an abstract table of them (see the backends)."""

    @abstractmethod
    def _insert(self, key: ApiKey, digest: str) -> None: ...

    @abstractmethod
    def _find(self, key_id: str) -> tuple[ApiKey, str] | None:
        """The key with this id and its digest."""

    @abstractmethod
    def _revoke(self, key_id: str, at: datetime) -> bool: ...

    @abstractmethod
    def list_keys(self, tenant: str | None = None) -> list[ApiKey]: ...

    def create(self, tenant: str, name: str, permissions: Iterable[str]) -> IssuedApiKey:
        check_tenant(tenant)
        if not isinstance(name, str) or len(name) > MAX_NAME_LENGTH or not name.isprintable():
            raise ConfigurationError(
                f"a key's name is a string of at most {MAX_NAME_LENGTH} printable characters, "
                f"got {name!r}"
            )
        chosen = check_permissions(permissions)
        key_id = secrets.token_hex(8)
        secret = f"esr_{key_id}_{secrets.token_urlsafe(32)}"
        key = ApiKey(key_id, tenant, name, chosen, datetime.now(UTC))
        self._insert(key, key_digest(secret))
        return IssuedApiKey(key, secret)

    def authenticate(self, secret: str) -> Principal | None:
        match = _KEY.fullmatch(secret) if isinstance(secret, str) else None
        if match is None:
            return None
        found = self._find(match.group(1))
        if found is None:
            return None
        key, digest = found
        if not hmac.compare_digest(digest, key_digest(secret)) or key.revoked:
            return None
        return key.principal()

    def get(self, key_id: str) -> ApiKey | None:
        found = self._find(key_id) if isinstance(key_id, str) else None
        return None if found is None else found[0]

    def revoke(self, key_id: str) -> bool:
        if not isinstance(key_id, str):
            return False
        return self._revoke(key_id, datetime.now(UTC))

    @abstractmethod
    def close(self) -> None: ...


class InMemoryApiKeyStore(BaseApiKeyStore):
    """Keys in process memory (gone when the process ends)."""

    def __init__(self) -> None:
        self._keys: dict[str, tuple[ApiKey, str]] = {}
        self._lock = threading.Lock()

    def _insert(self, key: ApiKey, digest: str) -> None:
        with self._lock:
            self._keys[key.key_id] = (key, digest)

    def _find(self, key_id: str) -> tuple[ApiKey, str] | None:
        with self._lock:
            return self._keys.get(key_id)

    def _revoke(self, key_id: str, at: datetime) -> bool:
        with self._lock:
            found = self._keys.get(key_id)
            if found is None or found[0].revoked:
                return False
            key, digest = found
            self._keys[key_id] = (
                ApiKey(key.key_id, key.tenant, key.name, key.permissions, key.created_at, at),
                digest,
            )
            return True

    def list_keys(self, tenant: str | None = None) -> list[ApiKey]:
        with self._lock:
            found = [key for key, _ in self._keys.values()]
        return [k for k in found if tenant is None or k.tenant == tenant]

    def close(self) -> None:
        pass
