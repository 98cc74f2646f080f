"""A Scenario is as strict as the server: it refuses the handlers an upload refuses, with the
same codes and messages, validates the given history against the schema, and turns a handler
that raises or returns nothing into a fault a test can assert on."""

from __future__ import annotations

import pytest

from esruntime import Event
from esruntime.errors import EventValidationError, HandlerRejectedError
from esruntime.handlers.checks import ManifestProblem
from esruntime.runtime import Runtime
from esruntime.testing import Scenario
from tests.commands.seats import (
    SCHEMA,
    HoldSeat,
    MisspeltDomainId,
    Raises,
    ReadsHeld,
    ReserveSeat,
    ReturnsNothing,
    describe,
)
from tests.wasm.modules import counter_wasm

SEATS_ADDED = ("SeatsAdded", {"show_id": "s1", "seats": 4})


def upload_errors(name: str, module: bytes) -> tuple[ManifestProblem, ...]:
    with Runtime() as runtime:
        tenant = runtime.tenant()
        tenant.push_schema(SCHEMA)
        result = tenant.upload(name, module, "0.1.0")
        assert result.status == "rejected"
        return result.errors


@pytest.mark.parametrize("handler", [HoldSeat, ReadsHeld, MisspeltDomainId])
@pytest.mark.parametrize("kind", ["python", "wasm"])
def test_a_handler_the_server_refuses_is_refused_with_the_uploads_problems(
    handler: type[ReserveSeat], kind: str
) -> None:
    module = counter_wasm(handler.name, describe=describe(handler))
    with pytest.raises(HandlerRejectedError) as refused:
        Scenario(SCHEMA, [handler if kind == "python" else module])
    assert refused.value.problems == upload_errors(handler.name, module)


def test_the_warnings_of_an_upload_are_kept_by_command() -> None:
    class ShowOnly(ReserveSeat):
        name = "show_only"
        input_domain_ids = {"show_id": "show_id"}

    scenario = Scenario(SCHEMA, [ReserveSeat, ShowOnly])
    assert scenario.warnings == {
        "reserve_seat": [],
        "show_only": ["Handler queries SeatReserved but never matches on seat"],
    }


def test_a_given_event_of_an_unknown_type_is_refused() -> None:
    scenario = Scenario(SCHEMA, [ReserveSeat])
    with pytest.raises(EventValidationError) as refused:
        scenario.given(("SeatHeld", {"show_id": "s1", "seat": 1}))
    assert str(refused.value) == "SeatHeld data is invalid: $: unknown event type 'SeatHeld'"


def test_a_given_event_with_a_misspelt_field_is_refused_with_the_servers_message() -> None:
    scenario = Scenario(SCHEMA, [ReserveSeat])
    with pytest.raises(EventValidationError) as refused:
        scenario.given(SEATS_ADDED, Event("SeatReserved", {"show_id": "s1", "seta": 1}))
    assert refused.value.violations == (
        ("$.seat", "required field is missing"),
        ("$.holder", "required field is missing"),
        ("$", "undeclared field 'seta'"),
    )


def test_a_handler_returning_nothing_is_a_fault_the_test_can_assert() -> None:
    scenario = Scenario(SCHEMA, [ReturnsNothing])
    outcome = scenario.given(SEATS_ADDED).when("returns_nothing", {"show_id": "s1", "seat": 1})
    outcome.then_fault("invalid_result")
    assert "handle returned None; it must return a list of Emit" in str(outcome.result)


def test_an_exception_in_a_handler_is_a_fault_the_test_can_assert() -> None:
    scenario = Scenario(SCHEMA, [Raises])
    outcome = scenario.given(SEATS_ADDED).when("raises", {"show_id": "s1", "seat": 1})
    outcome.then_fault("handler_error")
    assert str(outcome.result) == "handler 'raises' raised KeyError in handle: 'show'"
    assert outcome.events == ()


def test_validate_runs_before_the_domain_ids_are_checked() -> None:
    Scenario(SCHEMA, [ReserveSeat]).given().when(
        "reserve_seat", {"show_id": "", "seat": 1}
    ).then_rejected("invalid_input", "show_id must be a non-empty string")
