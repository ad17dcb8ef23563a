"""The stock monitor on hand-built store files: the own warning line, own sell-outs, competitor sell-outs."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from monitors import runner, stock
from store import PriceObservation, ProductRecord

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=timezone.utc)


def listing(store, *, own, url="http://s/1", safety_stock=None):
    return store.upsert_product(ProductRecord(platform="sc", url=url, title="露营椅", own=own,
                                              safety_stock=safety_stock))


def observe(store, pid, stocks, *, availability=None, start=T0):
    for i, count in enumerate(stocks):
        store.add_price_observation(pid, PriceObservation(price=99.0, stock=count, availability=availability,
                                                          observed_at=start + timedelta(hours=i)))


def test_own_stock_below_half_the_safety_stock_is_a_warning(store, config):
    pid = listing(store, own=True, safety_stock=200)
    observe(store, pid, [150, 100])
    assert stock.run(store, config, now=T0).alerts == [], "exactly at the line (100 of 200) is not below it"
    observe(store, pid, [99], start=T0 + timedelta(hours=5))
    [alert] = stock.run(store, config, now=T0).alerts
    assert (alert.kind, alert.severity, alert.category) == ("own_low_stock", "warning", "stock")
    assert alert.evidence["stock"] == 99 and alert.evidence["warning_line"] == 100


def test_own_sell_out_is_critical_even_without_a_count(store, config):
    pid = listing(store, own=True)
    observe(store, pid, [None], availability="OutOfStock")
    [alert] = stock.run(store, config, now=T0).alerts
    assert (alert.kind, alert.severity) == ("own_out_of_stock", "critical")


def test_unknown_stock_says_nothing(store, config):
    pid = listing(store, own=True, safety_stock=200)
    observe(store, pid, [None])
    assert stock.run(store, config, now=T0).alerts == []


def judge(store, config):
    """One monitor run as the runner makes it: its findings recorded and its watermark advanced."""
    findings = stock.run(store, config, now=T0)
    runner.record(store, config, findings, now=T0, report=runner.MonitorReport())
    return findings


def test_a_competitor_sell_out_is_one_notice_per_episode(store, config):
    pid = listing(store, own=False)
    observe(store, pid, [30, 0, 0])
    [first] = judge(store, config).events
    assert (first.kind, first.severity) == ("competitor_out_of_stock", "info")
    assert first.evidence["since"] == (T0 + timedelta(hours=1)).isoformat() and first.evidence["last_stock"] == 30
    observe(store, pid, [0], start=T0 + timedelta(hours=3))
    [again] = judge(store, config).events
    assert again.dedup_key == first.dedup_key, "the same sell-out keeps its key, so it is told once"
    observe(store, pid, [12, 0], start=T0 + timedelta(hours=4))
    [second] = judge(store, config).events
    assert second.dedup_key != first.dedup_key, "a new sell-out after a restock is news again"


def test_a_sell_out_over_before_the_monitors_ran_is_still_told(store, config):
    pid = listing(store, own=False)
    observe(store, pid, [30])
    assert judge(store, config).events == []
    observe(store, pid, [0, 25], start=T0 + timedelta(hours=1))  # a cycle killed before its monitors, then one more
    [notice] = judge(store, config).events
    assert notice.evidence["since"] == (T0 + timedelta(hours=1)).isoformat(), "the killed cycle's sell-out"
    assert judge(store, config).events == [], "judged once: the next run starts after it"


def test_competitor_notices_can_be_switched_off(store, config):
    observe(store, listing(store, own=False), [0])
    quiet = config.model_copy(update={"thresholds": config.thresholds.model_copy(
        update={"stock": config.thresholds.stock.model_copy(update={"competitor_stockout": False})})})
    assert stock.run(store, quiet, now=T0).events == []
