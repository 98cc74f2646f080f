"""Over HTTP, a Python handler is held to the upload's checks: one that emits a type the schema
lacks, raises, or returns nothing is a 500 handler_fault naming it, and nothing is stored."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from esruntime import InMemoryEventStore
from esruntime.runtime import Runtime
from tests.commands.seats import SCHEMA, HoldSeat, Raises, ReserveSeat, ReturnsNothing
from tests.web.apps import Client, make_client


@pytest.fixture
def seats() -> Iterator[Runtime]:
    runtime = Runtime(default_tenant="acme")
    for handler in (ReserveSeat, HoldSeat, Raises, ReturnsNothing):
        runtime.register(handler)  # before the schema: checked by each command
    tenant = runtime.tenant()
    tenant.push_schema(SCHEMA)
    from esruntime.events import Event

    tenant.store.append([Event("SeatsAdded", {"show_id": "s1", "seats": 4}, ["show_id:s1"])])
    yield runtime
    runtime.close()


@pytest.fixture(params=["fastapi", "flask"])
def client(request: pytest.FixtureRequest, seats: Runtime) -> Client:
    keys = {"acme": seats.api_keys.create("acme", "admin", ["admin"]).secret}
    return make_client(request.param, seats, keys)


def test_a_python_handler_emitting_a_type_the_schema_lacks_is_a_handler_fault(
    client: Client,
) -> None:
    reply = client.command("hold_seat", {"show_id": "s1", "seat": 1})
    assert reply.status == 500
    assert reply.error["code"] == "handler_fault"
    assert reply.error["message"] == (
        "Handler 'hold_seat' faulted (schema_mismatch): handler 'hold_seat' does not fit the "
        "tenant's schema: Handler emits 'SeatHeld' which is not in the schema "
        "[unknown_event_type]"
    )
    assert [e.type for e in client.runtime.tenant().store.read()] == ["SeatsAdded"]


def test_an_exception_in_a_python_handler_is_a_handler_fault(client: Client) -> None:
    reply = client.command("raises", {"show_id": "s1", "seat": 1})
    assert reply.status == 500
    assert reply.error["code"] == "handler_fault"
    assert reply.error["message"] == (
        "Handler 'raises' faulted (handler_error): handler 'raises' raised KeyError in handle: "
        "'show'"
    )


def test_a_python_handler_returning_none_is_a_handler_fault(client: Client) -> None:
    reply = client.command("returns_nothing", {"show_id": "s1", "seat": 1})
    assert reply.status == 500
    assert reply.error["code"] == "handler_fault"
    assert "(invalid_result)" in reply.error["message"]
    assert (
        "it must return a list of Emit (empty to emit nothing) or a Rejection"
        in (reply.error["message"])
    )


def test_validate_answers_a_bad_domain_id_with_its_own_message(client: Client) -> None:
    reply = client.command("reserve_seat", {"show_id": True, "seat": 1})
    assert reply.status == 400
    assert reply.json()["code"] == "invalid_input"
    assert reply.json()["message"] == "show_id must be a non-empty string"
    assert client.command("reserve_seat", {"show_id": "s1", "seat": 2}).status == 200


class BrokenStore(InMemoryEventStore):
    """A store whose reads fail with an error no layer expects: the server's own bug."""

    def read(self, *args: Any, **options: Any) -> Any:
        raise RuntimeError("the store broke")


@pytest.mark.parametrize("adapter", ["fastapi", "flask"])
def test_an_exception_outside_the_handler_is_still_500_internal_error(
    adapter: str, caplog: pytest.LogCaptureFixture
) -> None:
    with Runtime(BrokenStore(tenant="acme")) as runtime:
        runtime.tenant().push_schema(SCHEMA)
        runtime.register(ReserveSeat)
        keys = {"acme": runtime.api_keys.create("acme", "admin", ["admin"]).secret}
        reply = make_client(adapter, runtime, keys).command(
            "reserve_seat", {"show_id": "s1", "seat": 1}
        )
    assert reply.status == 500
    error = reply.error
    assert error["code"] == "internal_error"
    assert error["request_id"] in error["message"]
    assert "the store broke" not in error["message"]
    logged = [r for r in caplog.records if r.name == "esruntime.web" and r.exc_info]
    assert logged
    assert error["request_id"] in logged[0].getMessage()
