"""The monitor runner: dedup keys and cooldowns across runs, once-only events, the operator's states, and one
failing monitor not silencing the others."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from monitors import runner
from monitors.findings import Findings, Insight
from store import AlertRecord

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=timezone.utc)


def alert(key="price:below_cost:1"):
    return AlertRecord(dedup_key=key, kind="price_below_cost", category="price", severity="critical",
                       subject="1", title="below cost")


def record(store, config, findings, at):
    report = runner.MonitorReport()
    runner.record(store, config, findings, now=at, report=report)
    return report


def test_a_condition_repeats_only_after_the_cooldown(store, config):
    assert len(record(store, config, Findings(alerts=[alert()]), NOW).raised) == 1
    again = record(store, config, Findings(alerts=[alert()]), NOW + timedelta(hours=5, minutes=59))
    assert again.raised == [] and again.suppressed == 1
    assert len(record(store, config, Findings(alerts=[alert()]), NOW + timedelta(hours=6)).raised) == 1
    assert len(store.alerts(dedup_key="price:below_cost:1")) == 2


def test_an_event_is_raised_once_ever(store, config):
    record(store, config, Findings(events=[alert("review:negative:sc:r1")]), NOW)
    later = record(store, config, Findings(events=[alert("review:negative:sc:r1")]), NOW + timedelta(days=30))
    assert later.raised == [] and later.suppressed == 1


def test_acknowledged_stays_quiet_until_resolved(store, config):
    [first] = record(store, config, Findings(alerts=[alert()]), NOW).raised
    store.acknowledge_alert(first)
    assert record(store, config, Findings(alerts=[alert()]), NOW + timedelta(days=2)).raised == []
    store.resolve_alert(first)
    assert len(record(store, config, Findings(alerts=[alert()]), NOW + timedelta(days=2)).raised) == 1


def test_operator_transitions_are_checked(store, config):
    from store import AlertStateError

    [first] = record(store, config, Findings(alerts=[alert()]), NOW).raised
    assert store.resolve_alert(first).state == "resolved"
    with pytest.raises(AlertStateError, match="is resolved"):
        store.acknowledge_alert(first)


def test_insights_are_refreshed_by_kind_and_subject(store, config):
    insight = Insight(kind="competitor_compliance", subject="7", detail={"n": 1}, platform="sc", product_id=None)
    record(store, config, Findings(insights=[insight]), NOW)
    record(store, config, Findings(insights=[Insight(kind="competitor_compliance", subject="7", detail={"n": 2})]),
           NOW + timedelta(hours=1))
    [stored] = store.insights(kind="competitor_compliance")
    assert stored.detail == {"n": 2} and stored.first_seen == NOW and stored.last_seen == NOW + timedelta(hours=1)


def test_a_failing_monitor_is_reported_and_the_others_still_run(store, config, monkeypatch):
    def broken(store, config, *, now):
        raise RuntimeError("rule bug")

    def working(store, config, *, now):
        return Findings(alerts=[alert()])

    monkeypatch.setattr(runner, "MONITORS", {"broken": broken, "working": working})
    report = runner.run_monitors(store, config, now=NOW)
    assert report.errors == {"broken": "RuntimeError: rule bug"} and len(report.raised) == 1


def test_alerts_and_watermarks_commit_together(store, config):
    from store import InvalidRecordError

    broken = AlertRecord(dedup_key="price:move:2", kind="competitor_price_move", category="price", severity="info",
                         subject="2", title="moved", evidence={"at": object()})  # fails while being recorded
    findings = Findings(alerts=[alert(), broken], watermarks={("price", "price_observations"): 9})
    with pytest.raises(InvalidRecordError):
        record(store, config, findings, NOW)
    assert store.alerts() == [] and store.watermark("price", "price_observations") is None, \
        "nothing of a half-recorded run stays: its facts are judged again, its first alert not raised twice"
    findings.alerts.remove(broken)
    assert len(record(store, config, findings, NOW).raised) == 1
    assert store.watermark("price", "price_observations") == 9
