"""Seat reservations: a schema, a sound Python handler, and the mistakes a new author makes
(reading or emitting a type the schema lacks, a misspelt binding, a handler that raises or
returns nothing). The test subject of the checks a handler passes wherever it enters."""

from __future__ import annotations

from typing import Any

from esruntime.events import SequencedEvent
from esruntime.handlers import Decision, Emit, HandlerManifest, PythonHandler, Rejection
from esruntime.handlers.manifest import manifest_document

SCHEMA = """
event SeatsAdded {
  @show_id: String
  seats: Int
}

event SeatReserved {
  @show_id: String
  @seat: Int
  holder: String
}
"""

SEAT_INPUT = {
    "type": "object",
    "properties": {"show_id": {"type": "string"}, "seat": {"type": "integer"}},
}


class ReserveSeat(PythonHandler):
    """Reserves a free seat of a show."""

    name = "reserve_seat"
    reads = {"SeatsAdded": ["show_id"], "SeatReserved": ["show_id", "seat"]}
    input_domain_ids = {"show_id": "show_id", "seat": "seat"}
    emits = ["SeatReserved"]

    def __init__(self) -> None:
        self.seats = 0
        self.taken: set[int] = set()

    def validate(self, command: dict[str, Any]) -> Rejection | None:
        show = command.get("show_id")
        if not isinstance(show, str) or not show:
            return Rejection("invalid_input", "show_id must be a non-empty string")
        if not isinstance(command.get("seat"), int) or isinstance(command.get("seat"), bool):
            return Rejection("invalid_input", "seat must be an integer")
        return None

    def apply(self, event: SequencedEvent) -> None:
        if event.type == "SeatsAdded":
            self.seats += event.data["seats"]
        else:
            self.taken.add(event.data["seat"])

    def handle(self, command: dict[str, Any]) -> Decision:
        seat = command["seat"]
        if not 1 <= seat <= self.seats:
            return Rejection("no_such_seat", f"show {command['show_id']} has no seat {seat}")
        if seat in self.taken:
            return Rejection("seat_taken", f"seat {seat} is taken")
        data = {"show_id": command["show_id"], "seat": seat, "holder": "ann"}
        return [Emit("SeatReserved", data)]


class HoldSeat(ReserveSeat):
    """Declares and emits SeatHeld, which the schema does not have."""

    name = "hold_seat"
    emits = ["SeatHeld"]

    def handle(self, command: dict[str, Any]) -> Decision:
        return [Emit("SeatHeld", {"show_id": command["show_id"], "seat": command["seat"]})]


class ReadsHeld(ReserveSeat):
    """Reads SeatHeld, which the schema does not have."""

    name = "reads_held"
    reads = {"SeatHeld": ["show_id"], "SeatReserved": ["show_id", "seat"]}


class MisspeltDomainId(ReserveSeat):
    """Binds input field seat to a domain id 'seta' that nothing it reads carries."""

    name = "misspelt_domain_id"
    input_domain_ids = {"show_id": "show_id", "seat": "seta"}


class MisspeltInputField(ReserveSeat):
    """Binds an input field 'seta', which its input schema does not have."""

    name = "misspelt_input_field"
    input_domain_ids = {"show_id": "show_id", "seta": "seat"}

    @classmethod
    def manifest(cls) -> HandlerManifest:
        from attrs import evolve

        return evolve(super().manifest(), input_schema=SEAT_INPUT)


class ReturnsNothing(ReserveSeat):
    """Forgets to return its decision."""

    name = "returns_nothing"

    def handle(self, command: dict[str, Any]) -> Decision:
        return None  # type: ignore[return-value]


class Raises(ReserveSeat):
    """Indexes a field the input lacks."""

    name = "raises"

    def handle(self, command: dict[str, Any]) -> Decision:
        return [Emit("SeatReserved", {"show_id": command["show"], "seat": 1, "holder": "x"})]


def describe(handler: type[PythonHandler]) -> str:
    """The manifest JSON a WebAssembly module of ``handler`` would describe itself with."""
    import json

    document = manifest_document(handler.manifest())
    document.pop("sdk", None)
    return json.dumps(document)
