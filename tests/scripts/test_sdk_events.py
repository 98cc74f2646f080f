"""``events.publish`` from Python, against real event stores, with and without a schema."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from esruntime.backends.memory import InMemoryEventStore
from esruntime.backends.sql import SqlEventStore, create_store_engine
from esruntime.errors import SdkError
from esruntime.protocols import EventStore
from esruntime.schema import parse_schema
from esruntime.schema.model import Schema
from esruntime.scripts.sdk.events import EventPublisher

SCHEMA = parse_schema(
    """
    event OpenedAccount {
      @account_id: String
      initial_balance: Float
      currency: Currency = EUR
      @branch_id: Long?
    }
    enum Currency { EUR, USD }
    """
)
METADATA = {"tenant_id": "acme", "user_id": 7, "script_id": "s-1", "execution_id": "e-1"}


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[EventStore]:
    if request.param == "memory":
        yield InMemoryEventStore("acme")
        return
    engine = create_store_engine(f"sqlite:///{tmp_path}/events.db")
    yield SqlEventStore(engine, "acme")
    engine.dispose()


def publisher(store: EventStore, schema: Schema | None = None) -> EventPublisher:
    return EventPublisher(lambda: store, lambda: schema, METADATA)


@pytest.mark.parametrize("event_type", ["order.updated", "billing.invoice.sent", "a1.b_2"])
def test_conventional_types_are_appended_without_a_schema(
    store: EventStore, event_type: str
) -> None:
    assert publisher(store).publish([event_type, {"id": "o-1", "lines": [1, 2]}]) is True
    (event,) = store.read()
    assert event.type == event_type
    assert event.data == {"id": "o-1", "lines": [1, 2]}
    assert event.tags == ()
    assert dict(event.event.metadata) == METADATA


@pytest.mark.parametrize(
    "event_type",
    [
        "updated",
        "Order.Updated",
        "order..updated",
        "order.updated.",
        "a.b.c.d",
        "order updated",
        "order.updated\n",
        "x." + "a" * 300,
        "OpenedAccount",
    ],
)
def test_other_types_are_refused_without_a_schema(store: EventStore, event_type: str) -> None:
    with pytest.raises(SdkError) as caught:
        publisher(store).publish([event_type, {}])
    assert "is not declared in the tenant's schema and does not follow module.entity.action" in str(
        caught.value
    )
    assert store.head() is None


def test_a_declared_type_is_validated_filled_and_tagged(store: EventStore) -> None:
    payload = {"account_id": "a-1", "initial_balance": 10, "branch_id": 42}
    publisher(store, SCHEMA).publish(["OpenedAccount", payload])
    (event,) = store.read()
    assert event.data == {
        "account_id": "a-1",
        "initial_balance": 10,
        "branch_id": 42,
        "currency": "EUR",
    }
    assert event.tags == ("account_id:a-1", "branch_id:42")
    assert dict(event.event.metadata) == METADATA


def test_an_optional_domain_id_left_out_gives_no_tag(store: EventStore) -> None:
    publisher(store, SCHEMA).publish(["OpenedAccount", {"account_id": "a-1", "initial_balance": 1}])
    (event,) = store.read()
    assert event.tags == ("account_id:a-1",)


def test_an_invalid_payload_names_every_violation(store: EventStore) -> None:
    with pytest.raises(SdkError) as caught:
        publisher(store, SCHEMA).publish(
            ["OpenedAccount", {"initial_balance": "ten", "currency": "JPY", "extra": 1}]
        )
    message = str(caught.value)
    assert message.startswith("events.publish: invalid OpenedAccount payload: ")
    for path in (
        "$.account_id:",
        "$.initial_balance:",
        "$.currency:",
        "$: undeclared field 'extra'",
    ):
        assert path in message
    assert store.head() is None


def test_a_schema_still_allows_conventional_types(store: EventStore) -> None:
    publisher(store, SCHEMA).publish(["audit.login.failed", {"user": "x"}])
    assert [e.type for e in store.read()] == ["audit.login.failed"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "events.publish takes (eventType, payload), got 0 argument(s)"),
        (["order.updated"], "events.publish takes (eventType, payload), got 1 argument(s)"),
        ([5, {}], "events.publish: the event type must be a non-empty string"),
        (["", {}], "events.publish: the event type must be a non-empty string"),
        (["order.updated", None], "events.publish: the payload must be an object, got null"),
        (["order.updated", [1]], "events.publish: the payload must be an object, got array"),
        (["order.updated", "x"], "events.publish: the payload must be an object, got string"),
        (["order.updated", 3], "events.publish: the payload must be an object, got number"),
    ],
)
def test_malformed_calls_fail_precisely(store: EventStore, args: list[Any], message: str) -> None:
    with pytest.raises(SdkError) as caught:
        publisher(store).publish(args)
    assert str(caught.value) == message


def test_an_event_the_store_refuses_is_an_sdk_error() -> None:
    store = InMemoryEventStore("acme", max_event_bytes=1000)
    with pytest.raises(SdkError, match=r"^events\.publish: the event was refused: "):
        publisher(store).publish(["order.updated", {"blob": "x" * 2000}])
    with pytest.raises(SdkError, match=r"^events\.publish: the event was refused: "):
        publisher(store, SCHEMA).publish(
            ["OpenedAccount", {"account_id": "a" * 600, "initial_balance": 1}]
        )
    assert store.head() is None


def test_the_schema_is_read_at_each_publish(store: EventStore) -> None:
    current: list[Schema | None] = [None]
    events = EventPublisher(lambda: store, lambda: current[0], METADATA)
    with pytest.raises(SdkError):
        events.publish(["OpenedAccount", {"account_id": "a", "initial_balance": 1}])
    current[0] = SCHEMA
    assert events.publish(["OpenedAccount", {"account_id": "a", "initial_balance": 1}])
