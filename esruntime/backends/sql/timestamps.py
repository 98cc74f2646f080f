"""Times in the SQL tables: integer microseconds since the Unix epoch, UTC (exact and portable)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

__all__ = ["from_micros", "now_micros", "to_micros"]

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def to_micros(moment: datetime) -> int:
    return (moment - EPOCH) // _MICROSECOND


_fromtimestamp = datetime.fromtimestamp
_FLOAT_EXACT = 4_000_000_000_000_000
"""Below this (the year 2096) ``micros / 1e6`` is within 0.25 µs of the exact time, so that
``datetime.fromtimestamp`` rounds it back to the exact microsecond."""


def from_micros(micros: int) -> datetime:
    """The UTC time ``micros`` microseconds after the epoch (by a float where that is exact:
    twice as fast, on the read path of every event)."""
    if 0 <= micros < _FLOAT_EXACT:
        return _fromtimestamp(micros / 1e6, UTC)
    return EPOCH + timedelta(microseconds=micros)


def now_micros() -> int:
    """Microseconds since the epoch now: what ``to_micros(datetime.now(UTC))`` gives (the same
    clock, rounded down), without building a datetime on every append."""
    return time.time_ns() // 1000
