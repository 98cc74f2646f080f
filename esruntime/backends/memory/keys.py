"""API keys in process memory (gone when the process ends)."""

from __future__ import annotations

import threading
from datetime import datetime

from attrs import evolve

from esruntime.auth.keys import ApiKey, ApiKeyService

__all__ = ["InMemoryApiKeyStorage", "InMemoryApiKeyStore"]


class InMemoryApiKeyStorage:
    """Key rows in a dict by key id, under a lock."""

    def __init__(self) -> None:
        self._keys: dict[str, tuple[ApiKey, str]] = {}
        self._lock = threading.Lock()

    def insert(self, key: ApiKey, digest: str) -> None:
        with self._lock:
            self._keys[key.key_id] = (key, digest)

    def find(self, key_id: str) -> tuple[ApiKey, str] | None:
        with self._lock:
            return self._keys.get(key_id)

    def revoke(self, key_id: str, at: datetime) -> bool:
        with self._lock:
            found = self._keys.get(key_id)
            if found is None or found[0].revoked:
                return False
            key, digest = found
            self._keys[key_id] = (evolve(key, revoked_at=at), digest)
            return True

    def list_keys(self, tenant: str | None = None) -> list[ApiKey]:
        with self._lock:
            found = [key for key, _ in self._keys.values()]
        found.sort(key=lambda k: (k.created_at, k.key_id))  # oldest first, as SQL orders them
        return [k for k in found if tenant is None or k.tenant == tenant]

    def close(self) -> None:
        pass


class InMemoryApiKeyStore(ApiKeyService):
    """A convenience: the key service over a new :class:`InMemoryApiKeyStorage` (it adds
    nothing else)."""

    def __init__(self) -> None:
        super().__init__(InMemoryApiKeyStorage())
