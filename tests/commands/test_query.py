"""The DCB query of a command: the Rust original's cases, and the events it selects."""

from __future__ import annotations

from typing import Any

import pytest

from esruntime import Event, InMemoryEventStore, Query, QueryItem
from esruntime.commands import build_query, domain_id_bindings, tag_value
from esruntime.errors import InvalidCommandInput
from esruntime.handlers import HandlerManifest, ReadSpec


def manifest(
    reads: dict[str, tuple[str, ...]], inputs: dict[str, str] | None = None
) -> HandlerManifest:
    """A manifest reading ``reads`` (type → domain ids), each input field binding its own name."""
    fields = {f for ids in reads.values() for f in ids} | set(inputs or {})
    return HandlerManifest(
        name="cmd",
        version="1.0.0",
        reads=tuple(ReadSpec(t, ids) for t, ids in reads.items()),
        input_domain_ids=inputs if inputs is not None else {f: f for f in fields},
    )


def items(query: Query) -> set[tuple[frozenset[str], frozenset[str]]]:
    return {(frozenset(i.tags), frozenset(i.types)) for i in query.items}


SINGLE = manifest({"EventA": ("user_id",), "EventB": ("user_id",)})
MIXED = manifest(
    {
        "UserRegistered": ("user_id",),
        "UserCompletedOnboarding": ("user_id",),
        "BetTracked": ("bet_id", "user_id"),
    }
)
SHARED = manifest(
    {"TransferSent": ("account_id", "region_id"), "TransferReceived": ("account_id", "region_id")}
)
DISJOINT = manifest({"UserEvent": ("user_id",), "OrderEvent": ("order_id",)})
GLOBAL = manifest({"GlobalEvent": ()}, inputs={"some_id": "some_id"})


def fs(*values: str) -> frozenset[str]:
    return frozenset(values)


@pytest.mark.parametrize(
    ("handler", "command_input", "expected"),
    [
        (SINGLE, {"user_id": "alice"}, {(fs("user_id:alice"), fs("EventA", "EventB"))}),
        (
            SINGLE,
            {"user_id": ["alice", "bob"]},
            {
                (fs("user_id:alice"), fs("EventA", "EventB")),
                (fs("user_id:bob"), fs("EventA", "EventB")),
            },
        ),
        (SINGLE, {}, {(fs(), fs("EventA", "EventB"))}),
        (
            MIXED,
            {"user_id": "abc", "bet_id": "xyz"},
            {
                (fs("user_id:abc"), fs("UserRegistered", "UserCompletedOnboarding")),
                (fs("bet_id:xyz", "user_id:abc"), fs("BetTracked")),
            },
        ),
        (
            MIXED,
            {"user_id": "abc"},
            {(fs("user_id:abc"), fs("UserRegistered", "UserCompletedOnboarding", "BetTracked"))},
        ),
        (
            SHARED,
            {"account_id": "alice", "region_id": "us-west"},
            {(fs("account_id:alice", "region_id:us-west"), fs("TransferSent", "TransferReceived"))},
        ),
        (
            SHARED,
            {"account_id": ["alice", "bob"], "region_id": "us-west"},
            {
                (
                    fs("account_id:alice", "region_id:us-west"),
                    fs("TransferSent", "TransferReceived"),
                ),
                (fs("account_id:bob", "region_id:us-west"), fs("TransferSent", "TransferReceived")),
            },
        ),
        (
            DISJOINT,
            {"user_id": "alice", "order_id": "order-123"},
            {(fs("user_id:alice"), fs("UserEvent")), (fs("order_id:order-123"), fs("OrderEvent"))},
        ),
        (GLOBAL, {"some_id": "value"}, {(fs(), fs("GlobalEvent"))}),
        (GLOBAL, {}, {(fs(), fs("GlobalEvent"))}),
    ],
)
def test_the_rust_originals_cases(
    handler: HandlerManifest, command_input: dict[str, Any], expected: set[Any]
) -> None:
    assert items(build_query(handler, command_input)) == expected


