"""The handler storage contract: one suite that every
:class:`~esruntime.protocols.HandlerStorage` passes (needs pytest).

Subclass :class:`HandlerStorageContract` and provide ``make_storage``: a fixture returning a
callable ``make_storage(tenant="default")`` that gives storage over one empty database per
test (asking twice for a tenant may return the same object or a new one over the same data).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from esruntime.errors import ConfigurationError
from esruntime.handlers.manifest import HandlerManifest, parse_manifest
from esruntime.handlers.registry import HandlerVersion
from esruntime.protocols.handlers import HandlerStorage
from esruntime.testing.threads import run_together

__all__ = ["HandlerStorageContract", "make_handler"]

MakeStorage = Callable[..., HandlerStorage]
NOW = datetime(2026, 5, 1, 12, 0, 0, 654321, tzinfo=UTC)
HOUR = 494_000  # an hour since the epoch, in 2026


def manifest(name: str, version: str) -> HandlerManifest:
    return parse_manifest(
        {
            "abi": 1,
            "name": name,
            "version": version,
            "reads": [{"type": "OpenedAccount", "domain_ids": ["account_id"]}],
            "input_domain_ids": {"account_id": "account_id"},
            "emits": [{"type": "Deposited"}],
        }
    )


def make_handler(
    name: str = "deposit", version: str = "1.0.0", module: bytes | None = None
) -> tuple[HandlerVersion, bytes]:
    """A handler version (not stored) and its module bytes."""
    module = module if module is not None else f"\0asm {name} {version}".encode()
    handler = HandlerVersion(
        name,
        version,
        hashlib.sha256(module).hexdigest(),
        len(module),
        manifest(name, version),
        NOW + timedelta(seconds=len(version)),
    )
    return handler, module


class HandlerStorageContract:
    """The behaviour every handler storage must have."""

    def test_a_new_tenant_has_no_handlers(self, make_storage: MakeStorage) -> None:
        storage = make_storage("acme")
        assert storage.tenant == "acme"
        assert storage.handlers() == []
        assert storage.current("deposit") is None
        assert storage.versions("deposit") == []
        assert storage.module("deposit") is None
        assert storage.delete("deposit") is False

    def test_a_version_reads_back_equal(self, make_storage: MakeStorage) -> None:
        storage = make_storage()
        handler, module = make_handler(module=bytes(range(256)) * 4)
        assert storage.store(handler, module) is True
        assert storage.current("deposit") == handler
        assert storage.versions("deposit") == [handler]
        assert storage.handlers() == [handler]
        assert storage.module("deposit") == module
        assert storage.module("deposit", "1.0.0") == module
        assert storage.current("deposit").manifest == handler.manifest  # type: ignore[union-attr]

    def test_a_new_version_becomes_current_and_the_old_one_is_kept(
        self, make_storage: MakeStorage
    ) -> None:
        storage = make_storage()
        first, first_module = make_handler(version="1.0.0")
        second, second_module = make_handler(version="1.1.0")
        assert storage.store(first, first_module) is True
        assert storage.store(second, second_module) is True
        assert storage.versions("deposit") == [first, second]
        assert storage.current("deposit") == second
        assert storage.module("deposit") == second_module
        assert storage.module("deposit", "1.0.0") == first_module
        assert storage.module("deposit", "9.9.9") is None

    def test_a_stored_version_is_not_stored_again(self, make_storage: MakeStorage) -> None:
        storage = make_storage()
        handler, module = make_handler()
        assert storage.store(handler, module) is True
        other, _ = make_handler(module=b"other bytes")
        assert storage.store(other, b"other bytes") is False
        assert storage.module("deposit") == module
        assert storage.versions("deposit") == [handler]

    def test_choosing_the_current_version_rolls_back_and_forward(
        self, make_storage: MakeStorage
    ) -> None:
        storage = make_storage()
        first, first_module = make_handler(version="1.0.0")
        second, _ = make_handler(version="2.0.0")
        storage.store(first, first_module)
        storage.store(second, make_handler(version="2.0.0")[1])
        assert storage.set_current("deposit", "1.0.0") is True
        assert storage.current("deposit") == first
        assert storage.module("deposit") == first_module
        assert storage.handlers() == [first]
        assert storage.set_current("deposit", "2.0.0") is True
        assert storage.current("deposit") == second
        third, third_module = make_handler(version="3.0.0")
        storage.store(third, third_module)  # a new upload is current again
        assert storage.current("deposit") == third

    def test_an_unknown_version_cannot_be_chosen(self, make_storage: MakeStorage) -> None:
        storage = make_storage()
        handler, module = make_handler()
        storage.store(handler, module)
        assert storage.set_current("deposit", "9.9.9") is False
        assert storage.set_current("withdraw", "1.0.0") is False
        assert storage.current("deposit") == handler

    def test_handlers_lists_each_current_version_by_name(self, make_storage: MakeStorage) -> None:
        storage = make_storage()
        for name in ("withdraw", "deposit", "open_account"):
            storage.store(*make_handler(name))
        assert [h.name for h in storage.handlers()] == ["deposit", "open_account", "withdraw"]

    def test_deleting_forgets_every_version(self, make_storage: MakeStorage) -> None:
        storage = make_storage()
        storage.store(*make_handler(version="1.0.0"))
        storage.store(*make_handler(version="1.1.0"))
        storage.set_current("deposit", "1.0.0")
        storage.store(*make_handler("withdraw"))
        assert storage.delete("deposit") is True
        assert storage.current("deposit") is None
        assert storage.versions("deposit") == []
        assert storage.module("deposit", "1.0.0") is None
        assert [h.name for h in storage.handlers()] == ["withdraw"]
        assert storage.store(*make_handler(version="1.0.0")) is True  # a fresh start

    def test_tenants_keep_their_own_handlers(self, make_storage: MakeStorage) -> None:
        acme, globex = make_storage("acme"), make_storage("globex")
        acme.store(*make_handler(version="1.0.0"))
        assert globex.store(*make_handler(version="1.0.0")) is True
        globex.store(*make_handler(version="2.0.0"))
        assert acme.current("deposit").version == "1.0.0"  # type: ignore[union-attr]
        assert globex.delete("deposit") is True
        assert acme.current("deposit") is not None
        acme.add_executions(HOUR, {"deposit": 3})
        assert globex.all_executions_since(0) == {}

    def test_another_storage_object_sees_the_same_handlers(self, make_storage: MakeStorage) -> None:
        handler, module = make_handler()
        make_storage("acme").store(handler, module)
        assert make_storage("acme").current("deposit") == handler

    def test_executions_add_up_per_hour(self, make_storage: MakeStorage) -> None:
        storage = make_storage()
        storage.add_executions(HOUR - 30, {"deposit": 100})
        storage.add_executions(HOUR, {"deposit": 2, "withdraw": 1})
        storage.add_executions(HOUR, {"deposit": 3})
        storage.add_executions(HOUR + 1, {"deposit": 1, "withdraw": 0})
        storage.add_executions(HOUR + 2, {})
        assert storage.executions_since("deposit", HOUR) == 6
        assert storage.executions_since("deposit", HOUR - 30) == 106
        assert storage.executions_since("deposit", HOUR + 2) == 0
        assert storage.executions_since("nobody", 0) == 0
        assert storage.all_executions_since(HOUR) == {"deposit": 6, "withdraw": 1}

    @pytest.mark.parametrize("tenant", ["", "x" * 1000, "a\x00b", None])
    def test_a_bad_tenant_name_is_refused(self, make_storage: MakeStorage, tenant: object) -> None:
        with pytest.raises(ConfigurationError):
            make_storage(tenant)

    def test_lookups_of_names_that_cannot_exist_find_nothing(
        self, make_storage: MakeStorage
    ) -> None:
        storage = make_storage()
        storage.store(*make_handler())
        for name in ("x" * 10_000, "DEPOSIT", "deposit ", "'; DROP TABLE esr_handlers; --"):
            assert storage.current(name) is None
            assert storage.versions(name) == []
            assert storage.module(name) is None
            assert storage.delete(name) is False
        assert storage.current("deposit") is not None

    def test_of_concurrent_stores_of_one_version_exactly_one_wins(
        self, make_storage: MakeStorage
    ) -> None:
        storages = [make_storage("acme") for _ in range(6)]

        def store(i: int) -> bool:
            return storages[i].store(*make_handler(module=f"bytes {i}".encode()))

        assert sorted(run_together(6, store)) == [False] * 5 + [True]
        assert len(storages[0].versions("deposit")) == 1

    def test_concurrent_uploads_of_new_versions_are_all_kept(
        self, make_storage: MakeStorage
    ) -> None:
        """A store that lost a race returns False and stores nothing; tried again, it lands."""
        storages = [make_storage("acme") for _ in range(6)]

        def upload(i: int) -> int:
            for attempt in range(1, 51):
                if storages[i].store(*make_handler(version=f"1.{i}.0")):
                    return attempt
            raise AssertionError(f"version 1.{i}.0 was refused 50 times")

        run_together(6, upload)
        versions = storages[0].versions("deposit")
        assert sorted(v.version for v in versions) == [f"1.{i}.0" for i in range(6)]
        assert storages[0].current("deposit") in versions

    def test_concurrent_execution_counts_add_up(self, make_storage: MakeStorage) -> None:
        storages = [make_storage("acme") for _ in range(6)]

        def count(i: int) -> None:
            for _ in range(10):
                storages[i].add_executions(HOUR, {"deposit": 1, "withdraw": 2})

        run_together(6, count)
        assert storages[0].all_executions_since(HOUR) == {"deposit": 60, "withdraw": 120}
