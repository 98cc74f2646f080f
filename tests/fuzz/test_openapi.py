"""Schemathesis against the FastAPI adapter's OpenAPI document: generated requests (valid and
invalid) to every route never produce a 500 and every response matches the document."""

from __future__ import annotations

import warnings
from typing import Any

import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.specs.openapi.checks import positive_data_acceptance

from esruntime.contrib.fastapi import create_app
from tests.wasm.modules import counter_wasm
from tests.web.apps import bank_runtime

COUNTER = counter_wasm()
# Uploads: a real module, one cut short, one with a flipped byte, and arbitrary bytes.
schemathesis.openapi.media_type(
    "application/wasm",
    st.one_of(
        st.just(COUNTER),
        st.integers(0, len(COUNTER) - 1).map(lambda n: COUNTER[:n]),
        st.integers(8, len(COUNTER) - 1).map(
            lambda n: COUNTER[:n] + bytes([COUNTER[n] ^ 0xFF]) + COUNTER[n + 1 :]
        ),
        st.binary(max_size=256),
    ),
)

runtime, keys = bank_runtime()
app = create_app(runtime)
schema = schemathesis.openapi.from_asgi("/openapi.json", app)
AUTH = {"Authorization": f"Bearer {keys['acme']}"}

# Bodies whose validity the document cannot express: ESDL text that must parse, module bytes
# that must be a handler, command input that the handler itself checks, script fields. A 400
# for a body of the right type is a correct answer there; every other check still applies.
CHECKED_BY_CONTENT = {
    ("PUT", "/v1/schema"),
    ("POST", "/v1/schema/validate"),
    ("PUT", "/v1/handlers/{command_name}"),
    ("PUT", "/v1/handlers/{command_name}/current"),
    ("POST", "/v1/commands/{command_name}"),
    # Script fields: cron expressions, time zones, HTTP paths and the type's own fields.
    ("POST", "/v1/scripts"),
    ("PUT", "/v1/scripts/{script_id}"),
    # A script's input, as a command's, must be storable (no U+0000, no unpaired surrogate).
    ("POST", "/v1/scripts/{script_id}/execute"),
}


@schema.parametrize()
@settings(max_examples=25, suppress_health_check=list(HealthCheck), database=None)
def test_the_api_honours_its_document(case: schemathesis.Case[Any]) -> None:
    if case.path_parameters and case.path_parameters.get("command_name") == "crashing":
        # The test bank's deliberately crashing handler: its 500 is the point of it.
        case.path_parameters["command_name"] = "deposit"
    excluded: list[Any] = (
        [positive_data_acceptance] if (case.method, case.path) in CHECKED_BY_CONTENT else []
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        case.call_and_validate(headers=AUTH, excluded_checks=excluded)
