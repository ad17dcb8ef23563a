"""Review dates as Chinese shops print them, to timezone-aware datetimes (or plain dates when no time is shown)."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone, tzinfo

CHINA = timezone(timedelta(hours=8), "Asia/Shanghai")

_NUMERIC = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})日?"
                      r"(?:[\sT]*(\d{1,2}):(\d{2})(?::(\d{2}))?)?")


def parse_date(value: object, tz: tzinfo = CHINA) -> datetime | date | None:
    """ISO strings, "2026-10-01 12:30", "2026年10月1日", "2026/10/01" and Unix timestamps (seconds or ms).

    A time without a zone is local to the shop (`tz`, China by default); a date without a time stays a date,
    because inventing midnight would misplace the review by up to a day.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float) or (isinstance(value, str) and value.strip().isdigit()):
        seconds = float(value)
        if seconds > 1e11:  # milliseconds, as JavaScript APIs send them
            seconds /= 1000
        return datetime.fromtimestamp(seconds, tz) if seconds > 0 else None
    text = str(value).strip()
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        parsed = None
    if parsed is not None:
        if len(text) <= 10:
            return parsed.date()
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=tz)
    match = _NUMERIC.search(text)
    if match is None:
        return None
    year, month, day, hour, minute, second = match.groups()
    try:
        if hour is None:
            return date(int(year), int(month), int(day))
        return datetime(int(year), int(month), int(day), int(hour), int(minute), int(second or 0), tzinfo=tz)
    except ValueError:
        return None
