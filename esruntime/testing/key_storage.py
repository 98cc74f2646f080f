"""The API key storage contract: one suite that every
:class:`~esruntime.protocols.ApiKeyStorage` passes (needs pytest).

Subclass :class:`ApiKeyStorageContract` and provide a ``key_storage`` fixture returning empty
storage (a fresh database per test).
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from attrs import evolve

from esruntime.auth.keys import ApiKey, key_digest
from esruntime.protocols.auth import ApiKeyStorage
from esruntime.testing.threads import run_together

__all__ = ["ApiKeyStorageContract", "make_key"]

NOW = datetime(2026, 5, 1, 12, 0, 0, 250000, tzinfo=UTC)


def make_key(
    tenant: str = "acme",
    name: str = "ci",
    permissions: tuple[str, ...] = ("read",),
    *,
    seconds: int = 0,
) -> tuple[ApiKey, str]:
    """A key (not stored) with a fresh id, created ``seconds`` after a fixed moment, and the
    digest of a fresh secret."""
    key_id = secrets.token_hex(8)
    key = ApiKey(key_id, tenant, name, permissions, NOW + timedelta(seconds=seconds))
    return key, key_digest(f"esr_{key_id}_{secrets.token_urlsafe(32)}")


class ApiKeyStorageContract:
    """The behaviour every API key storage must have."""

    def test_a_key_reads_back_equal_with_its_digest(self, key_storage: ApiKeyStorage) -> None:
        key, digest = make_key(name="déploiement 🚀", permissions=("read", "write", "admin"))
        key_storage.insert(key, digest)
        assert key_storage.find(key.key_id) == (key, digest)
        assert key_storage.list_keys() == [key]

    def test_an_unknown_id_finds_nothing(self, key_storage: ApiKeyStorage) -> None:
        key_storage.insert(*make_key())
        for key_id in ("0123456789abcdef", "", "x" * 10_000, "' OR '1'='1", "ÄÖÜ"):
            assert key_storage.find(key_id) is None

    def test_a_revoked_key_is_kept_and_marked(self, key_storage: ApiKeyStorage) -> None:
        key, digest = make_key()
        key_storage.insert(key, digest)
        at = NOW + timedelta(hours=1)
        assert key_storage.revoke(key.key_id, at) is True
        assert key_storage.find(key.key_id) == (evolve(key, revoked_at=at), digest)
        assert key_storage.revoke(key.key_id, at + timedelta(hours=1)) is False
        assert key_storage.find(key.key_id)[0].revoked_at == at  # type: ignore[index]
        assert key_storage.list_keys() == [evolve(key, revoked_at=at)]

    def test_revoking_an_unknown_key_changes_nothing(self, key_storage: ApiKeyStorage) -> None:
        key, digest = make_key()
        key_storage.insert(key, digest)
        assert key_storage.revoke("0123456789abcdef", NOW) is False
        assert key_storage.revoke("", NOW) is False
        assert key_storage.find(key.key_id) == (key, digest)

    def test_keys_list_oldest_first_and_by_tenant(self, key_storage: ApiKeyStorage) -> None:
        first, second, third = (
            make_key("acme", seconds=1)[0],
            make_key("globex", seconds=2)[0],
            make_key("acme", seconds=3)[0],
        )
        for key in (first, second, third):
            key_storage.insert(key, "digest")
        assert key_storage.list_keys() == [first, second, third]
        assert key_storage.list_keys("acme") == [first, third]
        assert key_storage.list_keys("initech") == []

    def test_a_key_without_permissions_round_trips(self, key_storage: ApiKeyStorage) -> None:
        key, digest = make_key(permissions=())
        key_storage.insert(key, digest)
        assert key_storage.find(key.key_id) == (key, digest)

    def test_concurrent_inserts_are_all_kept(self, key_storage: ApiKeyStorage) -> None:
        keys = [make_key(seconds=i)[0] for i in range(8)]
        run_together(8, lambda i: key_storage.insert(keys[i], f"digest {i}"))
        assert key_storage.list_keys() == keys

    def test_of_concurrent_revocations_exactly_one_wins(self, key_storage: ApiKeyStorage) -> None:
        key, digest = make_key()
        key_storage.insert(key, digest)
        results = run_together(8, lambda i: key_storage.revoke(key.key_id, NOW))
        assert sorted(results) == [False] * 7 + [True]
