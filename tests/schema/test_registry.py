"""The schema registry: versions, push rules and breaking changes, on every backend."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy

from esruntime import Event, EventStore, InMemoryEventStore, SqlEventStore
from esruntime.backends.memory import InMemorySchemaRegistry
from esruntime.backends.sql import create_store_engine
from esruntime.backends.sql.schemas import SqlSchemaRegistry
from esruntime.errors import (
    SchemaRejectedError,
    SchemaSemanticError,
    SchemaSyntaxError,
    SchemaTooLargeError,
)
from esruntime.protocols import SchemaRegistry
from esruntime.schema.language import DEFAULT_MAX_BYTES
from esruntime.schema.registry import SchemaAccepted, SchemaRejected, SchemaService
from esruntime.schema.views import push_view, schema_view

V1 = """\
// Bank accounts
event OpenedAccount {
  @account_id: String
  initial_balance: Float
}

event SentFunds {
  @account_id: String
  amount: Float
  @recipient_id: String?
}
"""

V1_COMMENTED = V1.replace("// Bank accounts", "// Bank accounts, with a new comment")
V2_ADDITIVE = V1.replace("  amount: Float\n", "  amount: Float\n  memo: String?\n")
V2_BREAKING = V1.replace("  @recipient_id: String?\n", "")

Pair = tuple[EventStore, SchemaRegistry]
Factory = Callable[..., Pair]


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def make(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[Factory]:
    """``make(tenant)``: a tenant's event store and schema registry on one backend."""
    engines: list[sqlalchemy.Engine] = []
    if request.param == "memory":
        stores: dict[str, Pair] = {}

        def make_memory(tenant: str = "default") -> Pair:
            if tenant not in stores:
                store = InMemoryEventStore(tenant)
                stores[tenant] = (store, InMemorySchemaRegistry(store, tenant))
            return stores[tenant]

        yield make_memory
        return
    if request.param == "sqlite":
        engine = create_store_engine(f"sqlite:///{tmp_path}/registry.db")
    else:
        engine = request.getfixturevalue("postgres_engine")  # every esruntime table dropped
    engines.append(engine)

    def make_sql(tenant: str = "default") -> Pair:
        store = SqlEventStore(engine, tenant)
        return store, SqlSchemaRegistry(engine, store, tenant)

    yield make_sql
    if request.param == "sqlite":
        engine.dispose()


def sent(recipient: str | None = "b") -> Event:
    data = {"account_id": "a", "amount": 5.0, "recipient_id": recipient}
    return Event("SentFunds", data, ["account_id:a"])


def test_the_first_push_is_0_1_0_and_adds_every_event(make: Factory) -> None:
    _, registry = make()
    assert registry.current() is None
    result = registry.push(V1)
    assert push_view(result) == {
        "version": "0.1.0",
        "changes": {
            "added_events": ["OpenedAccount", "SentFunds"],
            "modified_events": [],
            "removed_events": [],
        },
    }
    current = registry.current()
    assert current is not None
    assert (current.version, current.text) == ("0.1.0", V1)
    assert [e.name for e in current.schema.events] == ["OpenedAccount", "SentFunds"]


def test_pushing_the_same_schema_twice_changes_nothing(make: Factory) -> None:
    _, registry = make()
    registry.push(V1)
    again = registry.push(V1)
    assert again == SchemaAccepted("0.1.0", again.changes)
    assert push_view(again)["changes"] == {
        "added_events": [],
        "modified_events": [],
        "removed_events": [],
    }
    assert [v.version for v in registry.versions()] == ["0.1.0"]


def test_comments_only_is_a_patch_and_additions_a_minor_version(make: Factory) -> None:
    _, registry = make()
    registry.push(V1)
    assert registry.push(V1_COMMENTED).version == "0.1.1"
    result = registry.push(V2_ADDITIVE)
    assert result.version == "0.2.0"
    assert result.changes.modified_events == ("SentFunds",)
    assert [v.version for v in registry.versions()] == ["0.1.0", "0.1.1", "0.2.0"]
    diff = registry.diff("0.1.0", "0.2.0")
    assert [(c.change, c.field) for c in diff.changes] == [("added_field", "memo")]


def test_a_breaking_change_is_rejected_with_every_count_and_nothing_is_stored(
    make: Factory,
) -> None:
    store, registry = make()
    registry.push(V1)
    store.append([sent() for _ in range(3)] + [sent(None)])
    with pytest.raises(SchemaRejectedError) as rejected:
        registry.push(V2_BREAKING)
    assert push_view(rejected.value.result) == {
        "status": "rejected",
        "breaking_changes": [
            {
                "event": "SentFunds",
                "change": "removed_field",
                "field": "recipient_id",
                "message": "Cannot remove field 'recipient_id' - 4 events exist with this field",
            }
        ],
        "hint": "Use --force flag via CLI to override (creates new schema version)",
    }
    assert [v.version for v in registry.versions()] == ["0.1.0"]


def test_validate_is_a_dry_run(make: Factory) -> None:
    store, registry = make()
    registry.push(V1)
    store.append(sent())
    assert isinstance(registry.validate(V2_BREAKING), SchemaRejected)
    would = registry.validate(V2_ADDITIVE)
    assert isinstance(would, SchemaAccepted)
    assert would.version == "0.2.0"
    assert would.changes.modified_events == ("SentFunds",)
    assert [v.version for v in registry.versions()] == ["0.1.0"]


