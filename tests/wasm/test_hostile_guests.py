"""Hostile and broken guests: each ends in a precise fault, and the executor keeps serving.

Every guest here is the well-behaved counter (tests/wasm/modules.py) with one part replaced.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from esruntime import InMemoryEventStore
from esruntime.commands import CommandExecutor
from esruntime.encoding import json_depth
from esruntime.errors import HandlerFault
from esruntime.handlers import WasmLimits, load_wasm_handler
from esruntime.handlers.wasm import NO_NAMES
from tests.wasm.modules import (
    BAD_FRAME,
    REJECTED,
    STRINGS,
    counter_wasm,
    handle_body,
    nested,
    returning,
    returning_long,
    without_names,
)

SERVED = iter(range(1_000_000))


def fault_of(
    executor: CommandExecutor, *, limits: WasmLimits | None = None, **options: Any
) -> HandlerFault:
    """Register a hostile module as ``hostile``, run it, and check that the executor still
    serves the well-behaved counter afterwards (and that the hostile one faults again)."""
    executor.register_factory(*load_wasm_handler(counter_wasm("hostile", **options), limits=limits))
    with pytest.raises(HandlerFault) as first:
        executor.execute("hostile", {"counter_id": "h1"})
    served = executor.execute("count", {"counter_id": f"after-{next(SERVED)}"})
    assert served.outcome == "ok"
    with pytest.raises(HandlerFault) as second:
        executor.execute("hostile", {"counter_id": "h1"})
    assert second.value.code == first.value.code
    return first.value


def test_an_endless_loop_runs_out_of_fuel(executor: CommandExecutor) -> None:
    fault = fault_of(
        executor,
        limits=WasmLimits(fuel=1_000_000),
        **handle_body("(loop $forever (br $forever)) (unreachable)"),
    )
    assert fault.code == "out_of_fuel"
    assert "esr_handle" in str(fault)
    assert "1,000,000" in str(fault)


def test_a_memory_bomb_is_held_to_the_memory_limit(executor: CommandExecutor) -> None:
    """The guest grows by 64 MiB a hundred times, ignoring failure, then writes at 100 MiB:
    with the limit enforced that write is out of bounds, without it the guest would succeed."""
    body = f"""
    (local $i i32)
    (loop $grow
      (drop (memory.grow (i32.const 1024)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $grow (i32.lt_u (local.get $i) (i32.const 100))))
    (i32.store (i32.const 104857600) (i32.const 1))
    (call $buffer (i32.const {STRINGS["rejected"]}) (i32.const {len(REJECTED)}))"""
    fault = fault_of(executor, limits=WasmLimits(memory=8 * 1024 * 1024), **handle_body(body))
    assert fault.code == "trap"
    assert "memory_out_of_bounds" in str(fault)


def test_a_result_pointer_outside_memory_is_an_abi_violation(executor: CommandExecutor) -> None:
    body = "(call $buffer (i32.const 0xFFFF0000) (i32.const 10))"
    fault = fault_of(executor, **handle_body(body))
    assert fault.code == "abi_violation"
    assert "outside the 131,072-byte memory" in str(fault)


def test_a_result_longer_than_the_limit_is_refused_before_reading(
    executor: CommandExecutor,
) -> None:
    body = "(call $buffer (i32.const 0) (i32.const 100000000))"
    fault = fault_of(executor, **handle_body(body))
    assert fault.code == "abi_violation"
    assert "100,000,000-byte result; the limit is 1,048,576" in str(fault)


def test_a_result_that_is_not_utf8_is_an_abi_violation(executor: CommandExecutor) -> None:
    fault = fault_of(executor, **returning(b'{"ok":[\xff\xfe]}'))
    assert fault.code == "abi_violation"
    assert "invalid UTF-8" in str(fault)


def test_a_result_that_is_not_json_is_an_abi_violation(executor: CommandExecutor) -> None:
    fault = fault_of(executor, **returning('{"ok":['))
    assert fault.code == "abi_violation"
    assert "invalid JSON" in str(fault)


@pytest.mark.parametrize(
    ("result", "problem"),
    [
        ('{"ok":{}}', "'ok' must be a list"),
        ('{"yes":[]}', "not {'ok': ...} or {'rejected': ...}"),
        ('{"ok":[],"rejected":{"code":"x"}}', "not {'ok': ...}"),
        ('{"ok":[{"data":{}}]}', "ok[0] must be an object with a string 'type'"),
        ('{"ok":[{"type":"Counted"}]}', "ok[0] (Counted) has no 'data'"),
        ('{"rejected":{"message":"no code"}}', "string 'code'"),
    ],
)
def test_a_malformed_result_is_an_abi_violation(
    executor: CommandExecutor, result: str, problem: str
) -> None:
    fault = fault_of(executor, **returning(result))
    assert fault.code == "abi_violation"
    assert problem in str(fault)


def test_deep_recursion_overflows_the_stack(executor: CommandExecutor) -> None:
    deep = """
  (func $deep (param $n i32) (result i32)
    (i32.add (call $deep (i32.add (local.get $n) (i32.const 1))) (i32.const 1)))"""
    fault = fault_of(
        executor, **handle_body("(drop (call $deep (i32.const 0))) (i64.const 0)", extra=deep)
    )
    assert fault.code == "trap"
    assert "stack_overflow" in str(fault)
    assert re.search(r"trapped \(stack_overflow\) in deep \(\d+ frames\)", str(fault))


def test_unreachable_while_applying_is_a_trap(executor: CommandExecutor) -> None:
    executor.execute("count", {"counter_id": "h1"})  # so that the hostile guest gets a frame
    apply = '(func (export "esr_apply") (param i32 i32) (result i64) (unreachable))'
    fault = fault_of(executor, esr_apply=apply)
    assert fault.code == "trap"
    assert "esr_apply trapped (unreachable)" in str(fault)


_NAMED_TRAP = {
    **handle_body(
        "(call $check_input) (i64.const 0)",
        extra="""
  (func $fail_deep (unreachable))
  (func $check_input (call $fail_deep))""",
    )
}


def test_a_trap_names_the_functions_on_the_guest_stack(executor: CommandExecutor) -> None:
    fault = fault_of(executor, **_NAMED_TRAP)
    assert fault.code == "trap"
    # esr_handle itself has no $name in the text: its number stands in for it
    assert str(fault).startswith(
        "esr_handle trapped (unreachable) in fail_deep <- check_input <- function "
    )
    assert "backtrace" not in str(fault)
    assert NO_NAMES not in str(fault)


def test_a_trap_in_a_module_without_names_says_how_to_get_them(
    executor: CommandExecutor,
) -> None:
    hostile = without_names(counter_wasm("hostile", **_NAMED_TRAP))
    executor.register_factory(*load_wasm_handler(hostile))
    with pytest.raises(HandlerFault) as raised:
        executor.execute("hostile", {"counter_id": "h1"})
    message = str(raised.value)
    assert raised.value.code == "trap"
    assert message.startswith("esr_handle trapped (unreachable) in function ")
    assert " <- function " in message
    assert "fail_deep" not in message
    assert message.endswith(f"; {NO_NAMES}")


def test_alloc_returning_zero_is_an_abi_violation(executor: CommandExecutor) -> None:
    alloc = '(func $alloc (export "esr_alloc") (param i32) (result i32) (i32.const 0))'
    fault = fault_of(executor, esr_alloc=alloc)
    assert fault.code == "abi_violation"
    assert "esr_alloc(19) returned 0 (for esr_validate's input)" in str(fault)


def test_an_error_from_init_is_a_guest_error(executor: CommandExecutor) -> None:
    init = f"""
  (func (export "esr_init") (result i64)
    (call $buffer (i32.const {STRINGS["bad"]}) (i32.const {len(BAD_FRAME)})))"""
    fault = fault_of(executor, esr_init=init)
    assert fault.code == "guest_error"
    assert '"bad_frame"' in str(fault)


def test_an_undeclared_event_type_is_refused_by_the_executor(
    executor: CommandExecutor, store: InMemoryEventStore
) -> None:
    fault = fault_of(executor, **returning('{"ok":[{"type":"Surprise","data":{}}]}'))
    assert fault.code == "undeclared_event"
    assert "'Surprise'" in str(fault)
    assert [event.type for event in store.read()] == ["Counted"]  # only the counter appended


def test_input_nested_beyond_the_encoder_is_a_clean_rejection(executor: CommandExecutor) -> None:
    deep: list[object] = []
    for _ in range(100_000):
        deep = [deep]
    for key in (None, "deep-key"):
        result = executor.execute("count", {"counter_id": "c1", "extra": deep}, idempotency_key=key)
        assert (result.outcome, result.code) == ("rejected", "invalid_input")
        assert "nests too deeply" in (result.message or "")
    assert executor.execute("count", {"counter_id": "c1"}).outcome == "ok"


@pytest.mark.parametrize(
    "result",
    [
        '{"ok":[{"type":"Counted","data":{"deep":' + nested(100_000) + "}}]}",
        '{"error":' + nested(100_000) + "}",
        '{"ok":[{"type":"Counted","data":{"deep":' + nested(500) + "}}]}",
    ],
    ids=["events nested 100,000 deep", "an error nested 100,000 deep", "events nested 500 deep"],
)
def test_a_result_nested_beyond_the_depth_limit_is_an_abi_violation(
    executor: CommandExecutor, result: str
) -> None:
    fault = fault_of(executor, **returning_long(result))
    assert fault.code == "abi_violation"
    assert "esr_handle returned JSON nested deeper than 128 levels" in str(fault)


def test_a_result_at_the_depth_limit_is_read(
    executor: CommandExecutor, store: InMemoryEventStore
) -> None:
    # 128 levels: the result object, the ok list, the event, its data, then 124 arrays.
    result = '{"ok":[{"type":"Counted","data":{"deep":' + nested(124) + "}}]}"
    executor.register_factory(*load_wasm_handler(counter_wasm("deep", **returning_long(result))))
    assert executor.execute("deep", {"counter_id": "d1"}).outcome == "ok"
    assert json_depth(store.read().events[-1].data) == 125
    limits = WasmLimits(depth=127)
    executor.register_factory(
        *load_wasm_handler(counter_wasm("deep", **returning_long(result)), limits=limits)
    )
    with pytest.raises(HandlerFault, match="nested deeper than 127 levels"):
        executor.execute("deep", {"counter_id": "d1"})
