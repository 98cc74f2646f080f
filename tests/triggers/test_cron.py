"""Cron schedule arithmetic: aliases, time zones, daylight-saving changes and bad input."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from esruntime.triggers.cron import ALIASES, CronError, CronSchedule, check_timezone


def local(times: list[datetime], zone: str) -> list[str]:
    return [t.astimezone(ZoneInfo(zone)).strftime("%m-%d %H:%M%z") for t in times]


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def test_times_are_utc_and_strictly_after_the_moment() -> None:
    schedule = CronSchedule.parse("*/15 * * * *")
    runs = schedule.next_runs(3, after=at("2026-05-01T10:15:00+00:00"))
    assert runs == [
        at("2026-05-01T10:30:00+00:00"),
        at("2026-05-01T10:45:00+00:00"),
        at("2026-05-01T11:00:00+00:00"),
    ]
    assert all(run.tzinfo is UTC for run in runs)


@pytest.mark.parametrize(
    ("alias", "first", "second"),
    [
        ("@hourly", "2026-05-01T11:00", "2026-05-01T12:00"),
        ("@daily", "2026-05-02T00:00", "2026-05-03T00:00"),
        ("@midnight", "2026-05-02T00:00", "2026-05-03T00:00"),
        ("@weekly", "2026-05-03T00:00", "2026-05-10T00:00"),
        ("@monthly", "2026-06-01T00:00", "2026-07-01T00:00"),
        ("@yearly", "2027-01-01T00:00", "2028-01-01T00:00"),
        ("@annually", "2027-01-01T00:00", "2028-01-01T00:00"),
        ("@DAILY", "2026-05-02T00:00", "2026-05-03T00:00"),
    ],
)
def test_aliases_fire_like_their_expressions(alias: str, first: str, second: str) -> None:
    zone = "Asia/Tokyo"
    schedule = CronSchedule.parse(alias, zone)
    runs = schedule.next_runs(2, after=at("2026-05-01T10:30:00+09:00"))
    assert [r.astimezone(ZoneInfo(zone)).replace(tzinfo=None) for r in runs] == [
        datetime.fromisoformat(first),
        datetime.fromisoformat(second),
    ]
    assert set(ALIASES) >= {alias.lower()}


def test_a_time_zone_moves_the_instants() -> None:
    after = at("2026-07-01T00:00:00+00:00")
    utc = CronSchedule.parse("0 9 * * *").next_after(after)
    paris = CronSchedule.parse("0 9 * * *", "Europe/Paris").next_after(after)
    kolkata = CronSchedule.parse("0 9 * * *", "Asia/Kolkata").next_after(after)
    assert utc == at("2026-07-01T09:00:00+00:00")
    assert paris == at("2026-07-01T07:00:00+00:00")
    assert kolkata == at("2026-07-01T03:30:00+00:00")


# Berlin: 2026-03-29 02:00 CET -> 03:00 CEST; 2026-10-25 03:00 CEST -> 02:00 CET.
# New York: 2026-03-08 02:00 EST -> 03:00 EDT; 2026-11-01 02:00 EDT -> 01:00 EST.
@pytest.mark.parametrize(
    ("zone", "expression", "after", "expected"),
    [
        # A skipped wall-clock time runs once, when the gap ends.
        (
            "Europe/Berlin",
            "30 2 * * *",
            "2026-03-28T12:00+01:00",
            ["03-29 03:00+0200", "03-30 02:30+0200", "03-31 02:30+0200"],
        ),
        (
            "America/New_York",
            "30 2 * * *",
            "2026-03-07T12:00-05:00",
            ["03-08 03:00-0400", "03-09 02:30-0400", "03-10 02:30-0400"],
        ),
        # Several skipped times run once together.
        (
            "Europe/Berlin",
            "0,15,30,45 2 * * *",
            "2026-03-29T00:00+01:00",
            ["03-29 03:00+0200", "03-30 02:00+0200", "03-30 02:15+0200"],
        ),
        # A repeated wall-clock time runs once, at its first occurrence.
        (
            "Europe/Berlin",
            "30 2 * * *",
            "2026-10-24T12:00+02:00",
            ["10-25 02:30+0200", "10-26 02:30+0100", "10-27 02:30+0100"],
        ),
        (
            "America/New_York",
            "30 1 * * *",
            "2026-10-31T12:00-04:00",
            ["11-01 01:30-0400", "11-02 01:30-0500", "11-03 01:30-0500"],
        ),
        # Hour-wildcard schedules follow the clock: an hour skipped has no runs...
        (
            "America/New_York",
            "0 * * * *",
            "2026-03-08T00:30-05:00",
            ["03-08 01:00-0500", "03-08 03:00-0400", "03-08 04:00-0400"],
        ),
        # ...and a repeated hour has its runs twice, one real hour apart.
        (
            "America/New_York",
            "0 * * * *",
            "2026-11-01T00:30-04:00",
            ["11-01 01:00-0400", "11-01 01:00-0500", "11-01 02:00-0500"],
        ),
        (
            "Europe/Berlin",
            "*/30 * * * *",
            "2026-10-25T01:50+02:00",
            [
                "10-25 02:00+0200",
                "10-25 02:30+0200",
                "10-25 02:00+0100",
                "10-25 02:30+0100",
                "10-25 03:00+0100",
            ],
        ),
    ],
)
def test_daylight_saving_changes_neither_lose_nor_double_a_run(
    zone: str, expression: str, after: str, expected: list[str]
) -> None:
    schedule = CronSchedule.parse(expression, zone)
    assert local(schedule.next_runs(len(expected), after=at(after)), zone) == expected


@pytest.mark.parametrize("zone", ["Europe/Berlin", "America/New_York", "Australia/Lord_Howe"])
@pytest.mark.parametrize("expression", ["30 2 * * *", "0 1 * * *", "0 */6 * * *", "@daily"])
def test_a_year_of_runs_is_strictly_increasing_with_one_per_fixed_day(
    zone: str, expression: str
) -> None:
    schedule = CronSchedule.parse(expression, zone)
    runs = schedule.next_runs(100, after=at("2026-03-01T00:00:00+00:00"))
    moment = runs[-1]
    while moment < at("2027-01-01T00:00:00+00:00"):
        more = schedule.next_runs(100, after=moment)
        runs += more
        moment = more[-1]
    assert all(a < b for a, b in itertools.pairwise(runs))
    if not schedule.fields.split()[1].startswith("*"):
        days = [r.astimezone(ZoneInfo(zone)).date() for r in runs]
        assert len(days) == len(set(days))  # a daily schedule runs once on every day
        assert len(days) == (days[-1] - days[0]).days + 1


def test_next_after_accepts_any_aware_moment_and_refuses_a_naive_one() -> None:
    schedule = CronSchedule.parse("0 12 * * *", "Europe/Paris")
    tokyo = datetime(2026, 1, 1, 21, 0, tzinfo=ZoneInfo("Asia/Tokyo"))  # 12:00 UTC
    assert schedule.next_after(tokyo) == at("2026-01-02T11:00:00+00:00")
    with pytest.raises(ValueError, match="aware"):
        schedule.next_after(datetime(2026, 1, 1))


def test_next_runs_counts_are_bounded() -> None:
    schedule = CronSchedule.parse("@hourly")
    assert len(schedule.next_runs(100, after=at("2026-01-01T00:00:00+00:00"))) == 100
    for count in (0, 101, -1, True, 2.0, "5"):
        with pytest.raises(ValueError, match="between 1 and 100"):
            schedule.next_runs(count, after=at("2026-01-01T00:00:00+00:00"))  # type: ignore[arg-type]


def test_a_schedule_every_few_years_is_fine_and_one_that_never_fires_is_refused() -> None:
    leap = CronSchedule.parse("0 0 29 2 *")
    assert leap.next_after(at("2026-01-01T00:00:00+00:00")) == at("2028-02-29T00:00:00+00:00")
    with pytest.raises(CronError, match="never fires"):
        CronSchedule.parse("0 0 30 2 *")


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        (None, "is required"),
        ("   ", "is required"),
        (42, "must be a string, got int"),
        (["* * * * *"], "must be a string, got list"),
        ("* * * *", "must have 5 fields"),
        ("* * * * * *", "must have 5 fields"),  # no seconds field
        ("0 0 * * * 2026", "must have 5 fields"),  # no year field
        ("60 * * * *", "the minute field '60' is not valid (values 0-59"),
        ("* 24 * * *", "the hour field '24' is not valid (values 0-23"),
        ("* * 0 * *", "the day-of-month field '0' is not valid (values 1-31"),
        ("* * * 13 *", "the month field '13' is not valid"),
        ("* * * * 8", "the day-of-week field '8' is not valid"),
        ("*/0 * * * *", "the minute field '*/0' is not valid"),
        ("1,,2 * * * *", "the minute field '1,,2' is not valid"),
        ("a b c d e", "the minute field 'a' is not valid"),
        ("H * * * *", "the minute field 'H' is not valid"),
        ("99999999999999999999 * * * *", "the minute field"),
        ("@reboot", "is not a cron alias"),
        ("@every 5m", "is not a cron alias"),
        ("* * * * *\x00", "without control characters"),
        ("* " * 150, "at most 200 characters"),
    ],
)
def test_bad_expressions_say_what_is_wrong(expression: object, message: str) -> None:
    with pytest.raises(CronError) as raised:
        CronSchedule.parse(expression)
    assert raised.value.field == "cron_expression"
    assert message in raised.value.message


@pytest.mark.parametrize(
    "zone",
    [
        "Mars/Olympus",
        "",
        "../../etc/passwd",
        "/etc/localtime",
        "localtime",
        "UTC\x00",
        "Europe/" + "x" * 100,
        "posixrules",
        5,
        None,
    ],
)
def test_unknown_time_zones_are_refused(zone: object) -> None:
    with pytest.raises(CronError) as raised:
        CronSchedule.parse("@daily", zone)
    assert raised.value.field == "timezone"
    assert "time zone" in raised.value.message or "must be a string" in raised.value.message


def test_time_zone_names_are_trimmed_and_kept() -> None:
    assert check_timezone(" America/Sao_Paulo ").key == "America/Sao_Paulo"
    assert CronSchedule.parse(" 0  9 * * 1-5 ", "UTC").expression == "0 9 * * 1-5"


@given(st.text(max_size=80))
def test_any_text_is_a_schedule_or_a_cron_error(text: str) -> None:
    problem: CronError | None = None
    try:
        schedule = CronSchedule.parse(text, "Europe/Berlin")
    except CronError as exc:
        problem = exc
    if problem is not None:
        assert problem.field == "cron_expression"
        assert problem.message
    else:
        first = schedule.next_after(at("2026-01-01T00:00:00+00:00"))
        assert first > at("2026-01-01T00:00:00+00:00")


@given(
    st.lists(
        st.sampled_from(["*", "*/5", "0", "1-5", "MON", "JAN", "7", "L", "15", "0,30"]),
        min_size=5,
        max_size=5,
    ),
    st.sampled_from(["UTC", "Europe/Berlin", "America/New_York", "Australia/Adelaide"]),
    st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
    ),
)
def test_generated_schedules_give_increasing_times(
    fields: list[str], zone: str, after: datetime
) -> None:
    try:
        schedule = CronSchedule.parse(" ".join(fields), zone)
    except CronError:
        return
    runs = schedule.next_runs(5, after=after)
    assert runs[0] > after
    assert all(a < b for a, b in itertools.pairwise(runs))
    assert all(b - a <= timedelta(days=366 * 8) for a, b in itertools.pairwise(runs))
