"""API keys: issued once, stored as digests, checked in constant time, revocable; every backend."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy

from esruntime.auth import (
    PERMISSIONS,
    ApiKeyResolver,
    ApiKeyService,
    ApiKeyStore,
    Principal,
    bearer_token,
)
from esruntime.backends.sql.tables import api_keys as api_keys_table
from esruntime.errors import AuthenticationError, ConfigurationError
from esruntime.runtime import Runtime, SqlBackend


@pytest.fixture
def runtime(runtime_url: str) -> Iterator[Runtime]:
    with Runtime.from_url(runtime_url) as runtime:
        yield runtime


@pytest.fixture
def keys(runtime: Runtime) -> ApiKeyStore:
    return runtime.api_keys


def test_a_new_key_authenticates_as_its_tenant_with_its_permissions(keys: ApiKeyStore) -> None:
    issued = keys.create("acme", "deploy bot", ["handlers.write", "schema.read", "schema.read"])
    assert issued.secret.startswith(f"esr_{issued.key.key_id}_")
    assert len(issued.secret) == 4 + 16 + 1 + 43  # 256 random bits after the id
    principal = keys.authenticate(issued.secret)
    assert principal == Principal(
        "acme", frozenset({"handlers.write", "schema.read"}), "deploy bot", issued.key.key_id
    )
    assert issued.key.permissions == ("handlers.write", "schema.read")
    assert keys.get(issued.key.key_id) == issued.key


@pytest.mark.parametrize(
    "database", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_only_the_digest_of_a_key_is_stored(
    request: pytest.FixtureRequest, tmp_path: Path, database: str
) -> None:
    if database == "sqlite":
        url = f"sqlite:///{tmp_path}/keys.db"
    else:
        request.getfixturevalue("postgres_engine")
        url = request.getfixturevalue("postgres_url")
    with Runtime.from_url(url) as runtime:
        issued = runtime.api_keys.create("acme", "ci", ["admin"])
        assert isinstance(runtime.backend, SqlBackend)
        with runtime.backend.engine.connect() as conn:
            [row] = conn.execute(sqlalchemy.select(api_keys_table)).mappings().all()
    assert issued.secret not in {str(v) for v in row.values()}
    assert row["digest"] == hashlib.sha256(issued.secret.encode()).hexdigest()
    assert row["key_id"] == issued.key.key_id


def test_keys_are_unique_and_a_guess_with_the_right_id_fails(keys: ApiKeyStore) -> None:
    first, second = keys.create("acme", "a", []), keys.create("acme", "b", [])
    assert first.secret != second.secret
    assert first.key.key_id != second.key.key_id
    forged = first.secret[:-1] + ("A" if first.secret[-1] != "A" else "B")
    assert keys.authenticate(forged) is None
    # The id of one key with the secret of another is no key at all.
    swapped = f"esr_{first.key.key_id}_{second.secret.split('_', 2)[2]}"
    assert keys.authenticate(swapped) is None


@pytest.mark.parametrize(
    "presented",
    [
        "",
        "esr_",
        "Bearer esr_x",
        "esr_0123456789abcdef_" + "a" * 42,
        "esr_0123456789abcdef_" + "a" * 44,
        "esr_0123456789ABCDEF_" + "a" * 43,
        "esr_0123456789abcdef_" + "a" * 42 + "\x00",
        "' OR 1=1 --",
        "esr_' OR '1'='1_" + "a" * 43,
        "x" * 100_000,
        None,
        42,
    ],
)
def test_malformed_and_hostile_keys_authenticate_nobody(keys: ApiKeyStore, presented: Any) -> None:
    keys.create("acme", "real", ["admin"])
    assert keys.authenticate(presented) is None


def test_a_revoked_key_stops_working_at_once_and_stays_listed(keys: ApiKeyStore) -> None:
    issued = keys.create("acme", "old", ["events.read"])
    kept = keys.create("acme", "new", ["events.read"])
    assert keys.revoke(issued.key.key_id)
    assert keys.authenticate(issued.secret) is None
    assert keys.authenticate(kept.secret) is not None
    assert not keys.revoke(issued.key.key_id)
    assert not keys.revoke("0123456789abcdef")
    listed = {k.key_id: k for k in keys.list_keys("acme")}
    assert listed[issued.key.key_id].revoked
    assert not listed[kept.key.key_id].revoked


def test_keys_are_listed_per_tenant(keys: ApiKeyStore) -> None:
    a = keys.create("acme", "a", [])
    g = keys.create("globex", "g", [])
    assert [k.key_id for k in keys.list_keys("acme")] == [a.key.key_id]
    assert [k.key_id for k in keys.list_keys("globex")] == [g.key.key_id]
    assert {k.key_id for k in keys.list_keys()} == {a.key.key_id, g.key.key_id}


@pytest.mark.parametrize(
    ("tenant", "name", "permissions", "message"),
    [
        ("acme", "k", ["events.write"], "unknown permission\\(s\\) 'events.write'"),
        ("acme", "k", "admin", "a list of names"),
        ("", "k", [], "tenant name"),
        ("acme", "k\n", [], "printable"),
        ("acme", "k" * 201, [], "at most 200"),
    ],
)
def test_bad_key_requests_are_refused_precisely(
    keys: ApiKeyStore, tenant: str, name: str, permissions: Any, message: str
) -> None:
    with pytest.raises(ConfigurationError, match=message):
        keys.create(tenant, name, permissions)
    assert keys.list_keys() == []


def test_keys_created_concurrently_are_all_distinct_and_valid(keys: ApiKeyStore) -> None:
    secrets: list[str] = []

    def create() -> None:
        secrets.extend(keys.create("acme", "k", ["events.read"]).secret for _ in range(10))

    threads = [threading.Thread(target=create) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(secrets)) == 40
    assert all(keys.authenticate(s) is not None for s in secrets)


def test_keys_and_revocations_are_shared_through_the_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/keys.db"
    with Runtime.from_url(url) as one, Runtime.from_url(url) as two:
        issued = one.api_keys.create("acme", "shared", ["admin"])
        assert two.api_keys.authenticate(issued.secret) is not None
        two.api_keys.revoke(issued.key.key_id)
        assert one.api_keys.authenticate(issued.secret) is None


def test_admin_allows_everything_within_its_tenant() -> None:
    admin = Principal("acme", {"admin"})
    reader = Principal("acme", {"events.read"})
    assert all(admin.allows(p) for p in PERMISSIONS)
    assert reader.allows("events.read")
    assert not reader.allows("events.write")
    assert not reader.allows("schema.read")
    with pytest.raises(ConfigurationError):
        Principal("", {"admin"})


def test_the_resolver_reads_bearer_keys(keys: ApiKeyStore) -> None:
    resolve = ApiKeyResolver(keys)
    issued = keys.create("acme", "k", ["admin"])
    assert resolve({}) is None
    principal = resolve({"authorization": f"Bearer {issued.secret}"})
    assert principal is not None
    assert principal.tenant == "acme"
    assert resolve({"authorization": f"bearer   {issued.secret} "}) == principal
    for refused, message in [
        (f"Basic {issued.secret}", "must read 'Bearer <api_key>'"),
        ("Bearer", "must read 'Bearer <api_key>'"),
        ("Bearer esr_nope", "Invalid or revoked API key"),
    ]:
        with pytest.raises(AuthenticationError, match=message):
            resolve({"authorization": refused})
    assert bearer_token({"authorization": "Bearer abc"}) == "abc"


def test_a_key_that_passed_is_remembered_and_a_revocation_here_forgets_it(
    runtime: Runtime,
) -> None:
    here = runtime.api_keys
    assert isinstance(here, ApiKeyService)
    elsewhere = ApiKeyService(here.storage)  # another process's service over the same rows
    issued = here.create("acme", "remembered", ["events.read"])
    assert here.authenticate(issued.secret) is not None
    assert elsewhere.authenticate(issued.secret) is not None
    assert here.revoke(issued.key.key_id)
    assert here.authenticate(issued.secret) is None  # at once where it was revoked
    # elsewhere, within its cache_seconds: the documented window of another process
    assert elsewhere.authenticate(issued.secret) is not None
    fresh = ApiKeyService(here.storage, cache_seconds=0)
    assert fresh.authenticate(issued.secret) is None


def test_without_a_cache_every_use_sees_a_revocation_made_elsewhere(runtime: Runtime) -> None:
    here = runtime.api_keys
    assert isinstance(here, ApiKeyService)
    uncached = ApiKeyService(here.storage, cache_seconds=0)
    issued = here.create("acme", "looked up", ["events.read"])
    assert uncached.authenticate(issued.secret) is not None
    assert here.revoke(issued.key.key_id)
    assert uncached.authenticate(issued.secret) is None
    with pytest.raises(ConfigurationError, match="cache_seconds must be 0 or more"):
        ApiKeyService(here.storage, cache_seconds=-1)
