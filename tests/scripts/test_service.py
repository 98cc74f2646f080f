"""The script service's management side: create, update, versions, rollback, list, delete,
tenancy and concurrent writers, on every repository backend."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from esruntime.errors import (
    ConfigurationError,
    ScriptConflictError,
    ScriptNotFoundError,
    ScriptValidationError,
)
from esruntime.scripts.models import ScriptLimits
from esruntime.scripts.service import ScriptService


def create(service: ScriptService, name: str = "nightly report", **fields: Any) -> Any:
    values: dict[str, Any] = {"source": "py:ok", "type": "oneoff"} | fields
    return service.create(name=name, **values)


def test_a_created_script_is_stored_with_its_first_version(service: ScriptService) -> None:
    script = service.create(
        name="  welcome mail ",
        description="Sends the welcome mail",
        source="return 1;",
        type="event",
        event_types=["OpenedAccount"],
        created_by="alice",
    )
    assert script.name == "welcome mail"
    assert script.tenant == "acme"
    assert script.status == "draft"
    assert script.version == 1
    assert script.created_by == script.updated_by == "alice"
    assert script.created_at == script.updated_at
    assert service.get(script.id) == script
    assert service.find("welcome mail") == script
    (version,) = service.versions(script.id)
    assert (version.version, version.source, version.created_by) == (1, "return 1;", "alice")


def test_an_invalid_script_reports_every_field_and_stores_nothing(service: ScriptService) -> None:
    with pytest.raises(ScriptValidationError) as caught:
        service.create(name="ab", source="", type="http", http_path="x", http_methods=["GET"])
    assert caught.value.errors == {
        "name": "must be at least 3 characters, got 2",
        "source": "is required",
        "http_path": "must start with '/', got 'x'",
    }
    assert str(caught.value).startswith("invalid script: name: must be at least 3 characters")
    assert service.list().total == 0


def test_a_taken_name_or_path_is_a_conflict(service: ScriptService) -> None:
    create(service, "hook one", type="http", http_path="/orders", http_methods=["POST"])
    with pytest.raises(ScriptConflictError) as by_name:
        create(service, "hook one")
    assert by_name.value.errors == {"name": "A script named 'hook one' already exists"}
    with pytest.raises(ScriptConflictError) as by_path:
        create(service, "hook two", type="http", http_path="/orders", http_methods=["GET"])
    assert by_path.value.field == "http_path"
    assert service.list().total == 1


def test_an_update_changes_only_the_given_fields(service: ScriptService) -> None:
    script = create(service, description="before")
    updated = service.update(script.id, description="after", status="active", updated_by="bob")
    assert updated.description == "after"
    assert updated.status == "active"
    assert updated.source == script.source
    assert updated.version == 1  # no new source, no new version
    assert updated.updated_by == "bob"
    assert updated.created_by == script.created_by
    assert service.get(script.id) == updated
    assert len(service.versions(script.id)) == 1


def test_every_source_change_stores_a_numbered_version(service: ScriptService) -> None:
    script = create(service, source="return 1;")
    service.update(script.id, source="return 2;")
    service.update(script.id, name="renamed")  # not a source change
    latest = service.update(script.id, source="return 3;", updated_by="carol")
    assert latest.version == 3
    versions = service.versions(script.id)
    assert [(v.version, v.source) for v in versions] == [
        (1, "return 1;"),
        (2, "return 2;"),
        (3, "return 3;"),
    ]
    assert versions[2].created_by == "carol"
    assert service.version(script.id, 2).source == "return 2;"


def test_a_rollback_restores_an_old_source_as_a_new_version(service: ScriptService) -> None:
    script = create(service, source="return 1;")
    service.update(script.id, source="return 2;")
    restored = service.rollback(script.id, 1, updated_by="dave")
    assert restored.source == "return 1;"
    assert restored.version == 3
    third = service.version(script.id, 3)
    assert third.restored_from == 1
    assert third.created_by == "dave"
    assert service.get(script.id).source == "return 1;"
    with pytest.raises(ScriptNotFoundError, match="has no version 7"):
        service.rollback(script.id, 7)
    with pytest.raises(ScriptNotFoundError):
        service.rollback(script.id, "1")  # type: ignore[arg-type]


def test_updates_are_validated_like_creates(service: ScriptService) -> None:
    script = create(service)
    with pytest.raises(ScriptValidationError) as caught:
        service.update(script.id, type="http")
    assert caught.value.errors == {
        "http_path": "is required for an http script",
        "http_methods": "at least one method is required for an http script",
    }
    with pytest.raises(ScriptValidationError) as unknown:
        service.update(script.id, id="other", owner="me")
    assert unknown.value.errors == {
        "id": "is not a field of a script",
        "owner": "is not a field of a script",
    }
    assert service.get(script.id) == script


def test_limits_can_be_changed_one_at_a_time(service: ScriptService) -> None:
    script = create(service, limits={"max_execution_time_ms": 5000})
    assert script.limits == ScriptLimits(max_execution_time_ms=5000)
    updated = service.update(script.id, limits={"max_concurrent_runs": 2})
    assert updated.limits == ScriptLimits(max_execution_time_ms=5000, max_concurrent_runs=2)
    with pytest.raises(ScriptValidationError) as caught:
        service.update(script.id, limits={"max_memory_bytes": 1})
    assert list(caught.value.errors) == ["max_memory_bytes"]


def test_renaming_onto_a_taken_name_is_a_conflict(service: ScriptService) -> None:
    create(service, "first")
    second = create(service, "second")
    with pytest.raises(ScriptConflictError):
        service.update(second.id, name="first")
    assert service.get(second.id).name == "second"


def test_deleting_a_script_forgets_it(service: ScriptService, runner: Any) -> None:
    runner.scripts["py:ok"] = lambda context, host: 1
    script = create(service)
    execution = service.execute(script.id)
    service.delete(script.id)
    with pytest.raises(ScriptNotFoundError):
        service.get(script.id)
    with pytest.raises(ScriptNotFoundError):
        service.execution(execution.id)
    with pytest.raises(ScriptNotFoundError):
        service.delete(script.id)
    create(service)  # the name is free again


def test_unknown_ids_are_not_found(service: ScriptService) -> None:
    for bad in ("nope", "", "x" * 10_000, None, 3, "a\x00b", "\ud800"):
        with pytest.raises(ScriptNotFoundError):
            service.get(bad)  # type: ignore[arg-type]
        with pytest.raises(ScriptNotFoundError):
            service.update(bad, description="x")  # type: ignore[arg-type]
        with pytest.raises(ScriptNotFoundError):
            service.execution(bad)  # type: ignore[arg-type]
        assert service.find(bad) is None  # type: ignore[arg-type]
        assert service.find_by_path(bad) is None  # type: ignore[arg-type]


def test_listing_searches_filters_and_pages(service: ScriptService) -> None:
    for n in range(25):
        kind = "embedded" if n % 5 == 0 else "oneoff"
        create(service, f"script {n:02}", type=kind, description="orders" if n < 3 else "")
    first = service.list(per_page=10)
    assert [s.name for s in first.items][:3] == ["script 00", "script 01", "script 02"]
    assert (first.total, first.pages, len(first.items)) == (25, 3, 10)
    last = service.list(page=3, per_page=10)
    assert [s.name for s in last.items] == [f"script {n}" for n in range(20, 25)]
    assert service.list(type="embedded").total == 5
    assert service.list(status="active").total == 0
    assert service.list(search="ORDERS").total == 3
    assert service.list(search="  script 1 ").total == 10
    assert service.list(page=9).items == ()


def test_listing_by_last_change(service: ScriptService) -> None:
    first, second = create(service, "first"), create(service, "second")
    service.update(first.id, source="return 2;")
    assert [s.name for s in service.list(order="updated").items] == ["first", "second"]
    assert [s.name for s in service.list().items] == ["first", "second"]
    service.update(second.id, description="changed")
    assert [s.name for s in service.list(order="updated").items] == ["second", "first"]


def test_an_execution_may_be_named_beforehand(service: ScriptService, runner: Any) -> None:
    runner.scripts["py:ok"] = lambda context, host: 1
    script = create(service)
    chosen = "0b7c5f0e-6a57-4a0e-9d64-6b1b8d9f4a11"
    assert service.execute(script.id, execution_id=chosen).id == chosen
    assert service.execution(chosen).status == "completed"
    with pytest.raises(ScriptValidationError) as caught:
        service.execute(script.id, execution_id="not a uuid")
    assert set(caught.value.errors) == {"execution_id"}


def test_listing_refuses_bad_filters(service: ScriptService) -> None:
    bad: dict[str, Any] = {"type": "cron", "status": "live", "order": "size"}
    with pytest.raises(ScriptValidationError) as caught:
        service.list(page=0, per_page=1000, search="x" * 201, **bad)
    assert set(caught.value.errors) == {"type", "status", "page", "per_page", "search", "order"}
    with pytest.raises(ScriptValidationError):
        service.list(search="nul\x00")
    with pytest.raises(ScriptValidationError):
        create(service, created_by="eve\x00")


def test_tenants_are_isolated(service: ScriptService, runner: Any) -> None:
    runner.scripts["py:ok"] = lambda context, host: context["tenantId"]
    mine = create(service, "shared name", type="embedded")
    theirs = create(service, "shared name", type="embedded", tenant="globex")
    assert mine.id != theirs.id
    assert service.call("shared name") == "acme"
    assert service.call("shared name", tenant="globex") == "globex"
    for attempt in (
        lambda: service.get(mine.id, tenant="globex"),
        lambda: service.update(mine.id, tenant="globex", description="x"),
        lambda: service.rollback(mine.id, 1, tenant="globex"),
        lambda: service.versions(mine.id, tenant="globex"),
        lambda: service.version(mine.id, 1, tenant="globex"),
        lambda: service.execute(mine.id, tenant="globex"),
        lambda: service.delete(mine.id, tenant="globex"),
        lambda: service.executions(mine.id, tenant="globex"),
    ):
        with pytest.raises(ScriptNotFoundError):
            attempt()
    assert service.list(tenant="globex").items == (theirs,)
    assert service.get(mine.id) == mine


def test_tenant_names_are_checked(service: ScriptService) -> None:
    with pytest.raises(ConfigurationError):
        service.list(tenant="")
    with pytest.raises(ConfigurationError):
        create(service, tenant="a\x00b")


def test_concurrent_creates_with_one_name_let_exactly_one_win(service: ScriptService) -> None:
    outcomes: list[str] = []
    barrier = threading.Barrier(6)

    def attempt(n: int) -> None:
        barrier.wait()
        try:
            create(service, "contested", description=str(n))
            outcomes.append("created")
        except ScriptConflictError:
            outcomes.append("conflict")

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["conflict"] * 5 + ["created"]
    assert service.list().total == 1


def test_concurrent_source_changes_each_get_their_own_version(service: ScriptService) -> None:
    script = create(service, source="return 0;")
    barrier = threading.Barrier(6)

    def change(n: int) -> None:
        barrier.wait()
        service.update(script.id, source=f"return {n + 1};")

    threads = [threading.Thread(target=change, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    versions = service.versions(script.id)
    assert [v.version for v in versions] == list(range(1, 8))
    assert sorted(v.source for v in versions) == sorted(f"return {n};" for n in range(7))
    current = service.get(script.id)
    assert current.version == 7
    assert current.source == versions[-1].source
