"""The field rules of a script, each accepted and refused, every problem reported per field."""

from __future__ import annotations

from typing import Any

import pytest

from esruntime.scripts.models import MIB, ScriptLimits
from esruntime.scripts.validation import MAX_SOURCE_BYTES, check_cron, check_fields, check_limits


def fields(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"name": "nightly", "source": "return 1;", "type": "oneoff"}
    return base | changes


def problems(**changes: Any) -> dict[str, str]:
    return check_fields(fields(**changes))[1]


def test_a_minimal_script_is_valid_with_defaults() -> None:
    values, found = check_fields(fields())
    assert found == {}
    assert values["status"] == "draft"
    assert values["description"] == ""
    assert values["timezone"] == "UTC"
    assert values["limits"] == ScriptLimits()


def test_every_problem_is_reported_at_once() -> None:
    found = check_fields({"name": "x", "type": "cron", "status": "live", "limits": {"y": 1}})[1]
    assert set(found) == {"name", "source", "type", "status", "y"}


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        (None, "is required"),
        ("", "is required"),
        ("   ", "is required"),
        ("ab", "must be at least 3 characters, got 2"),
        ("a" * 101, "must be at most 100 characters, got 101"),
        ("bad\nname", "must not contain control characters"),
        (12345, "must be a string, got int"),
    ],
)
def test_names_are_3_to_100_characters(name: object, problem: str) -> None:
    assert problems(name=name) == {"name": problem}


def test_names_are_trimmed_and_the_bounds_are_inclusive() -> None:
    assert check_fields(fields(name="  abc  "))[0]["name"] == "abc"
    assert problems(name="a" * 100) == {}
    assert problems(name="Ünï") == {}


def test_descriptions_are_optional_and_at_most_500_characters() -> None:
    assert problems(description=None) == {}
    assert problems(description="x" * 500) == {}
    assert problems(description="line one\nline two") == {}
    assert problems(description="x" * 501) == {
        "description": "must be at most 500 characters, got 501"
    }


