"""The demo's main job end to end: real marketplace, real crawls (Scrapy and Chromium), real SQLite, the real
outbox into the local SMTP capture; the scenario's step-1 incidents must each be caught by an alert."""

from __future__ import annotations

import email
import shutil
from email import policy

import pytest

from agent import scan_plan
from demo_tour import EXPECTED_ALERTS, check_events, run_tour
from store import AlertRow
from tests.conftest import ROOT


def camping_only(config):
    """One keyword (the one the scenario's undercut happens on) and every own product, to keep the test short."""
    return scan_plan(config, list(config.platforms), ["露营椅"], None, 5, True)


@pytest.mark.integration
def test_two_cycles_catch_every_scripted_incident_and_mail_them(tmp_path):
    config_path = tmp_path / "config.toml"
    shutil.copy(ROOT / "config.toml", config_path)
    tour = run_tour(config_path, plan_for=camping_only)
    first, second = tour.cycles
    assert not first.failed_platforms and not second.failed_platforms
    caught = {check.event["kind"]: [a.kind for a in check.caught_by] for check in tour.checks}
    assert set(caught) >= {"competitor_undercut", "below_cost", "negative_burst", "own_low_stock",
                           "own_title_violation"}
    assert all(caught.values()), f"every incident is caught: {caught}"
    assert caught["negative_burst"].count("negative_review") == 8, "each review of the burst alerts once"
    assert not [a for a in first.alerts if a.kind in ("negative_review", "competitor_undercut")], \
        "the first cycle is the baseline: old reviews and standing prices are not news"
    saved = second.delivery.eml_paths
    assert saved and all(path.parent == tmp_path / "var" / "outbox" for path in saved)
    below_cost = next(a for a in second.alerts if a.kind == "price_below_cost")
    mails = [email.message_from_bytes(path.read_bytes(), policy=policy.default) for path in saved]
    alone = [mail for mail in mails if "我方售价低于成本" in (mail["Subject"] or "")]
    assert [mail["To"] for mail in alone] == ["ops-oncall@example.com"], \
        "a critical alert goes out at once to on-call, alone in its group (price, that product)"
    assert str(below_cost.title) in alone[0].get_body(("plain",)).get_content()
    [digest] = [mail for mail in mails if mail["To"] == "shop-digest@example.com"]
    assert str(below_cost.title) in digest.get_body(("plain",)).get_content(), "the digest address reads it in the digest"
    burst = [mail for mail in mails if "新增 8 条差评" in (mail["Subject"] or "")]
    assert [mail["To"] for mail in burst] == ["ops-oncall@example.com"], "the burst of 8 reviews is one e-mail"

    [edit] = [check for check in tour.checks if check.event["kind"] == "own_title_violation"]
    [breach] = edit.caught_by
    assert breach.category == "compliance" and breach.evidence["url"].endswith("/goods.php?id=880001")
    assert not [a for a in first.alerts if a.kind == "compliance_violation" and a.subject == breach.subject], \
        "the listing was clean in the first cycle: the breach is news of the second"
    assert any(str(breach.title) in mail.get_body(("plain",)).get_content() for mail in mails), "the breach is e-mailed"


def alert(alert_id, kind, subject, **evidence):
    from datetime import datetime, timezone
    now = datetime(2026, 11, 27, tzinfo=timezone.utc)
    return AlertRow(id=alert_id, dedup_key=f"k{alert_id}", kind=kind, severity="warning", title="t", subject=subject,
                    evidence=evidence, state="new", created_at=now, updated_at=now, delivery_attempts=0,
                    next_attempt_at=None, delivered_at=None, last_error=None)


def breach(alert_id, product_id, match, category):
    return alert(alert_id, "compliance_violation", product_id, product_id=int(product_id),
                 violations=[{"field": "title", "match": match, "category": category}])


def test_events_are_matched_to_alerts_by_product_and_kind():
    products = {1: ("sc", "A1"), 2: ("sc", "B2"), 3: ("ld", "C3")}
    events = [{"kind": "competitor_undercut", "platform": "sc", "item_id": "B2"},
              {"kind": "below_cost", "platform": "ld", "item_id": "C3"},
              {"kind": "stock_out", "platform": "kg", "item_id": "Z9"},
              {"kind": "price_jitter", "platform": "sc", "item_id": None},
              {"kind": "own_title_violation", "platform": "sc", "item_id": "A1",
               "detail": {"match": "国家级", "category": "absolute"}}]
    alerts = [alert(10, "competitor_undercut", "1", competitor_product_id=2),
              alert(11, "price_out_of_band", "3"),
              breach(12, "1", "国家级品质", "absolute"),   # the engine may report a longer span
              breach(13, "1", "根治", "medical"),          # another breach of the same listing
              breach(14, "1", "国家级", "medical"),        # the word, but not in the planted category
              breach(15, "3", "国家级", "absolute")]       # another listing
    checks, untracked = check_events(events, alerts, products)
    assert [(c.event["kind"], [a.id for a in c.caught_by]) for c in checks] == [
        ("competitor_undercut", [10]), ("below_cost", []), ("own_title_violation", [12])], \
        "a band alert is not the below-cost one; a title edit is caught by the breach it planted, on its product"
    assert untracked == [events[2]] and "price_jitter" not in EXPECTED_ALERTS
