"""Times in the SQL tables: integer microseconds since the Unix epoch, UTC (exact and portable)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

__all__ = ["from_micros", "now_micros", "to_micros"]

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def to_micros(moment: datetime) -> int:
    return (moment - EPOCH) // _MICROSECOND


def from_micros(micros: int) -> datetime:
    return EPOCH + timedelta(microseconds=micros)


def now_micros() -> int:
    return to_micros(datetime.now(UTC))
