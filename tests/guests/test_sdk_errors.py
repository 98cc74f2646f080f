"""How a guest's own failures reach the caller: esr_fail / fail, and misuse of the SDK.

Both end the call in the guest's ``{"error": ...}``, which the host turns into a
``HandlerFault`` with code ``guest_error``: a fault (500), never a silent result.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from esruntime import InMemoryEventStore
from esruntime.commands import CommandExecutor
from esruntime.errors import HandlerFault
from esruntime.handlers import load_wasm_handler
from esruntime.handlers.wasm import NO_NAMES
from tests.guests.toolchains import build_assemblyscript


@pytest.fixture(scope="module", params=["c", "assemblyscript"])
def probe_language(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def probe(probe_language: str, probe_wasm: Callable[[str], bytes]) -> CommandExecutor:
    executor = CommandExecutor(InMemoryEventStore())
    executor.register_factory(*load_wasm_handler(probe_wasm(probe_language)))
    return executor


def test_a_handler_that_gives_up_is_a_fault_with_its_own_words(probe: CommandExecutor) -> None:
    with pytest.raises(HandlerFault) as raised:
        probe.execute("numbers", {"fail": True})
    assert raised.value.code == "guest_error"
    assert "asked_to_fail" in str(raised.value)
    assert "failing as asked (7)" in str(raised.value)


def test_writing_a_field_before_emitting_is_reported_not_ignored(probe: CommandExecutor) -> None:
    with pytest.raises(HandlerFault) as raised:
        probe.execute("numbers", {"misuse": True, "numbers": [1]})
    assert raised.value.code == "guest_error"
    assert "sdk_misuse" in str(raised.value)
    assert "before" in str(raised.value)


def test_the_probe_works_when_used_well(probe: CommandExecutor) -> None:
    assert probe.execute("numbers", {"numbers": [1.5]}).outcome == "ok"


def test_a_trap_names_the_functions_it_went_through_or_says_they_are_unnamed(
    probe: CommandExecutor, probe_language: str
) -> None:
    """The C build keeps the name section; the optimized AssemblyScript build drops it, and
    the fault then says how to get names instead of an empty backtrace."""
    with pytest.raises(HandlerFault) as raised:
        probe.execute("numbers", {"trap": True})
    message = str(raised.value)
    assert raised.value.code == "trap"
    assert message.startswith("esr_handle trapped (unreachable) in ")
    assert "backtrace" not in message
    if probe_language == "c":
        assert " in trap_deliberately <- handle <- " in message
        assert NO_NAMES not in message
    else:
        assert "function " in message
        assert message.endswith(f"; {NO_NAMES}")


@pytest.mark.slow  # binaryen optimises the module for seconds
def test_an_assemblyscript_build_with_names_names_the_functions_of_a_trap(tmp_path: Path) -> None:
    [wasm] = build_assemblyscript([Path(__file__).with_name("numbers.ts")], tmp_path, names=True)
    executor = CommandExecutor(InMemoryEventStore())
    executor.register_factory(*load_wasm_handler(wasm.read_bytes()))
    with pytest.raises(HandlerFault) as raised:
        executor.execute("numbers", {"trap": True})
    message = str(raised.value)
    assert message.startswith("esr_handle trapped (unreachable) in ")
    assert message.endswith("/assembly/abi/esr_handle")  # names carry their source path
    assert NO_NAMES not in message
