"""The one source of "now". Everything inside is UTC; tests pass a FixedClock to move time."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that only moves when told to."""

    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FixedClock needs an aware datetime")
        self._at = at.astimezone(UTC)

    def now(self) -> datetime:
        return self._at

    def advance(self, **delta: float) -> None:
        self._at += timedelta(**delta)


SYSTEM_CLOCK = SystemClock()


def epoch_seconds(at: datetime) -> int:
    return int(at.timestamp())


def epoch_millis(at: datetime) -> int:
    return int(at.timestamp() * 1000)


UTC_TEXT = "%Y-%m-%dT%H:%M:%SZ"


def utc_text(at: datetime) -> str:
    """A timestamp as the contract and the table write it: ISO 8601 UTC to the second, with Z."""
    return at.astimezone(UTC).strftime(UTC_TEXT)


def from_utc_text(text: str) -> datetime:
    """The inverse of utc_text (any ISO 8601 with an offset or Z is accepted)."""
    at = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if at.tzinfo is None:
        raise ValueError("a timestamp needs its offset")
    return at.astimezone(UTC)


def plus_years(day: date, years: int) -> date:
    """The same calendar day `years` later (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)
