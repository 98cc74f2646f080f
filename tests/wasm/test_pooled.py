"""Pooled instances (opt-in, for trusted handlers): reused per thread, reset per command."""

from __future__ import annotations

import threading

import pytest

from esruntime import InMemoryEventStore
from esruntime.commands import CommandExecutor
from esruntime.errors import HandlerFault
from esruntime.handlers import WasmModule, load_wasm_handler
from esruntime.handlers.abi import WasmLimits
from tests.wasm.modules import counter_wasm
from tests.wasm.test_counter import counted


def test_a_thread_reuses_its_instance() -> None:
    module = WasmModule.load(counter_wasm(), pooled=True)
    assert module.handler()._instance is module.handler()._instance
    fresh = WasmModule.load(counter_wasm())
    assert fresh.handler()._instance is not fresh.handler()._instance


def test_each_command_starts_from_a_reset_guest() -> None:
    store = InMemoryEventStore()
    executor = CommandExecutor(store)
    executor.register_factory(*load_wasm_handler(counter_wasm(), pooled=True))
    assert executor.execute("count", {"counter_id": "c1"}).outcome == "ok"
    assert executor.execute("count", {"counter_id": "c1"}).code == "already_counted"
    # The instance replayed c1's event last time; esr_init forgot it.
    assert executor.execute("count", {"counter_id": "c2"}).outcome == "ok"


def test_fuel_is_refilled_for_every_command() -> None:
    module = WasmModule.load(counter_wasm(), pooled=True)
    history = [counted(p) for p in range(1, 4)]
    first = module.handler()
    first.apply_all(history)
    first.handle({"counter_id": "c1"})
    spent = module.limits.fuel - first.fuel_left
    second = module.handler()
    assert second.fuel_left == module.limits.fuel
    second.apply_all(history)
    second.handle({"counter_id": "c1"})
    assert module.limits.fuel - second.fuel_left == spent


def test_a_faulted_instance_is_replaced() -> None:
    module = WasmModule.load(counter_wasm(), limits=WasmLimits(fuel=50), pooled=True)
    handler = module.handler()
    with pytest.raises(HandlerFault, match="out of fuel"):
        handler.apply_all([counted(p) for p in range(1, 50)])
    replacement = module.handler()
    assert replacement._instance is not handler._instance
    assert not replacement._instance.dead
    assert replacement.fuel_left == 50


def test_threads_have_their_own_instances() -> None:
    module = WasmModule.load(counter_wasm(), pooled=True)
    seen: list[object] = []
    threads = [
        threading.Thread(target=lambda: seen.append(module.handler()._instance)) for _ in range(3)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({id(instance) for instance in seen}) == 3
