from datetime import date, datetime

import pytest

from crawlers.dates import CHINA, parse_date


@pytest.mark.parametrize("text, expected", [
    ("2026-10-01T12:30:00+08:00", datetime(2026, 10, 1, 12, 30, tzinfo=CHINA)),
    ("2026-10-01 12:30", datetime(2026, 10, 1, 12, 30, tzinfo=CHINA)),
    ("2026/10/01 08:05:09", datetime(2026, 10, 1, 8, 5, 9, tzinfo=CHINA)),
    ("2026年10月1日", date(2026, 10, 1)),
    ("评价于 2026年10月1日 09:15", datetime(2026, 10, 1, 9, 15, tzinfo=CHINA)),
    ("2026-10-01", date(2026, 10, 1)),
    (1790000000, datetime.fromtimestamp(1790000000, CHINA)),
    ("1790000000000", datetime.fromtimestamp(1790000000, CHINA)),
    ("昨天", None), ("", None), (None, None), ("2026-13-40", None),
])
def test_parse_date(text, expected):
    assert parse_date(text) == expected
