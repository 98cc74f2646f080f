"""The dead-letter API and the trigger options refuse malformed, oversized and hostile input
with clear errors, before doing any work."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from esruntime.backends.memory import (
    InMemoryConsumerStore,
    InMemoryEventStore,
    InMemoryScriptRepository,
)
from esruntime.consumers import Consumer, RetryPolicy
from esruntime.errors import (
    ConfigurationError,
    InvalidQueryError,
    ScriptNotFoundError,
    ScriptValidationError,
)
from esruntime.runtime import Runtime
from esruntime.scripts.service import ScriptService
from esruntime.triggers import EventTriggerOptions, SchedulerOptions
from tests.scripts.runners import PythonRunner


@pytest.fixture
def runtime() -> Iterator[Runtime]:
    with Runtime() as runtime:
        yield runtime


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"script_id": 7}, "script_id"),
        ({"script_id": "x" * 101}, "script_id"),
        ({"script_id": "a\x00b"}, "script_id"),
        ({"offset": -1}, "offset"),
        ({"offset": "0"}, "offset"),
        ({"offset": True}, "offset"),
        ({"offset": 10**12}, "offset"),
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"limit": 2.5}, "limit"),
        ({"limit": None}, "limit"),
    ],
)
def test_listing_dead_letters_names_the_bad_argument(
    runtime: Runtime, arguments: dict[str, Any], field: str
) -> None:
    with pytest.raises(ScriptValidationError) as caught:
        runtime.scripts.dead_letters(**arguments)
    assert set(caught.value.errors) == {field}


@pytest.mark.parametrize("tenant", ["", "a" * 300, "bad\ntenant", 7])
def test_a_bad_tenant_is_refused(runtime: Runtime, tenant: Any) -> None:
    with pytest.raises(ConfigurationError):
        runtime.scripts.dead_letters(tenant=tenant)


@pytest.mark.parametrize(
    "letter_id", [None, 7, "", "x" * 10_000, "../../etc", "a\x00b", "' OR 1=1 --", "\ud800"]
)
def test_retrying_or_discarding_an_unknown_or_malformed_id_finds_nothing(
    runtime: Runtime, letter_id: Any
) -> None:
    with pytest.raises(ScriptNotFoundError):
        runtime.scripts.retry_dead_letter(letter_id)
    with pytest.raises(ScriptNotFoundError):
        runtime.scripts.discard_dead_letter(letter_id)


def test_a_service_without_a_consumer_store_says_so() -> None:
    service = ScriptService(InMemoryScriptRepository(), PythonRunner())
    with pytest.raises(ConfigurationError, match="dead letters"):
        service.dead_letters()
    with pytest.raises(ConfigurationError, match="dead letters"):
        service.retry_dead_letter("x")


@pytest.mark.parametrize(
    "options",
    [
        {"retries": -1},
        {"retries": 101},
        {"retries": 2.0},
        {"retries": True},
        {"first_delay": -1},
        {"first_delay": 10**9},
        {"factor": "2"},
        {"factor": float("nan")},
    ],
)
def test_a_bad_retry_policy_is_refused(options: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=next(iter(options))):
        RetryPolicy(**options)


@pytest.mark.parametrize(
    "options",
    [
        {"lease_ttl": 0},
        {"lease_ttl": -5},
        {"lease_ttl": 10**6},
        {"refresh_interval": 0},
        {"refresh_interval": "1"},
        {"claim_jitter": -1},
        {"fallback_poll": True},
        {"fallback_poll": float("inf")},
    ],
)
def test_bad_trigger_options_are_refused(options: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=next(iter(options))):
        EventTriggerOptions(**options)


@pytest.mark.parametrize(
    "options",
    [{"lease_ttl": 0}, {"lease_ttl": 10**9}, {"claim_jitter": -1}, {"idle_timeout": 0}],
)
def test_a_consumer_refuses_bad_timings(options: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="must be"):
        Consumer(
            "c",
            InMemoryEventStore(),
            InMemoryConsumerStore(),
            lambda event: None,
            owner="me",
            **options,
        )


@pytest.mark.parametrize(
    ("name", "owner", "named"),
    [("", "me", "consumer"), ("c" * 201, "me", "consumer"), ("c", "a\x00b", "owner")],
)
def test_a_consumer_refuses_names_no_store_keeps(name: str, owner: str, named: str) -> None:
    with pytest.raises(InvalidQueryError, match=named):
        Consumer(
            name, InMemoryEventStore(), InMemoryConsumerStore(), lambda event: None, owner=owner
        )


@pytest.mark.parametrize(
    "options",
    [
        {"poll_interval": 0},
        {"poll_interval": "5"},
        {"lease_ttl": 0.5},
        {"lease_ttl": True},
        {"lease_ttl": 10**6},
        {"renew_interval": -1},
        {"max_workers": 0},
        {"max_workers": 2.0},
    ],
)
def test_bad_scheduler_options_are_refused(options: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=next(iter(options))):
        SchedulerOptions(**options)