def test_the_source_is_required_and_at_most_100_kb() -> None:
    assert problems(source=None) == {"source": "is required"}
    assert problems(source=" \n ") == {"source": "is required"}
    assert problems(source=b"return 1;") == {"source": "must be a string, got bytes"}
    assert problems(source="x" * MAX_SOURCE_BYTES) == {}
    assert problems(source="x" * (MAX_SOURCE_BYTES + 1)) == {
        "source": "must be at most 102,400 bytes, got 102,401"
    }
    # the limit counts UTF-8 bytes, not characters
    assert "source" in problems(source="é" * (MAX_SOURCE_BYTES // 2 + 1))
    assert "source" in problems(source="return '\ud800';")
    assert "source" in problems(source="return 1;\x00")


@pytest.mark.parametrize("kind", ["scheduled", "http", "event", "oneoff", "embedded"])
def test_every_type_is_accepted_with_its_trigger_fields(kind: str) -> None:
    triggers: dict[str, dict[str, Any]] = {
        "scheduled": {"cron_expression": "*/5 * * * *"},
        "http": {"http_path": "/hooks/a", "http_methods": ["POST"]},
        "event": {"event_types": ["OpenedAccount"]},
    }
    trigger = triggers.get(kind, {})
    assert problems(type=kind, **trigger) == {}


def test_unknown_types_and_statuses_are_refused() -> None:
    assert problems(type="cron") == {
        "type": "'cron' is not a script type (scheduled, http, event, oneoff, embedded)"
    }
    assert problems(type=None)["type"].startswith("is required")
    assert problems(status="live") == {
        "status": "'live' is not a script status (draft, active, paused, disabled, archived)"
    }
    for status in ("draft", "active", "paused", "disabled", "archived"):
        assert problems(status=status) == {}


@pytest.mark.parametrize(
    "expression",
    ["* * * * *", "*/15 9-17 * * mon-fri", "0 0 1 1 *", "0 0 29 2 *", "@daily", "@HOURLY"],
)
def test_cron_expressions_with_five_fields_or_an_alias_are_valid(expression: str) -> None:
    assert check_cron(expression) is None
    assert problems(type="scheduled", cron_expression=expression) == {}


@pytest.mark.parametrize(
    ("expression", "problem"),
    [
        (None, "is required for a scheduled script"),
        ("", "is required for a scheduled script"),
        ("* * * *", "must have 5 fields"),
        ("* * * * * *", "must have 5 fields"),
        ("61 * * * *", "the minute field '61' is not valid (values 0-59"),
        ("* 24 * * *", "the hour field '24' is not valid"),
        ("0 0 31 2 *", "never fires"),
        ("@reboot", "is not a cron alias"),
        ("@every 5m", "is not a cron alias"),
        (5, "must be a string"),
        ("* * * * *\n", None),
        ("*" * 300, "at most 200 characters"),
    ],
)
def test_bad_cron_expressions_say_why(expression: object, problem: str | None) -> None:
    found = problems(type="scheduled", cron_expression=expression)
    if problem is None:
        assert found == {}
    else:
        assert problem in found["cron_expression"]


def test_time_zones_must_exist() -> None:
    assert problems(type="scheduled", cron_expression="@daily", timezone="Europe/Paris") == {}
    assert problems(timezone="Mars/Olympus") == {
        "timezone": "'Mars/Olympus' is not a known time zone (e.g. UTC, Europe/Paris)"
    }
    assert "timezone" in problems(timezone="../../etc/passwd")
    assert "timezone" in problems(timezone=3)


def test_http_scripts_need_a_path_starting_with_a_slash() -> None:
    http = {"type": "http", "http_methods": ["GET"]}
    assert problems(**http, http_path="/orders/{id}/paid") == {}
    assert problems(**http, http_path=None) == {"http_path": "is required for an http script"}
    assert problems(**http, http_path="orders") == {
        "http_path": "must start with '/', got 'orders'"
    }
    for hostile in ("/a b", "/a?x=1", "/a#top", "/a\x00", "//evil.example", "/a/../b", "/./a"):
        assert "http_path" in problems(**http, http_path=hostile), hostile
    assert "http_path" in problems(**http, http_path="/" + "a" * 500)


def test_http_scripts_need_valid_methods() -> None:
    http = {"type": "http", "http_path": "/x"}
    values, found = check_fields(fields(**http, http_methods=["post", "GET", "POST"]))
    assert found == {}
    assert values["http_methods"] == ("POST", "GET")
    assert check_fields(fields(**http, http_methods="GET, PUT"))[0]["http_methods"] == (
        "GET",
        "PUT",
    )
    assert problems(**http, http_methods=[]) == {
        "http_methods": "at least one method is required for an http script"
    }
    assert problems(**http, http_methods=["GET", "TRACE"]) == {
        "http_methods": "'TRACE' not allowed; use GET, POST, PUT, PATCH, DELETE"
    }
    assert problems(**http, http_methods=[1]) == {"http_methods": "must be a list of strings"}


def test_event_scripts_need_event_types() -> None:
    event = {"type": "event"}
    assert problems(**event, event_types=["OpenedAccount", "order.created"]) == {}
    assert problems(**event, event_types=[]) == {
        "event_types": "at least one event type is required for an event script"
    }
    assert problems(**event, event_types=None) == {
        "event_types": "at least one event type is required for an event script"
    }
    assert "event_types" in problems(**event, event_types=["has space"])
    assert "event_types" in problems(**event, event_types=["x" * 201])
    assert "event_types" in problems(**event, event_types=[f"t{n}" for n in range(51)])
    assert "event_types" in problems(**event, event_types={"a": 1})


def test_trigger_fields_of_other_types_are_dropped() -> None:
    values, found = check_fields(
        fields(
            type="oneoff",
            cron_expression="not even valid",
            http_path="no slash",
            http_methods=["TRACE"],
            event_types=["x y"],
        )
    )
    assert found == {}
    assert values["cron_expression"] is None
    assert values["http_path"] is None
    assert values["http_methods"] == ()
    assert values["event_types"] == ()


def test_unknown_fields_are_refused() -> None:
    assert check_fields(fields(owner="me"))[1] == {"owner": "is not a field of a script"}


def test_limits_default_and_accept_their_range_bounds() -> None:
    assert check_limits(None) == (ScriptLimits(), {})
    assert ScriptLimits().to_dict() == {
        "max_execution_time_ms": 30_000,
        "max_memory_bytes": 64 * MIB,
        "max_concurrent_runs": 5,
        "max_api_calls_per_minute": 60,
        "max_output_bytes": MIB,
        "max_http_requests_per_minute": 600,
    }
    low = {"max_execution_time_ms": 1000, "max_memory_bytes": MIB}
    high = {"max_execution_time_ms": 300_000, "max_memory_bytes": 512 * MIB}
    assert check_limits(low) == (ScriptLimits(1000, MIB), {})
    assert check_limits(high)[1] == {}
    assert check_limits(ScriptLimits(max_concurrent_runs=2))[0].max_concurrent_runs == 2


@pytest.mark.parametrize(
    ("limits", "problem"),
    [
        ({"max_execution_time_ms": 999}, "must be between 1,000 and 300,000, got 999"),
        ({"max_execution_time_ms": 300_001}, "must be between 1,000 and 300,000, got 300,001"),
        ({"max_memory_bytes": MIB - 1}, "must be between 1,048,576 and 536,870,912, got"),
        ({"max_memory_bytes": 512 * MIB + 1}, "must be between 1,048,576 and 536,870,912"),
        ({"max_concurrent_runs": 0}, "must be between 1 and 100, got 0"),
        ({"max_api_calls_per_minute": 0}, "must be between 1 and 10,000"),
        ({"max_output_bytes": 16 * MIB + 1}, "must be between 1,024 and 16,777,216"),
        ({"max_execution_time_ms": "30000"}, "must be an integer, got '30000'"),
        ({"max_execution_time_ms": 30000.0}, "must be an integer, got 30000.0"),
        ({"max_concurrent_runs": True}, "must be an integer, got True"),
    ],
)
def test_limits_out_of_range_are_refused(limits: dict[str, Any], problem: str) -> None:
    (name,) = limits
    found = problems(limits=limits)
    assert list(found) == [name]
    assert found[name].startswith(problem)


def test_limits_must_be_a_mapping_of_known_names() -> None:
    assert problems(limits=[1, 2]) == {"limits": "must be a mapping of limit names to integers"}
    assert problems(limits={"max_cpu": 1}) == {"max_cpu": "is not a script limit"}
