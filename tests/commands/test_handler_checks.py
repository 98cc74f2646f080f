"""A handler is checked the same way wherever it enters: registered in code, uploaded, or run
after the schema changed; and a handler that breaks its contract faults, named."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from esruntime.errors import HandlerFault, HandlerRejectedError
from esruntime.handlers import Decision, Emit, Rejection
from esruntime.handlers.checks import ManifestProblem
from esruntime.runtime import Runtime, Tenant
from tests.commands.seats import (
    SCHEMA,
    HoldSeat,
    MisspeltDomainId,
    MisspeltInputField,
    Raises,
    ReadsHeld,
    ReserveSeat,
    ReturnsNothing,
    describe,
)
from tests.wasm.modules import counter_wasm


@pytest.fixture
def runtime(tmp_path: Path) -> Iterator[Runtime]:
    with Runtime.from_url(f"sqlite:///{tmp_path}/seats.db") as runtime:
        yield runtime


@pytest.fixture
def seats(runtime: Runtime) -> Tenant:
    tenant = runtime.tenant()
    tenant.push_schema(SCHEMA)
    tenant.register(ReserveSeat)
    return tenant


def add_seats(tenant: Tenant) -> None:
    from esruntime.events import Event

    tenant.store.append([Event("SeatsAdded", {"show_id": "s1", "seats": 4}, ["show_id:s1"])])


def problems(handler: type[ReserveSeat], tenant: Tenant) -> tuple[ManifestProblem, ...]:
    with pytest.raises(HandlerRejectedError) as refused:
        tenant.register(handler)
    assert refused.value.name == handler.name
    return refused.value.problems


# -- item 1: registration runs the upload checks --------------------------------------------


def test_registering_a_handler_that_emits_an_unknown_type_is_refused_as_an_upload(
    seats: Tenant,
) -> None:
    assert problems(HoldSeat, seats) == (
        ManifestProblem(
            "unknown_event_type", "Handler emits 'SeatHeld' which is not in the schema"
        ),
    )
    uploaded = seats.upload("hold_seat", counter_wasm(describe=describe(HoldSeat)), "1.0.0")
    assert uploaded.status == "rejected"
    assert uploaded.errors == problems(HoldSeat, seats)


def test_registering_a_handler_that_reads_an_unknown_type_is_refused(seats: Tenant) -> None:
    assert problems(ReadsHeld, seats) == (
        ManifestProblem(
            "unknown_event_type", "Handler reads 'SeatHeld' which is not in the schema"
        ),
    )


def test_a_refused_handler_is_not_served(seats: Tenant) -> None:
    problems(HoldSeat, seats)
    assert seats.handler("hold_seat") is None


def test_registration_logs_the_warnings_an_upload_returns(
    runtime: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    tenant = runtime.tenant()
    tenant.push_schema(SCHEMA)

    class ReadsAll(ReserveSeat):
        name = "reads_all"
        input_domain_ids = {"show_id": "show_id"}

    class Renamed(ReadsAll):
        name = "count"

    with caplog.at_level(logging.WARNING, logger="esruntime.runtime.tenant"):
        tenant.register(ReadsAll)
    uploaded = tenant.upload("count", counter_wasm("count", describe=describe(Renamed)), "0.1.0")
    assert uploaded.status == "ok"
    logged = [r.getMessage() for r in caplog.records]
    assert logged == ["handler 'reads_all': Handler queries SeatReserved but never matches on seat"]
    assert uploaded.warnings == ("Handler queries SeatReserved but never matches on seat",)


def test_a_handler_registered_before_the_schema_faults_when_it_does_not_fit(
    runtime: Runtime,
) -> None:
    runtime.register(HoldSeat)
    tenant = runtime.tenant()
    with pytest.raises(HandlerFault) as fault:
        runtime.execute("hold_seat", {"show_id": "s1", "seat": 1})
    assert fault.value.code == "schema_mismatch"
    assert "Handler reads 'SeatsAdded' which is not in the schema" in str(fault.value)
    tenant.push_schema(SCHEMA)
    add_seats(tenant)
    with pytest.raises(HandlerFault) as fault:
        runtime.execute("hold_seat", {"show_id": "s1", "seat": 1})
    assert str(fault.value) == (
        "handler 'hold_seat' does not fit the tenant's schema: Handler emits 'SeatHeld' which "
        "is not in the schema [unknown_event_type]"
    )
    assert [e.type for e in tenant.store.read()] == ["SeatsAdded"]


def test_runtime_register_checks_every_open_tenant(runtime: Runtime) -> None:
    runtime.tenant().push_schema(SCHEMA)
    with pytest.raises(HandlerRejectedError, match="Handler emits 'SeatHeld'"):
        runtime.register(HoldSeat)


def test_a_wasm_handler_faults_when_the_schema_no_longer_has_what_it_emits(
    runtime: Runtime,
) -> None:
    tenant = runtime.tenant()
    tenant.push_schema("event Counted { @counter_id: String }")
    assert tenant.upload("count", counter_wasm(), "1.0.0").status == "ok"
    assert runtime.execute("count", {"counter_id": "c1"}).outcome == "ok"
    other = runtime.tenant("other")
    other.push_schema("event Counted { @counter_id: String }")
    assert other.upload("count", counter_wasm(), "1.0.0").status == "ok"
    other.push_schema("event Tallied { @counter_id: String }")  # no Counted stored: allowed
    with pytest.raises(HandlerFault) as fault:
        other.execute("count", {"counter_id": "c1"})
    assert fault.value.code == "schema_mismatch"
    assert "Handler emits 'Counted' which is not in the schema" in str(fault.value)
    assert other.store.read().events == []


# -- item 3: misspelt bindings are named, on registration as on upload -----------------------


def test_a_binding_to_a_domain_id_nothing_carries_names_it(seats: Tenant) -> None:
    assert problems(MisspeltDomainId, seats) == (
        ManifestProblem(
            "unknown_domain_id",
            "Handler binds input field 'seat' to 'seta', which no type it reads is tagged by "
            "(its reads are tagged by: show_id, seat)",
        ),
    )


def test_a_bound_input_field_the_input_schema_lacks_is_an_error(seats: Tenant) -> None:
    assert problems(MisspeltInputField, seats) == (
        ManifestProblem(
            "unknown_input_field",
            "Handler binds input field 'seta' (to seat), which its input schema does not have "
            "(its fields: show_id, seat)",
        ),
    )


def test_a_bound_input_field_without_an_input_schema_is_a_warning_naming_it(
    runtime: Runtime,
) -> None:
    tenant = runtime.tenant()
    tenant.push_schema(SCHEMA)

    class Unchecked(ReserveSeat):
        name = "count"
        input_domain_ids = {"show_id": "show_id", "seta": "seat"}

    uploaded = tenant.upload("count", counter_wasm(describe=describe(Unchecked)), "0.1.0")
    assert uploaded.status == "ok"
    assert uploaded.warnings == (
        "Handler binds input field 'seta' to seat but declares no input schema to check it "
        "against: a command without 'seta' reads every event of the types it reads by seat",
    )


# -- item 4: the handler's validate runs before the domain ids are read ----------------------


@pytest.mark.parametrize(
    ("show_id", "message"),
    [("", "show_id must be a non-empty string"), (True, "show_id must be a non-empty string")],
)
def test_validate_answers_bad_domain_ids_before_the_query_is_built(
    seats: Tenant, show_id: object, message: str
) -> None:
    result = seats.execute("reserve_seat", {"show_id": show_id, "seat": 1})
    assert (result.outcome, result.code, result.message) == ("rejected", "invalid_input", message)


def test_a_bad_domain_id_that_validate_lets_through_is_invalid_input(seats: Tenant) -> None:
    class Lax(ReserveSeat):
        name = "lax"

        def validate(self, command: dict[str, object]) -> None:
            return None

    seats.register(Lax)
    result = seats.execute("lax", {"show_id": "s1", "seat": True})
    assert (result.outcome, result.code) == ("rejected", "invalid_input")
    assert result.message == (
        "input field 'seat': a domain id value must be a string or a number, got bool True"
    )


# -- item 5: a handler that raises or returns nothing faults, named ---------------------------


def test_handle_returning_none_is_a_fault_saying_what_to_return(seats: Tenant) -> None:
    add_seats(seats)
    seats.register(ReturnsNothing)
    with pytest.raises(HandlerFault) as fault:
        seats.execute("returns_nothing", {"show_id": "s1", "seat": 1})
    assert fault.value.code == "invalid_result"
    assert str(fault.value) == (
        "handler 'returns_nothing' handle returned None; it must return a list of Emit "
        "(empty to emit nothing) or a Rejection"
    )


def test_an_exception_in_handle_is_a_fault_naming_the_handler(
    seats: Tenant, caplog: pytest.LogCaptureFixture
) -> None:
    add_seats(seats)
    seats.register(Raises)
    with pytest.raises(HandlerFault) as fault:
        seats.execute("raises", {"show_id": "s1", "seat": 1})
    assert fault.value.code == "handler_error"
    assert str(fault.value) == "handler 'raises' raised KeyError in handle: 'show'"
    assert isinstance(fault.value.__cause__, KeyError)
    assert any(r.exc_info for r in caplog.records if r.name == "esruntime.commands.executor")
    assert seats.store.read().events[-1].type == "SeatsAdded"


def test_an_exception_in_apply_or_validate_is_a_fault_too(seats: Tenant) -> None:
    class BadApply(ReserveSeat):
        name = "bad_apply"

        def apply(self, event: object) -> None:
            raise ValueError("cannot fold")

    class BadValidate(ReserveSeat):
        name = "bad_validate"

        def validate(self, command: dict[str, object]) -> None:
            raise ValueError("cannot validate")

    add_seats(seats)
    seats.register(BadApply)
    seats.register(BadValidate)
    with pytest.raises(HandlerFault, match="'bad_apply' raised ValueError in apply: cannot fold"):
        seats.execute("bad_apply", {"show_id": "s1", "seat": 1})
    with pytest.raises(HandlerFault, match="raised ValueError in validate: cannot validate"):
        seats.execute("bad_validate", {"show_id": "s1", "seat": 1})


def test_the_sound_handler_reserves_a_seat_once(seats: Tenant) -> None:
    add_seats(seats)
    assert seats.execute("reserve_seat", {"show_id": "s1", "seat": 3}).outcome == "ok"
    again = seats.execute("reserve_seat", {"show_id": "s1", "seat": 3})
    assert (again.outcome, again.code) == ("rejected", "seat_taken")
    assert seats.execute("reserve_seat", {"show_id": "s1", "seat": 4}).outcome == "ok"


def test_a_single_emit_or_a_bad_validate_result_is_a_fault_and_a_generator_is_a_decision(
    seats: Tenant,
) -> None:
    class OneEmit(ReserveSeat):
        name = "one_emit"

        def handle(self, command: dict[str, Any]) -> Decision:
            return Emit("SeatReserved", {"show_id": "s1", "seat": 2, "holder": "x"})  # type: ignore[return-value]

    class ValidTrue(ReserveSeat):
        name = "valid_true"

        def validate(self, command: dict[str, Any]) -> Rejection | None:
            return True  # type: ignore[return-value]

    class Yields(ReserveSeat):
        name = "yields"

        def handle(self, command: dict[str, Any]) -> Iterator[Emit]:  # type: ignore[override]
            yield Emit("SeatReserved", {"show_id": "s1", "seat": 2, "holder": "x"})

    add_seats(seats)
    for handler in (OneEmit, ValidTrue, Yields):
        seats.register(handler)
    with pytest.raises(HandlerFault, match=r"handle returned Emit\(type='Se"):
        seats.execute("one_emit", {"show_id": "s1", "seat": 2})
    with pytest.raises(HandlerFault, match="validate returned True; it must return None"):
        seats.execute("valid_true", {"show_id": "s1", "seat": 2})
    assert seats.execute("yields", {"show_id": "s1", "seat": 2}).outcome == "ok"