def test_forcing_a_breaking_change_creates_a_major_version(make: Factory) -> None:
    store, registry = make()
    registry.push(V1)
    store.append(sent())
    assert registry.push(V2_BREAKING, force=True).version == "1.0.0"
    assert registry.current().text == V2_BREAKING  # type: ignore[union-attr]


def test_breaking_candidates_without_stored_events_are_ordinary_changes(make: Factory) -> None:
    store, registry = make()
    registry.push(V1)
    store.append(Event("OpenedAccount", {"account_id": "a", "initial_balance": 1.0}))
    assert registry.push(V2_BREAKING).version == "0.2.0"


def test_bad_text_raises_and_stores_nothing(make: Factory) -> None:
    _, registry = make()
    registry.push(V1)
    with pytest.raises(SchemaSyntaxError):
        registry.push("event Broken {")
    with pytest.raises(SchemaSemanticError):
        registry.push("event A { x: Nope }")
    assert [v.version for v in registry.versions()] == ["0.1.0"]


def test_tenants_have_their_own_schemas_and_counts(make: Factory) -> None:
    store_a, registry_a = make("tenant-a")
    _, registry_b = make("tenant-b")
    registry_a.push(V1)
    registry_b.push(V1)
    store_a.append(sent())
    assert registry_b.push(V2_BREAKING).version == "0.2.0"  # b has no SentFunds events
    with pytest.raises(SchemaRejectedError):
        registry_a.push(V2_BREAKING)
    assert registry_a.current().version == "0.1.0"  # type: ignore[union-attr]


def test_history_keeps_every_version_with_its_text_and_time(make: Factory) -> None:
    _, registry = make()
    for text in (V1, V1_COMMENTED, V2_ADDITIVE):
        registry.push(text)
    versions = registry.versions()
    assert [v.text for v in versions] == [V1, V1_COMMENTED, V2_ADDITIVE]
    assert versions[0].created_at <= versions[1].created_at <= versions[2].created_at
    assert registry.get("0.1.1") == versions[1]
    assert registry.get("9.9.9") is None
    with pytest.raises(KeyError, match=r"9\.9\.9"):
        registry.diff("0.1.0", "9.9.9")


def test_concurrent_pushes_get_distinct_consecutive_versions(make: Factory) -> None:
    _, registry = make()
    registry.push(V1)
    texts = [V1.replace("}\n", f"}}\n\nevent Added{n} {{\n  x: String?\n}}\n", 1) for n in range(6)]
    barrier = threading.Barrier(len(texts))
    results: list[str] = []
    errors: list[BaseException] = []

    def push(text: str) -> None:
        barrier.wait()
        try:
            results.append(registry.push(text).version)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=push, args=(t,)) for t in texts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    stored = [v.version for v in registry.versions()]
    assert len(stored) == len(set(stored)) == 1 + len(texts)
    assert sorted(results) == sorted(stored[1:])


def test_schema_view_has_the_shape_of_get_schema(make: Factory) -> None:
    _, registry = make()
    registry.push("/// Opened.\n" + V1.replace("// Bank accounts\n", ""))
    view = schema_view(registry.current())  # type: ignore[arg-type]
    assert view["version"] == "0.1.0"
    assert view["schema"].startswith("/// Opened.")
    assert view["updated_at"].endswith("Z")
    assert view["events"][0] == {
        "name": "OpenedAccount",
        "domain_ids": ["account_id"],
        "fields": [
            {"name": "account_id", "type": "String", "domain_id": True, "doc": None},
            {"name": "initial_balance", "type": "Float", "domain_id": False, "doc": None},
        ],
        "doc": "Opened.",
    }
    assert view["events"][1]["fields"][2] == {
        "name": "recipient_id",
        "type": "String?",
        "domain_id": True,
        "doc": None,
    }


def test_a_sql_registry_is_durable(tmp_path: Any) -> None:
    url = f"sqlite:///{tmp_path}/durable.db"
    store = SqlEventStore(url)
    SqlSchemaRegistry(url, store).push(V1)
    reopened = SqlSchemaRegistry(url, store)
    assert reopened.current().version == "0.1.0"  # type: ignore[union-attr]
    store.close()


def test_a_stored_version_larger_than_todays_limit_stays_readable(make: Factory) -> None:
    """A version stored under a larger size limit (an earlier default) is still read as the
    current schema, and a push on top of it is planned against it."""
    _, registry = make()
    big = "".join(f"event E{i} {{\n  @a{i}: String\n}}\n" for i in range(12_000))
    assert len(big.encode()) > DEFAULT_MAX_BYTES
    with pytest.raises(SchemaTooLargeError):
        registry.push(big)
    assert isinstance(registry, SchemaService)
    assert registry.storage.insert((1, "0.1.0", big, datetime.now(UTC)))  # as an earlier release
    current = registry.current()
    assert current is not None
    assert len(current.schema.events) == 12_000
    result = registry.push("event Only {}\n")
    assert isinstance(result, SchemaAccepted)  # no stored event of the removed types
    assert len(result.changes.removed_events) == 12_000