def test_full_cartesian_products() -> None:
    query = build_query(
        SHARED, {"account_id": ["alice", "bob"], "region_id": ["us-west", "us-east"]}
    )
    assert len(query.items) == 4
    query = build_query(MIXED, {"user_id": ["alice", "bob"], "bet_id": "xyz"})
    assert len(query.items) == 4
    assert sum("BetTracked" in i.types for i in query.items) == 2


def test_a_binding_no_read_uses_is_ignored() -> None:
    handler = manifest({"EventA": ("user_id",)}, inputs={"user_id": "user_id", "x": "unused"})
    assert items(build_query(handler, {"user_id": "alice", "x": "v"})) == {
        (fs("user_id:alice"), fs("EventA"))
    }


def test_several_input_fields_bind_one_domain_id() -> None:
    transfer = manifest(
        {"OpenedAccount": ("account_id",), "SentFunds": ("account_id",)},
        inputs={"source_account": "account_id", "dest_account": "account_id"},
    )
    command = {"source_account": "a1", "dest_account": "a2", "amount": 5}
    assert domain_id_bindings(transfer, command) == {"account_id": ["a1", "a2"]}
    self_transfer = {"source_account": "a1", "dest_account": "a1"}
    assert domain_id_bindings(transfer, self_transfer) == {"account_id": ["a1"]}


def test_values_numbers_nulls_and_arrays() -> None:
    handler = manifest({"E": ("n",)})
    assert domain_id_bindings(handler, {"n": 42}) == {"n": ["42"]}
    assert domain_id_bindings(handler, {"n": 1.5}) == {"n": ["1.5"]}
    assert domain_id_bindings(handler, {"n": None}) == {}
    assert domain_id_bindings(handler, {"n": [None, "a", 7, "a"]}) == {"n": ["a", "7"]}
    assert tag_value("x y") == "x y"


@pytest.mark.parametrize(
    ("command_input", "message"),
    [
        ([1, 2], "command input must be a JSON object, got list"),
        (
            {"n": True},
            "input field 'n': a domain id value must be a string or a number, got bool True",
        ),
        (
            {"n": {"a": 1}},
            "input field 'n': a domain id value must be a string or a number, got dict",
        ),
        ({"n": ""}, "input field 'n': an empty domain id"),
        ({"n": "line\nbreak"}, "a domain id value cannot be a tag"),
    ],
)
def test_unusable_input_is_a_precise_error(command_input: object, message: str) -> None:
    with pytest.raises(InvalidCommandInput) as raised:
        build_query(manifest({"E": ("n",)}), command_input)
    assert message in str(raised.value)


def test_combinations_are_bounded() -> None:
    handler = manifest({"E": ("a", "b")})
    command = {"a": [str(n) for n in range(200)], "b": [str(n) for n in range(200)]}
    with pytest.raises(InvalidCommandInput, match="too many domain id combinations"):
        build_query(handler, command)


def test_the_query_selects_exactly_the_events_the_decision_rests_on() -> None:
    store = InMemoryEventStore()
    store.append(
        [
            Event("OpenedAccount", {}, ["account_id:a1"]),
            Event("OpenedAccount", {}, ["account_id:a2"]),
            Event("OpenedAccount", {}, ["account_id:a3"]),
            Event("SentFunds", {}, ["account_id:a1", "recipient_id:a2"]),
            Event("Unrelated", {}, ["account_id:a1"]),
        ]
    )
    transfer = manifest(
        {"OpenedAccount": ("account_id",), "SentFunds": ("account_id",)},
        inputs={"source_account": "account_id", "dest_account": "account_id"},
    )
    query = build_query(transfer, {"source_account": "a1", "dest_account": "a2"})
    assert [e.position for e in store.read(query)] == [1, 2, 4]
    assert QueryItem(types=["OpenedAccount", "SentFunds"], tags=["account_id:a1"]) in query.items
