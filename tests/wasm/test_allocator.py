"""The engine's instance allocator, chosen per process from ESRUNTIME_WASM_INSTANCES: a pool of
slots by default, the on-demand allocator with 0 or when the slots cannot be reserved."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from esruntime.errors import InvalidWasmModuleError
from esruntime.handlers import allocator, load_wasm_handler, wasm
from tests.wasm.modules import counter_wasm

ROOT = Path(__file__).resolve().parents[2]
NOT_FOUND = ["rejected", "account_not_found"]


def probe(alive: int, instances: str | None, *, address_space: int | None = None) -> Any:
    env = {k: v for k, v in os.environ.items() if k != allocator.INSTANCES_VARIABLE}
    if instances is not None:
        env[allocator.INSTANCES_VARIABLE] = instances

    def limit() -> None:
        if address_space is not None:
            resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))

    done = subprocess.run(
        [sys.executable, "-m", "tests.wasm.allocator_probe", str(alive)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        preexec_fn=limit,
        check=True,
    )
    return json.loads(done.stdout), done.stderr


def test_this_process_uses_the_pool_the_environment_asks_for() -> None:
    wasm.wasm_engine()
    assert wasm.engine_pool == allocator.pool_size()


def test_a_full_pool_refuses_an_instance_plainly_and_serves_again_once_one_is_free() -> None:
    report, _ = probe(alive=5, instances="3")
    assert report["pool"] == 3
    assert report["made"] == 3
    assert report["refused"]["code"] == "trap"
    assert "every one of the 3 instance slots is in use" in report["refused"]["message"]
    assert "ESRUNTIME_WASM_INSTANCES" in report["refused"]["message"]
    assert report["after"] == NOT_FOUND


def test_zero_selects_the_on_demand_allocator() -> None:
    report, _ = probe(alive=20, instances="0")
    assert report == {"pool": 0, "made": 20, "after": NOT_FOUND}


def test_without_room_for_the_slots_instances_are_allocated_one_by_one() -> None:
    # 10,000 slots need ~40 TiB of address space; one instance needs ~4 GiB.
    report, log = probe(alive=2, instances=None, address_space=64 << 30)
    assert report == {"pool": 0, "made": 2, "after": NOT_FOUND}
    assert "cannot reserve 10000 WebAssembly instance slots" in log


@pytest.mark.parametrize("value", ["lots", "-1", "1.5"])
def test_a_malformed_pool_size_is_a_configuration_error(value: str) -> None:
    report, _ = probe(alive=1, instances=value)
    assert report["error"].startswith("ConfigurationError: ESRUNTIME_WASM_INSTANCES must be")
    assert repr(value) in report["error"]


def test_under_the_pool_a_module_beyond_a_slot_is_refused_when_it_loads() -> None:
    wasm.wasm_engine()
    if not wasm.engine_pool:
        pytest.skip("this process runs the on-demand allocator (ESRUNTIME_WASM_INSTANCES=0)")
    largest = allocator.TABLE_ELEMENTS
    _, factory = load_wasm_handler(counter_wasm(extra=f"(table {largest} funcref)"))
    factory()
    with pytest.raises(InvalidWasmModuleError, match="pooling allocator"):
        load_wasm_handler(counter_wasm(extra=f"(table {largest + 1} funcref)"))
    many_globals = "".join(f"(global $g{n} (mut i64) (i64.const 0))" for n in range(300_000))
    with pytest.raises(InvalidWasmModuleError, match="instance size"):
        load_wasm_handler(counter_wasm(extra=many_globals))
