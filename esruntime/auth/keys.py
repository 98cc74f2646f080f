"""API keys: issued once, stored only as a digest, looked up by their public id, revocable.

A key reads ``esr_<key id>_<secret>``: 16 hex digits that name it, then 256 random bits. The
store keeps the key id, the sha256 of the whole key, the tenant, a name and the permissions;
the key itself is shown once, when it is created. Checking a key finds the row by its id and
compares digests in constant time, so response times say nothing about how close a guess was.
A key that passed is remembered for ``cache_seconds`` (1 s by default; 0: never), so a busy
client is not looked up on every request: a revocation through the same service takes effect
at the key's next use, one made elsewhere (another process, ``esruntime keys revoke``) within
``cache_seconds``. Keys that fail are never remembered.
Backends store the rows (:class:`~esruntime.protocols.ApiKeyStorage`); the rules live here, in
:class:`ApiKeyService`.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import threading
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from attrs import frozen
from cachetools import TTLCache

from esruntime.auth.principal import Principal, check_permissions
from esruntime.checks import check_tenant
from esruntime.errors import ConfigurationError

if TYPE_CHECKING:
    from esruntime.protocols.auth import ApiKeyStorage

__all__ = [
    "DEFAULT_KEY_CACHE_SECONDS",
    "ApiKey",
    "ApiKeyService",
    "IssuedApiKey",
    "key_digest",
]

_KEY = re.compile(r"esr_([0-9a-f]{16})_[A-Za-z0-9_-]{43}")
MAX_NAME_LENGTH = 200
DEFAULT_KEY_CACHE_SECONDS = 1.0
"""How long a key that passed is trusted without a lookup: what another process's revocation
may take to be seen (measured: the lookup was a fifth of a served command's CPU)."""
KEY_CACHE_SIZE = 4096


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
    """Issues, checks, lists and revokes keys over a backend's stored rows; remembers keys that
    passed for ``cache_seconds`` (0: checks every use against the storage)."""

    def __init__(
        self, storage: ApiKeyStorage, *, cache_seconds: float = DEFAULT_KEY_CACHE_SECONDS
    ) -> None:
        if not cache_seconds >= 0:
            raise ConfigurationError(f"cache_seconds must be 0 or more, got {cache_seconds!r}")
        self._storage = storage
        self.cache_seconds = cache_seconds
        # By digest, so that memory holds no key; a revocation bumps the generation, so that a
        # lookup that read the row before it cannot put the key back.
        self._passed: TTLCache[str, Principal] | None = (
            TTLCache(KEY_CACHE_SIZE, cache_seconds) if cache_seconds > 0 else None
        )
        self._lock = threading.Lock()
        self._generation = 0

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
        given = key_digest(secret)
        generation = 0
        if self._passed is not None:
            with self._lock:
                remembered = self._passed.get(given)
                generation = self._generation
            if remembered is not None:
                return remembered
        found = self._storage.find(match.group(1))
        if found is None:
            return None
        key, digest = found
        if not hmac.compare_digest(digest, given) or key.revoked:
            return None
        principal = key.principal()
        if self._passed is not None:
            with self._lock:
                if self._generation == generation:
                    self._passed[given] = principal
        return principal

    def get(self, key_id: str) -> ApiKey | None:
        found = self._storage.find(key_id) if isinstance(key_id, str) else None
        return None if found is None else found[0]

    def revoke(self, key_id: str) -> bool:
        if not isinstance(key_id, str):
            return False
        revoked = self._storage.revoke(key_id, datetime.now(UTC))
        self._forget(key_id)
        return revoked

    def _forget(self, key_id: str) -> None:
        if self._passed is None:
            return
        with self._lock:
            self._generation += 1
            for given, principal in list(self._passed.items()):
                if principal.key_id == key_id:
                    self._passed.pop(given, None)

    def list_keys(self, tenant: str | None = None) -> list[ApiKey]:
        """Every key (of one tenant), oldest first, revoked ones included."""
        return self._storage.list_keys(tenant)

    def close(self) -> None:
        self._storage.close()
