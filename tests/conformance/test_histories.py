"""Every implementation of the example handlers passes the same given/when/then history."""

from __future__ import annotations

import pytest

from tests.conformance.cases import APPS, Case
from tests.conformance.implementations import LANGUAGES, scenario

CASES = [(app, case) for app, cases in APPS.items() for case in cases]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(("app", "case"), CASES, ids=[f"{a}: {c.name}" for a, c in CASES])
def test_the_case_holds(app: str, case: Case, language: str) -> None:
    outcome = scenario(app, language).given(*case.given).when(case.command, case.input)
    if case.rejected is not None:
        outcome.then_rejected(*case.rejected)
    else:
        outcome.then(*case.events)


def test_every_command_of_every_app_has_cases() -> None:
    from tests.conformance.implementations import COMMANDS

    for app, cases in APPS.items():
        assert {case.command for case in cases} == set(COMMANDS[app])
