"""The handler registry: upload rules, versions and tenancy, on every backend.

The registry's ``describe`` is pluggable; here a "module" is its manifest's JSON, which keeps
these tests about the registry's rules. The WebAssembly loader has its own tests.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from esruntime.backends.memory import InMemoryHandlerRegistry
from esruntime.backends.sql import create_store_engine
from esruntime.backends.sql.handlers import SqlHandlerRegistry
from esruntime.errors import InvalidManifestError
from esruntime.handlers import HandlerManifest, parse_manifest
from esruntime.handlers.registry import HandlerService, UploadAccepted, UploadRejected
from esruntime.schema import parse_schema

SCHEMA = parse_schema(
    "event OpenedAccount { @account_id: String }\n"
    "event Deposited { @account_id: String\n amount: Float }"
)


def module(name: str = "deposit", version: str = "1.0.0", **extra: Any) -> bytes:
    document = {
        "abi": 1,
        "name": name,
        "version": version,
        "reads": [{"type": "OpenedAccount", "domain_ids": ["account_id"]}],
        "input_domain_ids": {"account_id": "account_id"},
        "emits": [{"type": "Deposited"}],
        **extra,
    }
    return json.dumps(document).encode()


def describe(wasm: bytes) -> HandlerManifest:
    try:
        return parse_manifest(json.loads(wasm))
    except ValueError as exc:
        raise InvalidManifestError([str(exc)]) from None


Factory = Callable[..., HandlerService]
TODAY = {"schema": SCHEMA}
"""The schema the registries check against (a test may change it with monkeypatch)."""


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def make(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Factory]:
    if request.param == "memory":
        registries: dict[str, HandlerService] = {}

        def memory(tenant: str = "default") -> HandlerService:
            return registries.setdefault(
                tenant, InMemoryHandlerRegistry(describe, lambda: TODAY["schema"], tenant)
            )

        yield memory
        return
    engine = (
        create_store_engine(f"sqlite:///{tmp_path}/handlers.db")
        if request.param == "sqlite"
        else request.getfixturevalue("postgres_engine")
    )
    yield lambda tenant="default": SqlHandlerRegistry(
        engine, describe, lambda: TODAY["schema"], tenant
    )
    if request.param == "sqlite":
        engine.dispose()


def test_an_upload_is_stored_with_its_sha_size_and_manifest(make: Factory) -> None:
    registry = make()
    wasm = module()
    result = registry.upload("deposit", wasm, "1.0.0")
    assert isinstance(result, UploadAccepted)
    handler = result.handler
    assert (handler.name, handler.version, handler.size) == ("deposit", "1.0.0", len(wasm))
    assert len(handler.sha256) == 64
    assert handler.event_types == ("OpenedAccount",)
    assert handler.domain_id_fields == ("account_id",)
    assert registry.current("deposit") == handler
    assert registry.module("deposit") == wasm


def test_new_versions_become_current_and_earlier_ones_are_kept(make: Factory) -> None:
    registry = make()
    registry.upload("deposit", module(), "1.0.0")
    registry.upload("deposit", module(version="1.1.0"), "1.1.0")
    assert [v.version for v in registry.versions("deposit")] == ["1.0.0", "1.1.0"]
    assert registry.current("deposit").version == "1.1.0"  # type: ignore[union-attr]
    assert registry.module("deposit", "1.0.0") == module()
    registry.upload("open_account", module(name="open_account"), "0.1.0")
    assert [h.name for h in registry.handlers()] == ["deposit", "open_account"]
    assert registry.delete("deposit") is True
    assert registry.delete("deposit") is False
    assert registry.current("deposit") is None
    assert registry.module("deposit") is None


def test_the_same_upload_twice_is_accepted_once(make: Factory) -> None:
    registry = make()
    registry.upload("deposit", module(), "1.0.0")
    assert isinstance(registry.upload("deposit", module(), "1.0.0"), UploadAccepted)
    assert len(registry.versions("deposit")) == 1


@pytest.mark.parametrize(
    ("name", "wasm", "version", "code"),
    [
        ("deposit", module(), "1.0", "invalid_version"),
        ("Deposit", module(), "1.0.0", "invalid_name"),
        ("deposit", b"", "1.0.0", "invalid_module"),
        ("deposit", b"\x00asm junk", "1.0.0", "invalid_module"),
        ("withdraw", module(), "1.0.0", "name_mismatch"),
        ("deposit", module(emits=[{"type": "FundsTransferred"}]), "1.0.0", "unknown_event_type"),
    ],
)
def test_refused_uploads_say_why_and_store_nothing(
    make: Factory, name: str, wasm: bytes, version: str, code: str
) -> None:
    registry = make()
    result = registry.upload(name, wasm, version)
    assert isinstance(result, UploadRejected)
    assert code in [e.code for e in result.errors]
    assert registry.handlers() == []


def test_a_version_cannot_be_replaced_by_other_bytes(make: Factory) -> None:
    registry = make()
    registry.upload("deposit", module(), "1.0.0")
    result = registry.upload("deposit", module(description="changed"), "1.0.0")
    assert isinstance(result, UploadRejected)
    assert [e.code for e in result.errors] == ["version_exists"]


def test_a_version_differing_from_the_manifest_is_a_warning(make: Factory) -> None:
    result = make().upload("deposit", module(version="9.9.9"), "1.0.0")
    assert isinstance(result, UploadAccepted)
    assert result.warnings == ("The module says version 9.9.9; it is stored as 1.0.0",)


def test_tenants_have_their_own_handlers(make: Factory) -> None:
    make("tenant-a").upload("deposit", module(), "1.0.0")
    assert make("tenant-b").handlers() == []
    assert make("tenant-b").module("deposit") is None


def test_concurrent_uploads_of_one_version_store_it_once(make: Factory) -> None:
    registry = make()
    barrier = threading.Barrier(6)
    results: list[Any] = []

    def upload(n: int) -> None:
        barrier.wait()
        results.append(registry.upload("deposit", module(description=f"v{n % 2}"), "1.0.0"))

    threads = [threading.Thread(target=upload, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(registry.versions("deposit")) == 1
    stored = registry.module("deposit")
    for result in results:
        if isinstance(result, UploadAccepted):
            assert result.handler.sha256 == registry.current("deposit").sha256  # type: ignore[union-attr]
        else:
            assert [e.code for e in result.errors] == ["version_exists"]
    assert stored in (module(description="v0"), module(description="v1"))


def test_make_current_rolls_back_to_a_stored_version_and_forward_again(make: Factory) -> None:
    registry = make()
    registry.upload("deposit", module(), "1.0.0")
    registry.upload("deposit", module(version="2.0.0"), "2.0.0")
    registry.upload("open_account", module(name="open_account"), "0.1.0")
    result = registry.make_current("deposit", "1.0.0")
    assert isinstance(result, UploadAccepted)
    assert result.handler.version == "1.0.0"
    assert registry.current("deposit").version == "1.0.0"  # type: ignore[union-attr]
    assert registry.module("deposit") == module()
    assert [(h.name, h.version) for h in registry.handlers()] == [
        ("deposit", "1.0.0"),
        ("open_account", "0.1.0"),
    ]
    assert [v.version for v in registry.versions("deposit")] == ["1.0.0", "2.0.0"]  # unchanged
    assert make().current("deposit").version == "1.0.0"  # type: ignore[union-attr]  # stored
    registry.make_current("deposit", "2.0.0")
    assert registry.module("deposit") == module(version="2.0.0")
    registry.upload("deposit", module(version="3.0.0"), "3.0.0")  # a new upload runs
    assert registry.current("deposit").version == "3.0.0"  # type: ignore[union-attr]


def test_uploading_a_stored_version_again_does_not_make_it_current_and_says_so(
    make: Factory,
) -> None:
    registry = make()
    registry.upload("deposit", module(), "1.0.0")
    registry.upload("deposit", module(version="3.0.0"), "3.0.0")
    result = registry.upload("deposit", module(), "1.0.0")
    assert isinstance(result, UploadAccepted)
    assert result.warnings == (
        "Version 1.0.0 was stored already; 3.0.0 stays current (make 1.0.0 current to run it)",
    )
    assert registry.current("deposit").version == "3.0.0"  # type: ignore[union-attr]


def test_make_current_refuses_unknown_handlers_and_versions(make: Factory) -> None:
    registry = make()
    refused = registry.make_current("deposit", "1.0.0")
    assert isinstance(refused, UploadRejected)
    assert [(e.code, e.message) for e in refused.errors] == [
        ("handler_not_found", "No handler registered with name 'deposit'")
    ]
    registry.upload("deposit", module(), "1.0.0")
    refused = registry.make_current("deposit", "0.9.0")
    assert isinstance(refused, UploadRejected)
    assert [(e.code, e.message) for e in refused.errors] == [
        ("version_not_found", "'deposit' has no version '0.9.0' (it has 1.0.0)")
    ]
    registry.delete("deposit")
    assert isinstance(registry.make_current("deposit", "1.0.0"), UploadRejected)


def test_make_current_checks_the_version_against_todays_schema(
    make: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    registry = make()
    registry.upload("deposit", module(), "1.0.0")
    registry.upload("deposit", module(version="2.0.0", emits=[]), "2.0.0")
    monkeypatch.setitem(
        TODAY, "schema", parse_schema("event OpenedAccount { @account_id: String }")
    )
    refused = registry.make_current("deposit", "1.0.0")
    assert isinstance(refused, UploadRejected)
    assert [(e.code, e.message) for e in refused.errors] == [
        ("unknown_event_type", "Handler emits 'Deposited' which is not in the schema")
    ]
    assert registry.current("deposit").version == "2.0.0"  # type: ignore[union-attr]


def test_concurrent_rollbacks_and_uploads_leave_one_consistent_current_version(
    make: Factory,
) -> None:
    registry = make()
    for version in ("1.0.0", "2.0.0"):
        registry.upload("deposit", module(version=version), version)
    barrier = threading.Barrier(8)
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            barrier.wait()
            if n == 7:
                registry.upload("deposit", module(version="3.0.0"), "3.0.0")
            else:
                for _ in range(5):
                    registry.make_current("deposit", ("1.0.0", "2.0.0")[n % 2])
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    current = registry.current("deposit")
    assert current is not None
    assert registry.module("deposit") == module(version=current.version)
    assert [h.version for h in registry.handlers()] == [current.version]
    assert [v.version for v in registry.versions("deposit")] == ["1.0.0", "2.0.0", "3.0.0"]


def test_a_handler_stored_before_rollbacks_existed_runs_its_latest_upload(tmp_path: Path) -> None:
    """Databases made by earlier releases have no esr_handler_current rows."""
    from sqlalchemy import delete

    from esruntime.backends.sql.tables import current_handlers

    engine = create_store_engine(f"sqlite:///{tmp_path}/old.db")
    registry = SqlHandlerRegistry(engine, describe, lambda: SCHEMA)
    registry.upload("deposit", module(), "1.0.0")
    registry.upload("deposit", module(version="2.0.0"), "2.0.0")
    with engine.begin() as conn:
        conn.execute(delete(current_handlers))
    assert registry.current("deposit").version == "2.0.0"  # type: ignore[union-attr]
    assert [h.version for h in registry.handlers()] == ["2.0.0"]
    assert registry.module("deposit") == module(version="2.0.0")
    registry.make_current("deposit", "1.0.0")
    assert registry.module("deposit") == module()
    engine.dispose()
