"""The price-band monitor on hand-built store files: cost and band breaches, undercuts, moves, band shifts, and
the debounce that keeps ±0.01 jitter quiet."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

import i18n
from monitors import price, runner
from store import PriceObservation, ProductRecord, SearchHit

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=timezone.utc)


def observe(store, product_id, prices, *, start=T0, **fields):
    for i, value in enumerate(prices):
        store.add_price_observation(product_id, PriceObservation(price=value, observed_at=start + timedelta(hours=i),
                                                                 **fields))


def own(store, **fields):
    record = {"platform": "sc", "url": "http://s/own", "title": "山野露营椅", "own": True, "cost": 50.0,
              "band_min": 59.0, "band_max": 99.0, **fields}
    return store.upsert_product(ProductRecord(**record))


def kinds(findings):
    return sorted(alert.kind for alert in findings.alerts)


def test_below_cost_is_critical_at_once_when_clearly_below(store, config):
    pid = own(store)
    observe(store, pid, [79.0, 39.0])
    [alert] = price.run(store, config, now=T0).alerts
    assert (alert.kind, alert.severity, alert.category) == ("price_below_cost", "critical", "price")
    assert alert.evidence["price"] == 39.0 and alert.evidence["previous_price"] == 79.0
    assert alert.evidence["cost"] == 50.0
    with i18n.using("en"):
        assert "cost" in str(alert.suggestion)


def test_a_cent_below_cost_needs_the_debounce_streak(store, config):
    pid = own(store, band_min=None)
    observe(store, pid, [50.01, 49.99])
    assert kinds(price.run(store, config, now=T0)) == [], "one observation 0.01 below cost is noise"
    observe(store, pid, [49.99], start=T0 + timedelta(hours=5))
    assert kinds(price.run(store, config, now=T0)) == ["price_below_cost"], "held for 2 observations: real"


def test_jitter_around_the_band_never_alerts(store, config):
    pid = own(store)
    observe(store, pid, [59.0, 58.99, 59.0, 58.99, 59.01, 58.99])
    assert kinds(price.run(store, config, now=T0)) == []


def test_outside_band_is_a_warning(store, config):
    pid = own(store)
    observe(store, pid, [79.0, 129.0])
    [alert] = price.run(store, config, now=T0).alerts
    assert (alert.kind, alert.severity) == ("price_out_of_band", "warning")
    with i18n.using("en"):
        assert "above its band maximum ¥99.00" in str(alert.body)
    assert "高于价格区间上限 ¥99.00" in str(alert.body), "rendered in Chinese by default"


def ranked(store, keyword, prices_by_rank, *, own_price=None, at=T0, run_id=None):
    """Competitors listed for `keyword` (created on first use) priced as given, one observation each at `at`."""
    ids = []
    for rank, value in enumerate(prices_by_rank, start=1):
        pid = store.upsert_product(ProductRecord(platform="sc", url=f"http://s/{rank}", title=f"{keyword}{rank}",
                                                 shop=f"店{rank}"))
        store.add_price_observation(pid, PriceObservation(price=value, observed_at=at))
        ids.append(pid)
    store.add_search_results("sc", keyword, [SearchHit(rank=r, product_id=p) for r, p in enumerate(ids, 1)],
                             run_id=run_id, observed_at=at)
    if own_price is not None:
        store.add_price_observation(own(store, title=f"我们的{keyword}"),
                                    PriceObservation(price=own_price, observed_at=at))
    return ids


def test_a_competitor_moving_below_us_is_an_undercut_with_its_evidence(store, config):
    ranked(store, "露营椅", [90.0, 120.0], own_price=89.0)
    assert kinds(price.run(store, config, now=T0)) == [], "nobody undercuts yet"
    ids = ranked(store, "露营椅", [79.0, 120.0], own_price=89.0, at=T0 + timedelta(hours=1))
    findings = price.run(store, config, now=T0)
    assert kinds(findings) == ["competitor_undercut"], "the drop is told once, as an undercut, not also a move"
    [alert] = findings.alerts
    assert alert.evidence["competitor_product_id"] == ids[0]
    assert (alert.evidence["old_price"], alert.evidence["new_price"], alert.evidence["own_price"]) == (90, 79, 89)
    assert alert.evidence["competitor_url"] == "http://s/1" and alert.evidence["below_own"] == pytest.approx(0.1124, 1e-3)
    with i18n.using("en"):
        assert "value pricing (up to 30% above" in str(alert.suggestion)


def test_a_standing_undercut_is_table_material_not_an_alert(store, config):
    ranked(store, "露营椅", [59.0, 120.0], own_price=89.0)
    ranked(store, "露营椅", [59.0, 120.0], own_price=89.0, at=T0 + timedelta(hours=1))
    assert kinds(price.run(store, config, now=T0)) == []


def test_undercut_smaller_than_the_threshold_is_ignored(store, config):
    ranked(store, "露营椅", [95.0], own_price=89.0)
    ranked(store, "露营椅", [86.0], own_price=89.0, at=T0 + timedelta(hours=1))  # 3.4 % below: under 5 %
    assert kinds(price.run(store, config, now=T0)) == []


def test_competitor_move_needs_both_percentage_and_amount(store, config):
    pid = store.upsert_product(ProductRecord(platform="sc", url="http://s/r", title="对手"))
    observe(store, pid, [9.9, 8.5])   # -14 % but only 1.40 yuan: moves (min_abs_change is 1.0)
    assert kinds(price.run(store, config, now=T0)) == ["competitor_price_move"]
    cheap = store.upsert_product(ProductRecord(platform="sc", url="http://s/c", title="小物"))
    observe(store, cheap, [2.0, 1.5])  # -25 % yet 0.50 yuan: noise for a price monitor
    assert kinds(price.run(store, config, now=T0)) == ["competitor_price_move"]


def test_band_shift_compares_the_last_two_searches(store, config):
    first, second = store.begin_run("search"), store.begin_run("search")
    ranked(store, "露营椅", [80.0, 90.0, 100.0], run_id=first)
    later = T0 + timedelta(hours=1)
    ranked(store, "露营椅", [60.0, 70.0, 80.0], run_id=second, at=later)
    [alert] = [a for a in price.run(store, config, now=later).alerts if a.kind == "band_shift"]
    assert alert.evidence["before"]["median"] == 90.0 and alert.evidence["after"]["median"] == 70.0
    assert alert.severity == "info" and alert.subject == "露营椅"


def judge(store, config, at=T0):
    """One monitor run as the runner makes it: its findings recorded and its watermarks advanced."""
    findings = price.run(store, config, now=at)
    runner.record(store, config, findings, now=at, report=runner.MonitorReport())
    return findings


def test_a_band_shift_in_a_cycle_killed_before_its_monitors_is_still_told(store, config):
    first, killed, again = (store.begin_run("search") for _ in range(3))
    ranked(store, "露营椅", [80.0, 90.0, 100.0], run_id=first)
    assert judge(store, config).alerts == []
    ranked(store, "露营椅", [60.0, 70.0, 80.0], run_id=killed, at=T0 + timedelta(hours=1))  # no monitors ran
    ranked(store, "露营椅", [60.0, 70.0, 80.0], run_id=again, at=T0 + timedelta(hours=2))
    [alert] = [a for a in judge(store, config).alerts if a.kind == "band_shift"]
    assert alert.evidence["before"]["median"] == 90.0 and alert.evidence["after"]["median"] == 70.0
    assert judge(store, config).alerts == [], "judged once: the searches after the watermark are gone"


def test_a_competitor_move_in_a_cycle_killed_before_its_monitors_is_still_told(store, config):
    pid = store.upsert_product(ProductRecord(platform="sc", url="http://s/r", title="对手"))
    observe(store, pid, [100.0])
    assert judge(store, config).alerts == []
    observe(store, pid, [80.0, 80.0], start=T0 + timedelta(hours=1))
    [move] = judge(store, config).alerts
    assert (move.kind, move.evidence["old_price"], move.evidence["new_price"]) == ("competitor_price_move", 100, 80)


def test_an_undercut_over_several_killed_cycles_is_still_told(store, config):
    ranked(store, "露营椅", [90.0, 120.0], own_price=89.0)
    assert judge(store, config).alerts == []
    for hours in (1, 2, 3):  # three crawls, the monitors killed after each of the first two
        ranked(store, "露营椅", [79.0, 120.0], own_price=89.0, at=T0 + timedelta(hours=hours))
    [alert] = judge(store, config).alerts
    assert (alert.kind, alert.evidence["old_price"], alert.evidence["new_price"]) == ("competitor_undercut", 90, 79)


def test_a_standing_condition_is_judged_again_without_new_facts(store, config):
    observe(store, own(store), [79.0, 39.0])
    assert kinds(judge(store, config)) == ["price_below_cost"]
    assert kinds(price.run(store, config, now=T0 + timedelta(hours=7))) == ["price_below_cost"], \
        "no crawl since, still below cost: raised again once the cooldown is over"
