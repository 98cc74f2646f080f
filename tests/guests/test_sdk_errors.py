"""How a guest's own failures reach the caller: esr_fail / fail, and misuse of the SDK.

Both end the call in the guest's ``{"error": ...}``, which the host turns into a
``HandlerFault`` with code ``guest_error``: a fault (500), never a silent result.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from esruntime import InMemoryEventStore
from esruntime.commands import CommandExecutor
from esruntime.errors import HandlerFault
from esruntime.handlers import load_wasm_handler


@pytest.fixture(scope="module", params=["c", "assemblyscript"])
def probe(request: pytest.FixtureRequest, probe_wasm: Callable[[str], bytes]) -> CommandExecutor:
    executor = CommandExecutor(InMemoryEventStore())
    executor.register_factory(*load_wasm_handler(probe_wasm(str(request.param))))
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
