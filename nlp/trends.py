"""Hot-search trends from snapshots of a platform's hot-term list.

A crawl stores each platform's hot-search ranking as one snapshot (rank, term, heat, rising flag). Operators care
about what changed between crawls: terms that entered or fell off the list, terms that climbed or fell many
places, terms whose heat grew fast. This module turns snapshots into those facts with plain arithmetic; the
thresholds come from `thresholds.trends` in config.toml (rank_jump = 10, heat_growth_pct = 50).

Everything here is a pure function over frozen dataclasses; `snapshots_from_rows` adapts the store's
`HotTermRow`s (or anything with the same attributes).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

RANK_JUMP = 10
HEAT_GROWTH_PCT = 50.0


@dataclass(frozen=True)
class HotTerm:
    """One entry of a hot-search list. Heat and the platform's own rising flag are optional: not every site
    shows them."""

    rank: int
    term: str
    heat: float | None = None
    rising: bool | None = None


@dataclass(frozen=True)
class Snapshot:
    """A platform's hot-search list as observed at one moment."""

    platform: str
    observed_at: datetime
    terms: tuple[HotTerm, ...]


@dataclass(frozen=True)
class Point:
    """A term in one snapshot, for charts; rank and heat are None when the term was not on the list."""

    observed_at: datetime
    rank: int | None
    heat: float | None


@dataclass(frozen=True)
class TermTrend:
    """How one term moved between the previous and the latest snapshot of its platform.

    `rank_change` is positive when the term climbed (rank 12 -> 2 is +10). `heat_growth_pct` is None when
    either heat is unknown or the earlier heat is zero (growth from nothing has no percentage); a term whose
    heat rose from zero still counts as `heat_surge`.
    """

    platform: str
    term: str
    new: bool                               # on the latest list, not on the previous one
    dropped: bool                           # on the previous list, not on the latest one
    rank_before: int | None
    rank_now: int | None
    rank_change: int | None
    jump: Literal["up", "down"] | None      # |rank_change| >= the rank_jump threshold
    heat_before: float | None
    heat_now: float | None
    heat_growth_pct: float | None
    heat_surge: bool                        # heat grew by >= the heat_growth_pct threshold
    rising_flag: bool | None                # the platform's own "rising" mark in the latest snapshot
    first_seen: datetime
    last_seen: datetime
    series: tuple[Point, ...]

    @property
    def rising(self) -> bool:
        """Worth an operator's attention as a rising term: new, climbed far, or heating up fast."""
        return self.new or self.jump == "up" or self.heat_surge


@dataclass(frozen=True)
class TrendReport:
    """The trends of one platform's hot-search list between two snapshots."""

    platform: str
    previous_at: datetime
    latest_at: datetime
    terms: tuple[TermTrend, ...]            # latest list in rank order, then the dropped terms

    @property
    def new_entries(self) -> list[TermTrend]:
        return [t for t in self.terms if t.new]

    @property
    def dropped(self) -> list[TermTrend]:
        return [t for t in self.terms if t.dropped]

    @property
    def jumps(self) -> list[TermTrend]:
        return [t for t in self.terms if t.jump]

    @property
    def heat_surges(self) -> list[TermTrend]:
        return [t for t in self.terms if t.heat_surge]


class HotTermRowLike(Protocol):
    """What `snapshots_from_rows` reads: the store's HotTermRow fits."""

    platform: str
    observed_at: datetime
    rank: int
    term: str
    heat: float | None
    rising: bool | None


def snapshots_from_rows(rows: Iterable[HotTermRowLike]) -> list[Snapshot]:
    """Groups stored hot-term rows into snapshots (one per platform and observed_at), oldest first."""
    grouped: dict[tuple[str, datetime], list[HotTerm]] = {}
    for row in rows:
        grouped.setdefault((row.platform, row.observed_at), []).append(
            HotTerm(row.rank, row.term, row.heat, row.rising))
    return [Snapshot(platform, at, tuple(sorted(terms, key=lambda t: t.rank)))
            for (platform, at), terms in sorted(grouped.items(), key=lambda item: (item[0][1], item[0][0]))]


def trends(snapshots: Sequence[Snapshot], *, rank_jump: int = RANK_JUMP,
           heat_growth_pct: float = HEAT_GROWTH_PCT) -> list[TrendReport]:
    """One report per platform comparing its latest snapshot with the one before it; platforms with fewer than
    two snapshots have nothing to compare and get no report. Every term ever seen on the platform keeps its full
    series, so a chart can show a term that left and came back."""
    if rank_jump < 1:
        raise ValueError(f"rank_jump must be at least 1, got {rank_jump}")
    by_platform: dict[str, list[Snapshot]] = {}
    for snapshot in snapshots:
        by_platform.setdefault(snapshot.platform, []).append(snapshot)
    reports = []
    for platform in sorted(by_platform):
        ordered = sorted(by_platform[platform], key=lambda s: s.observed_at)
        if len(ordered) >= 2:
            reports.append(_platform_report(ordered, rank_jump, heat_growth_pct))
    return reports


