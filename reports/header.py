"""The report's header facts: what the store holds and how the latest crawl run of each kind went."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from reports.period import Period
from store import Store
from store.reporting import StoreCounts


@dataclass(frozen=True)
class RunLine:
    kind: str
    platform: str | None
    status: str
    started_at: datetime
    ended_at: datetime | None
    pages: int | None
    items: str                     # "ProductItem 12, ReviewsPageItem 40"
    errors: int
    failed_platforms: list[str]


@dataclass(frozen=True)
class Header:
    store_path: str
    counts: StoreCounts
    runs: list[RunLine]


def header(store: Store, period: Period) -> Header:
    lines = []
    for run in store.latest_runs():
        stats = run.stats
        items = stats.get("items") if isinstance(stats.get("items"), dict) else {}
        platforms = stats.get("platforms") if isinstance(stats.get("platforms"), dict) else {}
        errors = sum(e.get("count", 1) if isinstance(e, dict) else 1 for e in run.errors)
        lines.append(RunLine(run.kind, run.platform, run.status, run.started_at, run.ended_at,
                             stats.get("pages") if isinstance(stats.get("pages"), int) else None,
                             ", ".join(f"{name} {count}" for name, count in items.items()), errors,
                             sorted(key for key, entry in platforms.items()
                                    if isinstance(entry, dict) and entry.get("failed"))))
    return Header(str(store.path), store.store_counts(since=period.start, until=period.end), lines)
