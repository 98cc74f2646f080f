"""A well-behaved WebAssembly handler, run through the real executor and event store."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import wasmtime

from esruntime import Event, InMemoryEventStore
from esruntime.commands import CommandExecutor
from esruntime.errors import HandlerFault
from esruntime.events import SequencedEvent
from esruntime.handlers import Emit, Rejection, WasmLimits, WasmModule, load_wasm_handler
from tests.wasm.modules import counter_wasm


def counted(position: int, counter_id: str = "c1") -> SequencedEvent:
    event = Event("Counted", {"counter_id": counter_id}, [f"counter_id:{counter_id}"])
    return SequencedEvent(position, event, datetime(2024, 5, 1, tzinfo=UTC))


def test_the_module_describes_itself_with_its_manifest() -> None:
    module = WasmModule.load(counter_wasm())
    assert module.manifest.name == "count"
    assert module.manifest.read_types == ("Counted",)
    assert module.manifest.emit_types == ("Counted",)
    assert dict(module.manifest.input_domain_ids) == {"counter_id": "counter_id"}
    assert len(module.sha256) == 64


def test_a_first_command_appends_the_event_the_guest_emits(
    executor: CommandExecutor, store: InMemoryEventStore
) -> None:
    result = executor.execute("count", {"counter_id": "c1"})
    assert (result.outcome, result.position) == ("ok", 1)
    (event,) = store.read().events
    assert (event.type, event.data, event.tags) == (
        "Counted",
        {"counter_id": "c1"},
        ("counter_id:c1",),
    )
    assert result.event_ids == (event.id,)


def test_a_second_command_is_rejected_because_the_first_event_is_replayed(
    executor: CommandExecutor, store: InMemoryEventStore
) -> None:
    executor.execute("count", {"counter_id": "c1"})
    again = executor.execute("count", {"counter_id": "c1"})
    assert (again.outcome, again.code) == ("rejected", "already_counted")
    assert again.message == "this counter was counted"
    other = executor.execute("count", {"counter_id": "c2"})  # its query does not match c1
    assert (other.outcome, other.position) == ("ok", 2)
    assert len(store.read().events) == 2


def test_the_guest_validates_input_before_anything_is_read(executor: CommandExecutor) -> None:
    result = executor.execute("count", {})
    assert (result.outcome, result.code) == ("rejected", "invalid_input")
    assert result.message == "counter_id is required"


def test_input_over_the_limit_is_rejected_as_invalid_input(store: InMemoryEventStore) -> None:
    executor = CommandExecutor(store)
    executor.register_factory(*load_wasm_handler(counter_wasm(), limits=WasmLimits(input=64)))
    result = executor.execute("count", {"counter_id": "c1", "note": "x" * 100})
    assert (result.outcome, result.code) == ("rejected", "invalid_input")
    assert "limit is 64" in (result.message or "")
    assert store.read().events == []


def test_events_arrive_as_frames_split_across_batches() -> None:
    """With tiny batches every esr_apply call must still hold whole frames (the guest counts
    them and reports a bad_frame error if one overruns its batch)."""
    module = WasmModule.load(counter_wasm(), limits=WasmLimits(batch=64))
    handler = module.handler()
    handler.apply_all([counted(position) for position in range(1, 8)])
    assert handler.handle({"counter_id": "c1"}) == Rejection(
        "already_counted", "this counter was counted"
    )


def test_each_handler_is_a_fresh_instance() -> None:
    module = WasmModule.load(counter_wasm())
    first = module.handler()
    first.apply_all([counted(1)])
    assert isinstance(first.handle({"counter_id": "c1"}), Rejection)
    second = module.handler()
    second.apply_all([])
    assert second.handle({"counter_id": "c1"}) == [Emit("Counted", {"counter_id": "c1"})]


def test_the_same_history_and_input_cost_the_same_fuel() -> None:
    module = WasmModule.load(counter_wasm())
    spent = []
    for _ in range(2):
        handler = module.handler()
        handler.apply_all([counted(p) for p in range(1, 4)])
        handler.handle({"counter_id": "c1"})
        spent.append(module.limits.fuel - handler.fuel_left)
    assert spent[0] == spent[1] > 0


def test_a_module_is_compiled_once_per_process(
    monkeypatch: pytest.MonkeyPatch, call_path: str
) -> None:
    compiled = []

    class CountingModule(wasmtime.Module):
        def __init__(self, engine: wasmtime.Engine, wasm: bytes) -> None:
            compiled.append(wasm)
            super().__init__(engine, wasm)

    monkeypatch.setattr(wasmtime, "Module", CountingModule)
    wasm = counter_wasm(f"compiled_once_{call_path[:3]}")
    first, second = WasmModule.load(wasm), WasmModule.load(wasm)
    assert first.sha256 == second.sha256
    assert len(compiled) == 1
    WasmModule.load(counter_wasm(f"another_{call_path[:3]}"))
    assert len(compiled) == 2


def test_a_faulted_instance_is_not_called_again() -> None:
    module = WasmModule.load(counter_wasm(), limits=WasmLimits(fuel=50))
    handler = module.handler()
    with pytest.raises(HandlerFault) as fault:
        handler.apply_all([counted(p) for p in range(1, 50)])
    assert fault.value.code == "out_of_fuel"
    with pytest.raises(HandlerFault, match="faulted earlier"):
        handler.handle({"counter_id": "c1"})
