"""The stretch of time a report covers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Period:
    """The `days` days up to `end` (both ends included)."""

    start: datetime
    end: datetime
    days: int

    @classmethod
    def ending(cls, end: datetime, days: int) -> Period:
        if days < 1:
            raise ValueError(f"a report covers at least one day, got days={days}")
        if end.utcoffset() is None:
            raise ValueError(f"the end of a report's period needs a timezone, got {end!r}")
        return cls(end - timedelta(days=days), end, days)

    def covers(self, moment: datetime) -> bool:
        return self.start <= moment <= self.end
