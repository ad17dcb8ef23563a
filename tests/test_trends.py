"""Hot-term trend arithmetic: new entries, terms falling off, rank jumps, heat growth, series and related terms."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import pytest

from nlp.trends import (
    HotTerm,
    Snapshot,
    heat_growth,
    related_terms,
    rising_terms,
    snapshots_from_rows,
    trends,
)

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=timezone(timedelta(hours=8)))
T1 = T0 + timedelta(hours=1)
T2 = T0 + timedelta(hours=2)


def snap(at: datetime, *entries: tuple, platform: str = "shangcheng") -> Snapshot:
    """Entries as (term, heat) or (term, heat, rising), ranked in the order given."""
    return Snapshot(platform, at, tuple(HotTerm(i, *e) for i, e in enumerate(entries, start=1)))


def filler(n: int, prefix: str = "词") -> list[tuple]:
    return [(f"{prefix}{i}", 100.0) for i in range(n)]


def by_term(report) -> dict:
    return {t.term: t for t in report.terms}


def test_new_entry_and_dropped_term() -> None:
    (report,) = trends([snap(T0, ("露营椅", 900.0), ("月亮椅", 500.0)),
                        snap(T1, ("露营椅", 950.0), ("超轻露营椅", 400.0))])
    terms = by_term(report)
    assert [t.term for t in report.new_entries] == ["超轻露营椅"]
    assert [t.term for t in report.dropped] == ["月亮椅"]
    assert terms["超轻露营椅"].rank_before is None and terms["超轻露营椅"].rank_now == 2
    assert terms["月亮椅"].rank_now is None and terms["月亮椅"].rank_before == 2
    assert not terms["露营椅"].new and not terms["露营椅"].dropped
    assert terms["超轻露营椅"].rising and not terms["月亮椅"].rising
    assert [t.term for t in report.terms] == ["露营椅", "超轻露营椅", "月亮椅"]   # latest list, then dropped


def test_rank_jump_threshold_both_ways() -> None:
    before = [("甲", 1.0)] + filler(12) + [("乙", 1.0)]          # 甲 rank 1, 乙 rank 14
    after = [("乙", 1.0)] + filler(12) + [("甲", 1.0)]           # swapped: 13 places each way
    (report,) = trends([snap(T0, *before), snap(T1, *after)], rank_jump=10)
    terms = by_term(report)
    assert terms["乙"].rank_change == 13 and terms["乙"].jump == "up"
    assert terms["甲"].rank_change == -13 and terms["甲"].jump == "down"
    assert terms["词0"].rank_change == 0 and terms["词0"].jump is None
    (strict,) = trends([snap(T0, *before), snap(T1, *after)], rank_jump=14)
    assert by_term(strict)["乙"].jump is None


def test_rank_change_exactly_at_threshold_counts() -> None:
    before = filler(10) + [("乙", 1.0)]                           # rank 11
    (report,) = trends([snap(T0, *before), snap(T1, ("乙", 1.0), *filler(10))], rank_jump=10)
    assert by_term(report)["乙"].rank_change == 10 and by_term(report)["乙"].jump == "up"


@pytest.mark.parametrize(("before", "now", "growth", "surge"), [
    (100.0, 150.0, 50.0, True),          # exactly the threshold
    (100.0, 149.0, 49.0, False),
    (200.0, 100.0, -50.0, False),        # falling heat is no surge
    (0.0, 80.0, None, True),             # from zero: no percentage, but clearly heating up
    (0.0, 0.0, None, False),
    (None, 80.0, None, False),           # heat unknown before (a site that shows none)
    (80.0, None, None, False),
])
def test_heat_growth_with_zero_and_unknown_heat(before, now, growth, surge) -> None:
    (report,) = trends([snap(T0, ("充电宝", before)), snap(T1, ("充电宝", now))], heat_growth_pct=50)
    trend = by_term(report)["充电宝"]
    assert trend.heat_growth_pct == (pytest.approx(growth) if growth is not None else None)
    assert trend.heat_surge is surge
    assert heat_growth(before, now) == trend.heat_growth_pct


def test_only_the_last_two_snapshots_are_compared_but_series_covers_all() -> None:
    (report,) = trends([snap(T2, ("甲", 30.0)),                   # given out of order on purpose
                        snap(T0, ("甲", 10.0), ("乙", 5.0)),
                        snap(T1, ("乙", 6.0), ("甲", 20.0))])
    assert (report.previous_at, report.latest_at) == (T1, T2)
    a, b = by_term(report)["甲"], by_term(report)["乙"]
    assert a.heat_before == 20.0 and a.heat_now == 30.0 and a.heat_growth_pct == pytest.approx(50.0)
    assert [(p.observed_at, p.rank, p.heat) for p in a.series] == [(T0, 1, 10.0), (T1, 2, 20.0), (T2, 1, 30.0)]
    assert b.dropped and b.first_seen == T0 and b.last_seen == T1
    assert [p.rank for p in b.series] == [2, 1, None]
    assert a.first_seen == T0 and a.last_seen == T2


def test_term_back_after_an_absence_is_new_again_with_its_first_sighting_kept() -> None:
    (report,) = trends([snap(T0, ("甲", 1.0)), snap(T1, ("乙", 1.0)), snap(T2, ("甲", 2.0), ("乙", 1.0))])
    trend = by_term(report)["甲"]
    assert trend.new and trend.first_seen == T0 and [p.rank for p in trend.series] == [1, None, 1]


def test_platforms_are_separate_and_single_snapshots_give_no_report() -> None:
    reports = trends([snap(T0, ("甲", 1.0)), snap(T1, ("乙", 1.0)),
                      snap(T0, ("甲", 1.0), platform="laodian")])
    assert [r.platform for r in reports] == ["shangcheng"]
    assert trends([]) == []


def test_platform_rising_flag_is_passed_through() -> None:
    (report,) = trends([snap(T0, ("甲", 10.0, False)), snap(T1, ("甲", 11.0, True))])
    assert by_term(report)["甲"].rising_flag is True
    assert not by_term(report)["甲"].rising          # its own flag alone does not make it a rising term here


def test_rank_jump_must_be_positive() -> None:
    with pytest.raises(ValueError):
        trends([snap(T0, ("甲", 1.0)), snap(T1, ("甲", 1.0))], rank_jump=0)


def test_related_terms_by_containment_and_shared_words() -> None:
    (report,) = trends([snap(T0, ("充电宝", 1.0)),
                        snap(T1, ("超轻露营椅", 1.0), ("户外折叠椅", 1.0), ("充电宝", 1.0), ("椅", 1.0))])
    contained = [t.term for t in related_terms(report, "露营椅")]
    assert contained == ["超轻露营椅"]                              # not 椅: one character says nothing
    splitter = {"折叠椅子": ["折叠", "椅子"], "户外折叠椅": ["户外", "折叠", "椅"],
                "超轻露营椅": ["超轻", "露营", "椅"], "充电宝": ["充电宝"], "椅": ["椅"]}
    shared = [t.term for t in related_terms(report, "折叠椅子", words=lambda text: splitter[text])]
    assert shared == ["户外折叠椅"]


def test_rising_terms_for_a_keyword_across_platforms() -> None:
    reports = trends([
        snap(T0, ("露营椅", 100.0), *filler(12), ("月亮椅", 10.0)),
        snap(T1, ("月亮椅", 12.0), ("露营椅", 100.0), ("超轻露营椅", 5.0), *filler(12)),
        snap(T0, ("露营椅", 100.0), platform="kuaigou"),
        snap(T1, ("露营椅", 180.0), ("充电宝", 50.0), platform="kuaigou"),
    ])
    assert rising_terms(reports, "露营椅") == ["露营椅", "超轻露营椅"]  # heat +80 % on kuaigou; new on shangcheng
    assert rising_terms(reports, "椅") == ["露营椅", "月亮椅", "超轻露营椅"]   # rank 1 (kuaigou, shangcheng), 3
    assert "充电宝" in rising_terms(reports)


@dataclass
class Row:
    platform: str
    observed_at: datetime
    rank: int
    term: str
    heat: float | None
    rising: bool | None


def test_snapshots_from_store_rows() -> None:
    rows = [Row("laodian", T1, 2, "乙", None, None), Row("laodian", T1, 1, "甲", 5.0, True),
            Row("laodian", T0, 1, "乙", 3.0, False)]
    snapshots = snapshots_from_rows(rows)
    assert [(s.observed_at, [t.term for t in s.terms]) for s in snapshots] == [(T0, ["乙"]), (T1, ["甲", "乙"])]
    (report,) = trends(snapshots)
    assert [t.term for t in report.new_entries] == ["甲"]
    assert by_term(report)["乙"].rank_change == -1
