"""``esruntime serve --handler`` checks each handler as an upload is, against the default
tenant's schema, and refuses to start with the upload's words when one does not fit."""

from __future__ import annotations

from pathlib import Path

from esruntime.runtime import Runtime
from tests.cli.processes import run
from tests.commands.seats import SCHEMA


def test_a_handler_that_does_not_fit_the_schema_stops_the_start(tmp_path: Path) -> None:
    with Runtime.from_url(f"sqlite:///{tmp_path}/esruntime.db") as runtime:
        runtime.tenant().push_schema(SCHEMA)
    refused = run(
        "serve", "--port", "0", "--handler", "tests.commands.seats:HoldSeat", cwd=tmp_path
    )
    assert refused.returncode == 2
    assert refused.stderr == (
        "esruntime: --handler HoldSeat: handler 'hold_seat' is refused: Handler emits "
        "'SeatHeld' which is not in the schema [unknown_event_type]\n"
    )
