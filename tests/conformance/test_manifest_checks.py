"""One set of checks wherever a handler enters: the same misspelt manifest, as a Python class
and as a C module built with the SDK, is refused with the same problems by registration in
code, by a Scenario, and by an upload."""

from __future__ import annotations

from pathlib import Path

import pytest

from esruntime.errors import HandlerRejectedError
from esruntime.handlers.checks import ManifestProblem
from esruntime.runtime import Runtime
from esruntime.testing import Scenario
from tests.commands.seats import SCHEMA, ReserveSeat
from tests.guests.toolchains import build_c

MISSPELT_SOURCE = Path(__file__).parent / "misspelt" / "reserve_seat.c"

EXPECTED = (
    ManifestProblem(
        "unknown_domain_id",
        "Handler binds input field 'seat' to 'seta', which no type it reads is tagged by "
        "(its reads are tagged by: show_id, seat)",
    ),
)


class Misspelt(ReserveSeat):
    """The C module's manifest, in Python."""

    input_domain_ids = {"show_id": "show_id", "seat": "seta", "seta": "seat"}


@pytest.fixture(scope="module")
def misspelt_wasm(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    (built,) = build_c([MISSPELT_SOURCE], tmp_path_factory.mktemp("misspelt"))
    return built.read_bytes()


def test_registration_in_code_refuses_it() -> None:
    with Runtime() as runtime:
        tenant = runtime.tenant()
        tenant.push_schema(SCHEMA)
        with pytest.raises(HandlerRejectedError) as refused:
            tenant.register(Misspelt)
    assert refused.value.problems == EXPECTED


def test_a_scenario_refuses_it_in_python_and_in_c(misspelt_wasm: bytes) -> None:
    for handler in (Misspelt, misspelt_wasm):
        with pytest.raises(HandlerRejectedError) as refused:
            Scenario(SCHEMA, [handler])
        assert refused.value.problems == EXPECTED


def test_an_upload_refuses_it(misspelt_wasm: bytes) -> None:
    with Runtime() as runtime:
        tenant = runtime.tenant()
        tenant.push_schema(SCHEMA)
        result = tenant.upload("reserve_seat", misspelt_wasm, "0.1.0")
    assert result.status == "rejected"
    assert result.errors == EXPECTED


def test_the_other_misspelling_alone_is_a_warning_naming_the_field() -> None:
    class InputOnly(ReserveSeat):
        input_domain_ids = {"show_id": "show_id", "seta": "seat"}

    scenario = Scenario(SCHEMA, [InputOnly])
    assert scenario.warnings["reserve_seat"] == [
        "Handler binds input field 'seta' to seat but declares no input schema to check it "
        "against: a command without 'seta' reads every event of the types it reads by seat"
    ]
