"""Timestamps as the store keeps them: ISO-8601 UTC text with an explicit offset and fixed precision.

A fixed format (always microseconds, always "+00:00") makes text order equal time order, so SQL can compare
and sort timestamps as strings and MIN/MAX work on them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import overload

from store.errors import InvalidRecordError

Clock = Callable[[], datetime]
"""Where a stage reads "now": a callable returning an aware datetime. The store stamps what it records with its
clock (`open_store(clock=...)`), and the stages after a crawl read theirs from the store they are given."""


def utc_now() -> datetime:
    """The current time, timezone-aware in UTC: the clock of everything but a simulation."""
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class ShiftedClock:
    """Real time moved by `offset`: it runs at real speed from wherever it was set, so the demo's store can live
    on the scenario's simulated days while the order and spacing of what one cycle records stay real."""

    offset: timedelta

    @classmethod
    def starting_at(cls, moment: datetime) -> ShiftedClock:
        """A clock that reads `moment` now."""
        return cls(moment - utc_now())

    def __call__(self) -> datetime:
        return utc_now() + self.offset


def offset_of(clock: Clock) -> timedelta:
    """How far `clock` is from real time now: what a child process needs to run on the same clock."""
    return clock() - utc_now()


def to_db_time(value: datetime, what: str = "timestamp") -> str:
    """Render an aware datetime as stored text; naive datetimes are refused since their zone is a guess."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidRecordError(f"{what} {value!r} has no timezone; pass a timezone-aware datetime")
    return value.astimezone(timezone.utc).isoformat(timespec="microseconds")


@overload
def from_db_time(text: str) -> datetime: ...


@overload
def from_db_time(text: None) -> None: ...


@overload
def from_db_time(text: str | None) -> datetime | None: ...


def from_db_time(text: str | None) -> datetime | None:
    """Parse stored text back into an aware datetime (None stays None)."""
    return None if text is None else datetime.fromisoformat(text)


def to_db_day_or_time(value: datetime | date, what: str) -> str:
    """Render a review's posting time: platforms often show only the day, which is kept as 'YYYY-MM-DD'."""
    if isinstance(value, datetime):
        return to_db_time(value, what)
    return value.isoformat()


def from_db_day_or_time(text: str | None) -> datetime | date | None:
    """Parse what `to_db_day_or_time` stored: a bare day comes back as a `date`."""
    if text is None:
        return None
    return date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)
