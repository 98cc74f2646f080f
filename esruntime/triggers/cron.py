"""Cron schedules of scheduled scripts: parsing, checking and the times they fire.

A :class:`CronSchedule` is a 5-field cron expression (minute hour day-of-month month
day-of-week) or an alias (``@hourly``, ``@daily``/``@midnight``, ``@weekly``, ``@monthly``,
``@yearly``/``@annually``) read in an IANA time zone. ``croniter`` does the calendar arithmetic
on wall-clock times; this module turns wall-clock times into instants, the way cron does across
daylight-saving changes (``docs/scripts.md``, "Scheduled scripts"):

- a wall-clock time that does not exist (the hour skipped in spring) fires once, at the end of
  the gap (02:30 on a Berlin spring-forward day fires at 03:00 CEST); several skipped times
  fire once together;
- a wall-clock time that happens twice (the hour repeated in autumn) fires once, at its first
  occurrence, unless the expression's hour field is ``*`` (``*/15 * * * *``, ``@hourly``): those
  follow the clock and fire in the repeated hour too, so the gap between runs stays regular.

Every instant this module returns is an aware UTC ``datetime``.
"""

from __future__ import annotations

import functools
import heapq
import re
import zoneinfo
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

from attrs import frozen
from croniter import CroniterBadDateError, croniter

__all__ = [
    "ALIASES",
    "MAX_EXPRESSION_LENGTH",
    "MAX_NEXT_RUNS",
    "Clock",
    "CronError",
    "CronSchedule",
    "check_timezone",
    "utc_now",
]

Clock = Callable[[], datetime]
"""Gives the current time as an aware ``datetime`` (tests pass their own)."""

ALIASES = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
"""The aliases a schedule may use and the expressions they stand for."""

MAX_EXPRESSION_LENGTH = 200
MAX_TIMEZONE_LENGTH = 64
MAX_NEXT_RUNS = 100
MAX_YEARS_BETWEEN_RUNS = 8
"""A schedule that fires less often than this (``0 0 31 2 *`` never does) is refused."""

_FIELDS = (
    ("minute", "0-59"),
    ("hour", "0-23"),
    ("day-of-month", "1-31"),
    ("month", "1-12 or JAN-DEC"),
    ("day-of-week", "0-7 or SUN-SAT"),
)
_CONTROL = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")


class CronError(ValueError):
    """A cron expression or a time zone that cannot be used; ``field`` names which of the two."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def utc_now() -> datetime:
    """The default :data:`Clock`: now, in UTC."""
    return datetime.now(UTC)


def check_timezone(name: object) -> zoneinfo.ZoneInfo:
    """The IANA time zone ``name``; :class:`CronError` (field ``timezone``) otherwise."""
    if not isinstance(name, str):
        raise CronError("timezone", f"must be a string, got {type(name).__name__}")
    text = name.strip()
    problem = f"{text[:MAX_TIMEZONE_LENGTH]!r} is not a known time zone (e.g. UTC, Europe/Paris)"
    if not text or len(text) > MAX_TIMEZONE_LENGTH or _CONTROL.search(text):
        raise CronError("timezone", problem)
    if text not in _known_timezones():
        raise CronError("timezone", problem)
    try:
        return zoneinfo.ZoneInfo(text)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        raise CronError("timezone", problem) from None


@functools.cache
def _known_timezones() -> frozenset[str]:
    """The IANA names on this system, without the files that name the host's own zone."""
    return frozenset(zoneinfo.available_timezones() | {"UTC"}) - {"localtime", "posixrules"}


def _check_expression(expression: object) -> str:
    """The expression with its alias expanded, or :class:`CronError` saying what is wrong."""
    if expression is None or (isinstance(expression, str) and not expression.strip()):
        raise CronError("cron_expression", "is required for a scheduled script")
    if not isinstance(expression, str):
        raise CronError("cron_expression", f"must be a string, got {type(expression).__name__}")
    text = " ".join(expression.split())
    if len(text) > MAX_EXPRESSION_LENGTH or _CONTROL.search(text):
        raise CronError(
            "cron_expression",
            f"must be at most {MAX_EXPRESSION_LENGTH} characters without control characters",
        )
    if text.startswith("@"):
        expanded = ALIASES.get(text.lower())
        if expanded is None:
            raise CronError(
                "cron_expression", f"{text[:40]!r} is not a cron alias ({', '.join(ALIASES)})"
            )
        return expanded
    fields = text.split(" ")
    if len(fields) != 5:
        raise CronError(
            "cron_expression",
            "must have 5 fields (minute hour day-of-month month day-of-week) or be an alias "
            f"such as @daily; got {len(fields)} field{'s' if len(fields) != 1 else ''}: "
            f"{text[:60]!r}",
        )
    if not croniter.is_valid(text):
        for index, (name, allowed) in enumerate(_FIELDS):
            alone = ["*"] * 5
            alone[index] = fields[index]
            if not croniter.is_valid(" ".join(alone)):
                raise CronError(
                    "cron_expression",
                    f"the {name} field {fields[index][:40]!r} is not valid (values {allowed}, "
                    "with *, lists a,b, ranges a-b and steps /n)",
                )
        raise CronError("cron_expression", f"{text[:60]!r} is not a valid cron expression")
    return text


