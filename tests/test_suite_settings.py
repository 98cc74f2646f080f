"""The suite's own settings: nothing in it depends on how fast a busy machine is."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st


def test_hypothesis_examples_have_no_deadline_and_slow_generation_is_no_failure() -> None:
    profile = settings.get_profile("esruntime")
    assert profile.deadline is None
    assert HealthCheck.too_slow in profile.suppress_health_check
    assert settings().deadline is None  # it is the one loaded


@settings(max_examples=5)
@given(st.integers())
def test_a_property_with_its_own_settings_inherits_the_profile(number: int) -> None:
    assert isinstance(number, int)
    assert settings().deadline is None
