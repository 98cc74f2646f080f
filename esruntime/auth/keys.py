"""API keys: issued once, stored only as a digest, looked up by their public id, revocable.

A key reads ``esr_<key id>_<secret>``: 16 hex digits that name it, then 256 random bits. The
store keeps the key id, the sha256 of the whole key, the tenant, a name and the permissions;
the key itself is shown once, when it is created. Checking a key finds the row by its id and
compares digests in constant time, so response times say nothing about how close a guess was.
Backends store the rows (:class:`~esruntime.protocols.ApiKeyStorage`); the rules live here, in
:class:`ApiKeyService`.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from attrs import frozen

from esruntime.auth.principal import Principal, check_permissions
from esruntime.checks import check_tenant
from esruntime.errors import ConfigurationError

if TYPE_CHECKING:
    from esruntime.protocols.auth import ApiKeyStorage

__all__ = [
    "ApiKey",
    "ApiKeyService",
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


class ApiKeyService:
    """Issues, checks, lists and revokes keys over a backend's stored rows."""

    def __init__(self, storage: ApiKeyStorage) -> None:
        self._storage = storage

    @property
    def storage(self) -> ApiKeyStorage:
        """Where the keys are kept."""
        return self._storage

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
        self._storage.insert(key, key_digest(secret))
        return IssuedApiKey(key, secret)

    def authenticate(self, secret: str) -> Principal | None:
        match = _KEY.fullmatch(secret) if isinstance(secret, str) else None
        if match is None:
            return None
        found = self._storage.find(match.group(1))
        if found is None:
            return None
        key, digest = found
        if not hmac.compare_digest(digest, key_digest(secret)) or key.revoked:
            return None
        return key.principal()

    def get(self, key_id: str) -> ApiKey | None:
        found = self._storage.find(key_id) if isinstance(key_id, str) else None
        return None if found is None else found[0]

    def revoke(self, key_id: str) -> bool:
        if not isinstance(key_id, str):
            return False
        return self._storage.revoke(key_id, datetime.now(UTC))

    def list_keys(self, tenant: str | None = None) -> list[ApiKey]:
        """Every key (of one tenant), oldest first, revoked ones included."""
        return self._storage.list_keys(tenant)

    def close(self) -> None:
        self._storage.close()
