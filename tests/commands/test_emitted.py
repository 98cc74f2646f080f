"""A handler's decision and a script's publish become events by the same rules."""

from __future__ import annotations

import pytest

from esruntime.commands.emitted import emitted_event
from esruntime.errors import EventValidationError, InvalidCommandInput
from esruntime.schema import parse_schema

SCHEMA = parse_schema(
    """
event Deposited {
    @account_id: String
    amount: Float
    note: String = "none"
}
"""
)


def test_a_declared_type_is_completed_validated_and_tagged_by_its_domain_ids() -> None:
    data, tags = emitted_event(SCHEMA, "Deposited", {"account_id": "a1", "amount": 5.0})
    assert data == {"account_id": "a1", "amount": 5.0, "note": "none"}
    assert tags == ["account_id:a1"]
    # the names a caller passes only tag types the schema does not declare
    assert emitted_event(SCHEMA, "Deposited", data, ["amount"])[1] == ["account_id:a1"]


def test_another_type_keeps_its_data_and_is_tagged_by_the_names_given() -> None:
    data, tags = emitted_event(SCHEMA, "order.updated", {"order": 7, "x": None}, ["order", "x"])
    assert (data, tags) == ({"order": 7, "x": None}, ["order:7"])
    assert emitted_event(None, "Deposited", {"account_id": "a1"}) == ({"account_id": "a1"}, [])


def test_invalid_data_and_untaggable_domain_ids_are_refused_with_their_place() -> None:
    with pytest.raises(EventValidationError) as caught:
        emitted_event(SCHEMA, "Deposited", {"account_id": "a1", "amount": "five"})
    assert [path for path, _ in caught.value.violations] == ["$.amount"]
    with pytest.raises(InvalidCommandInput, match=r"^order\.updated\.order: a domain id value"):
        emitted_event(None, "order.updated", {"order": [1]}, ["order"])
