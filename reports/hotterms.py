"""Hot-search trends over the report's period, per platform: the latest list compared with the first of the period.

A weekly report asks what changed over the week, so the comparison (nlp.trends, with thresholds.trends) is
between the period's first and last snapshots rather than between the last two crawls as the alerts do; the
sparkline shows the rank at every snapshot in between (a gap where the term was off the list).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from markupsafe import Markup

from config import Config
from i18n import N_, Message
from nlp import trends
from reports.charts import sparkline
from reports.period import Period
from store import Store

MAX_TERMS = 30
"""Rows per platform beyond which only terms with a signal are listed."""

# A signal is also the report's CSS class of its chip (its last word): the key stays English, its label is translated.
SIGNAL_LABELS: dict[str, Message] = {"new": N_("new entry"), "dropped": N_("dropped"), "jump up": N_("jump up"),
                                     "jump down": N_("jump down"), "heat surge": N_("heat surge")}


def signal_label(signal: str) -> str:
    """A signal as the operator reads it, in the current locale."""
    return str(SIGNAL_LABELS[signal])



@dataclass(frozen=True)
class TermLine:
    term: str
    rank_now: int | None          # None: fell off the list during the period
    rank_before: int | None       # None: entered the list during the period
    rank_change: int | None       # positive: climbed
    heat_now: float | None
    heat_growth_pct: float | None
    signals: list[str]            # "new", "dropped", "jump up", "jump down", "heat surge"
    sparkline: Markup


@dataclass(frozen=True)
class PlatformTrends:
    platform: str
    first_at: datetime
    latest_at: datetime
    snapshots: int
    terms: list[TermLine]          # the latest list by rank, then the terms that fell off
    hidden_terms: int


def hot_term_trends(store: Store, config: Config, period: Period) -> list[PlatformTrends]:
    """One entry per platform with at least one snapshot in the period."""
    limits = config.thresholds.trends
    result = []
    for platform in store.hot_term_platforms():
        snapshots = trends.snapshots_from_rows(store.hot_term_snapshots(platform, since=period.start,
                                                                        until=period.end))
        if not snapshots:
            continue
        first, latest = snapshots[0], snapshots[-1]
        ranks_by_snapshot = [{entry.term: entry.rank for entry in snapshot.terms} for snapshot in snapshots]
        if len(snapshots) == 1:
            lines = [TermLine(entry.term, entry.rank, None, None, entry.heat, None, [], Markup(""))
                     for entry in latest.terms]
        else:
            [report] = trends.trends([first, latest], rank_jump=limits.rank_jump,
                                     heat_growth_pct=limits.heat_growth_pct)
            lines = [_line(trend, [ranks.get(trend.term) for ranks in ranks_by_snapshot]) for trend in report.terms]
        shown = [line for index, line in enumerate(lines) if index < MAX_TERMS or line.signals]
        result.append(PlatformTrends(platform, first.observed_at, latest.observed_at, len(snapshots), shown,
                                     len(lines) - len(shown)))
    return result


def _line(trend: trends.TermTrend, ranks: list[int | None]) -> TermLine:
    signals = [name for name, on in (("new", trend.new), ("dropped", trend.dropped),
                                     (f"jump {trend.jump}", trend.jump), ("heat surge", trend.heat_surge)) if on]
    return TermLine(trend.term, trend.rank_now, trend.rank_before, trend.rank_change, trend.heat_now,
                    trend.heat_growth_pct, signals, sparkline(ranks, invert=True))