@frozen
class CronSchedule:
    """A checked cron expression in a time zone; build one with :meth:`parse`."""

    expression: str
    """The expression as given (spaces normalized), alias or fields."""
    timezone: str
    fields: str
    """The 5 fields it stands for (an alias expanded)."""

    @classmethod
    def parse(cls, expression: object, timezone: object = "UTC") -> CronSchedule:
        """The schedule, or :class:`CronError` naming the field at fault and what is wrong
        (more than 5 fields, a field out of range, an unknown alias or time zone, a schedule
        that never fires)."""
        fields = _check_expression(expression)
        zone = check_timezone(timezone)
        assert isinstance(expression, str)
        schedule = cls(" ".join(expression.split()), zone.key, fields)
        try:
            schedule.next_after(utc_now())
        except CroniterBadDateError:
            raise CronError(
                "cron_expression",
                f"{schedule.expression[:60]!r} never fires (no such date within "
                f"{MAX_YEARS_BETWEEN_RUNS} years)",
            ) from None
        return schedule

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    @property
    def _follows_clock(self) -> bool:
        """True when the hour field is ``*``: such schedules fire in a repeated hour too."""
        return self.fields.split(" ")[1].startswith("*")

    def next_after(self, moment: datetime) -> datetime:
        """The first time the schedule fires strictly after ``moment`` (an aware datetime)."""
        return next(self._times_after(moment))

    def next_runs(self, count: int = 5, *, after: datetime | None = None) -> list[datetime]:
        """The next ``count`` (1 to 100) times the schedule fires after ``after`` (now)."""
        if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_NEXT_RUNS:
            raise ValueError(f"count must be an integer between 1 and {MAX_NEXT_RUNS}")
        times = self._times_after(utc_now() if after is None else after)
        return [next(times) for _ in range(count)]

    def _times_after(self, moment: datetime) -> Iterator[datetime]:
        """The instants after ``moment``, in order, from the wall-clock times croniter gives.

        Every wall-clock time maps to one or two instants (see the module docstring); instants
        of a repeated hour's second pass come after later wall-clock times' first pass, so they
        wait in a heap until no earlier instant can come.
        """
        if moment.tzinfo is None:
            raise ValueError("moment must be an aware datetime")
        zone = self.zone
        after = moment.astimezone(UTC)
        local = after.astimezone(zone).replace(tzinfo=None)
        window = timedelta(hours=3)
        if (after - window).astimezone(zone).utcoffset() != (after + window).astimezone(
            zone
        ).utcoffset():
            # Near an offset change, a wall-clock time before ``local`` may still fire after
            # ``after`` (its second pass); two hours back covers any zone's repeated hour.
            local -= timedelta(hours=2)
        walls = croniter(
            self.fields, local, max_years_between_matches=MAX_YEARS_BETWEEN_RUNS
        ).all_next(datetime)
        pending: list[datetime] = []
        last: datetime | None = None
        for wall in walls:
            first, second = _instants(wall, zone)
            while pending and pending[0] <= first:
                found = heapq.heappop(pending)
                if found > after and found != last:
                    last = found
                    yield found
            heapq.heappush(pending, first)
            if second is not None and self._follows_clock:
                heapq.heappush(pending, second)
        raise CroniterBadDateError("no more times")  # pragma: no cover - all_next is endless


def _instants(wall: datetime, zone: zoneinfo.ZoneInfo) -> tuple[datetime, datetime | None]:
    """The instant a wall-clock time fires at, and its second one when the hour repeats."""
    early = wall.replace(tzinfo=zone, fold=0)
    late = wall.replace(tzinfo=zone, fold=1)
    if early.utcoffset() == late.utcoffset():
        return early.astimezone(UTC), None
    early_utc, late_utc = early.astimezone(UTC), late.astimezone(UTC)
    if early_utc.astimezone(zone).replace(tzinfo=None) == wall:
        return early_utc, late_utc  # the wall-clock time happens twice
    # The time does not exist: it fires when the gap ends, the first instant on the new offset.
    low, high = min(early_utc, late_utc), max(early_utc, late_utc)
    offset = late.utcoffset()
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        if middle.astimezone(zone).utcoffset() == offset:
            high = middle
        else:
            low = middle
    # Offsets change on whole seconds: the change is the first whole second after ``low``.
    return low.replace(microsecond=0) + timedelta(seconds=1), None