def heat_growth(before: float | None, now: float | None) -> float | None:
    """Percentage growth of heat; None when either value is unknown or `before` is zero."""
    if before is None or now is None or before == 0:
        return None
    return (now - before) / before * 100.0


def related_terms(report: TrendReport, keyword: str, *,
                  words: Callable[[str], Iterable[str]] | None = None) -> list[TermTrend]:
    """Terms of the report that concern `keyword`: a term containing it or, with two characters or more,
    contained in it (超轻露营椅 or 露营椅 for 露营椅子); or, given a word splitter such as nlp.text.content_words,
    a term sharing a word of two or more characters with it (户外折叠椅 and 折叠椅子). Single characters are
    ignored: sharing 椅 says nothing."""
    keyword = keyword.strip().lower()
    keyword_words = _long_words(keyword, words)
    related = []
    for trend in report.terms:
        term = trend.term.lower()
        contained = bool(keyword) and (keyword in term or (len(term) >= 2 and term in keyword))
        if contained or keyword_words & _long_words(term, words):
            related.append(trend)
    return related


def rising_terms(reports: Iterable[TrendReport], keyword: str | None = None, *,
                 words: Callable[[str], Iterable[str]] | None = None) -> list[str]:
    """Distinct rising terms (new, jumped up or heating up) across platforms, still on the latest lists,
    best-ranked first; restricted to those related to `keyword` when given. This is what title suggestions
    consume."""
    candidates: list[TermTrend] = []
    for report in reports:
        pool = related_terms(report, keyword, words=words) if keyword else list(report.terms)
        candidates += [t for t in pool if t.rising and not t.dropped]
    seen: dict[str, None] = {}
    for trend in sorted(candidates, key=lambda t: (t.rank_now or 0, t.platform, t.term)):
        seen.setdefault(trend.term, None)
    return list(seen)


def _long_words(text: str, words: Callable[[str], Iterable[str]] | None) -> set[str]:
    return {w.lower() for w in words(text) if len(w) >= 2} if words else set()


def _platform_report(ordered: list[Snapshot], rank_jump: int, heat_growth_pct: float) -> TrendReport:
    previous, latest = ordered[-2], ordered[-1]
    lists = [(snapshot.observed_at, {t.term: t for t in snapshot.terms}) for snapshot in ordered]
    before, now = lists[-2][1], lists[-1][1]
    listed = [t.term for t in sorted(latest.terms, key=lambda t: t.rank)]
    gone = [t.term for t in sorted(previous.terms, key=lambda t: t.rank) if t.term not in now]
    terms = tuple(
        _term_trend(latest.platform, term, before.get(term), now.get(term), _series(lists, term),
                    rank_jump, heat_growth_pct)
        for term in listed + gone)
    return TrendReport(latest.platform, previous.observed_at, latest.observed_at, terms)


def _series(lists: list[tuple[datetime, dict[str, HotTerm]]], term: str) -> tuple[Point, ...]:
    points = []
    for observed_at, entries in lists:
        entry = entries.get(term)
        points.append(Point(observed_at, entry.rank if entry else None, entry.heat if entry else None))
    return tuple(points)


def _term_trend(platform: str, term: str, before: HotTerm | None, now: HotTerm | None, series: tuple[Point, ...],
                rank_jump: int, heat_growth_pct: float) -> TermTrend:
    rank_change = before.rank - now.rank if before and now else None
    jump: Literal["up", "down"] | None = None
    if rank_change is not None and abs(rank_change) >= rank_jump:
        jump = "up" if rank_change > 0 else "down"
    heat_before = before.heat if before else None
    heat_now = now.heat if now else None
    growth = heat_growth(heat_before, heat_now)
    from_zero = heat_before == 0 and heat_now is not None and heat_now > 0
    seen = [point for point in series if point.rank is not None]
    return TermTrend(
        platform=platform, term=term, new=before is None, dropped=now is None,
        rank_before=before.rank if before else None, rank_now=now.rank if now else None,
        rank_change=rank_change, jump=jump, heat_before=heat_before, heat_now=heat_now, heat_growth_pct=growth,
        heat_surge=from_zero or (growth is not None and growth >= heat_growth_pct),
        rising_flag=now.rising if now else None,
        first_seen=seen[0].observed_at, last_seen=seen[-1].observed_at, series=series,
    )
