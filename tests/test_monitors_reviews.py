"""The negative-review monitor on hand-built store files: new negative reviews after the baseline crawl, surges,
and opportunity notices."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

import i18n
from monitors import reviews
from store import ProductRecord, ReviewRecord, ReviewThemeRecord

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=timezone.utc)


def product(store, *, own=True, url="http://s/own"):
    return store.upsert_product(ProductRecord(platform="sc", url=url, title="山野露营椅", own=own))


def crawl(store, pid, ratings, *, start=0, at=NOW):
    """One review crawl run storing reviews with these star ratings (ids continue from `start`)."""
    run = store.begin_run("reviews")
    texts = {1: "质量太差了，用两天就坏", 2: "一般般，有点晃", 3: "还行吧", 4: "不错", 5: "非常好，很结实"}
    store.add_reviews(pid, [ReviewRecord(text=f"{texts[r]} #{start + i}", review_id=f"r{start + i}", rating=r)
                            for i, r in enumerate(ratings)], run_id=run, crawled_at=at)
    store.finish_run(run, "ok")
    return run


def test_the_first_crawl_is_the_baseline_and_later_negatives_alert_once_each(store, config):
    pid = product(store)
    crawl(store, pid, [5, 1, 5, 4, 5, 5, 2, 5, 5, 5, 5, 5])
    assert reviews.run(store, config, now=NOW).events == [], "old complaints are the backlog, not news"
    crawl(store, pid, [5, 1, 4], start=100, at=NOW + timedelta(minutes=30))
    [event] = reviews.run(store, config, now=NOW).events
    assert (event.kind, event.severity, event.category) == ("negative_review", "critical", "review")
    assert event.dedup_key == "review:negative:sc:r101"
    assert event.evidence["rating"] == 1 and "质量太差了" in event.evidence["text"]
    assert event.evidence["respond_by"].startswith("2026-11-27T13:30"), "the playbook's one hour from the crawl"


def test_a_new_review_is_negative_by_score_when_it_has_no_stars(store, config):
    pid = product(store)
    crawl(store, pid, [5, 5])
    run = store.begin_run("reviews")
    store.add_reviews(pid, [ReviewRecord(text="收到就是坏的，客服也不理人", review_id="x1"),
                            ReviewRecord(text="好用", review_id="x2")], run_id=run, crawled_at=NOW)
    assert reviews.run(store, config, now=NOW).events == [], "unscored reviews wait for the analysis pass"
    ids = {r.review_id: r.id for r in store.reviews_for(pid)}
    store.set_sentiments([(ids["x1"], 0.08), (ids["x2"], 0.93)], "test-model")
    store.set_review_themes(ids["x1"], [ReviewThemeRecord(theme="服务", aspect="客服", opinion="不理人")])
    [event] = reviews.run(store, config, now=NOW).events
    assert event.evidence["sentiment_score"] == 0.08 and event.evidence["pain_points"] == ["服务"]
    with i18n.using("en"):
        assert "sentiment 0.08" in str(event.body)


def test_a_negative_follow_up_on_an_old_good_review_alerts_once(store, config):
    pid = product(store)
    crawl(store, pid, [5, 5, 5])
    store.set_sentiments([(r.id, 0.95) for r in store.reviews_for(pid)], "test-model")
    run = store.begin_run("reviews")
    store.add_reviews(pid, [ReviewRecord(text="非常好，很结实 #0", review_id="r0", rating=5, append="用了一个月就断了"),
                            ReviewRecord(text="非常好，很结实 #1", review_id="r1", rating=5, append="一个月了还很好")],
                      run_id=run, crawled_at=NOW)
    assert reviews.run(store, config, now=NOW).events == [], "unscored follow-ups wait for the analysis pass"
    ids = {r.review_id: r.id for r in store.reviews_for(pid)}
    store.set_sentiments([(ids["r0"], 0.95), (ids["r1"], 0.95)], "test-model")
    store.set_append_sentiments([(ids["r0"], 0.03), (ids["r1"], 0.9)])
    [event] = reviews.run(store, config, now=NOW).events
    assert event.dedup_key == "review:append:sc:r0" and event.kind == "negative_review"
    with i18n.using("en"):
        assert "follow-up" in str(event.title) and "Follow-up review: 用了一个月就断了" in str(event.body)
    assert "追评：用了一个月就断了" in str(event.body)
    assert event.evidence["append"] == "用了一个月就断了" and event.evidence["append_sentiment_score"] == 0.03
    assert event.evidence["respond_by"].startswith("2026-11-27T13:00"), "counted from when the follow-up was found"


def test_a_new_good_review_with_a_negative_follow_up_is_one_negative_review(store, config):
    pid = product(store)
    crawl(store, pid, [5])
    run = store.begin_run("reviews")
    store.add_reviews(pid, [ReviewRecord(text="很好", review_id="n1", rating=5, append="第二周就坏了")], run_id=run,
                      crawled_at=NOW)
    review = next(r for r in store.reviews_for(pid) if r.review_id == "n1")
    store.set_sentiments([(review.id, 0.9)], "test-model")
    store.set_append_sentiments([(review.id, 0.1)])
    [event] = reviews.run(store, config, now=NOW).events
    assert event.dedup_key == "review:negative:sc:n1"


def test_competitor_reviews_never_raise_negative_review_alerts(store, config):
    pid = product(store, own=False, url="http://s/rival")
    crawl(store, pid, [5, 5])
    crawl(store, pid, [1, 1, 1, 1, 1, 1], start=10)
    assert reviews.run(store, config, now=NOW).events == []


def test_surge_by_share_of_the_latest_reviews(store, config):
    pid = product(store)
    crawl(store, pid, [5] * 40)
    burst = crawl(store, pid, [1, 2, 1, 1, 5, 1, 2, 1], start=100, at=NOW + timedelta(hours=1))
    for review in store.reviews_for(pid):
        if review.run_id == burst and review.rating <= 2:
            store.set_review_themes(review.id, [ReviewThemeRecord(theme="质量")])
    [alert] = reviews.run(store, config, now=NOW).alerts
    assert (alert.kind, alert.severity) == ("negative_surge", "warning")
    assert alert.evidence["negative"] == 7 and alert.evidence["reviews"] == 20
    assert alert.evidence["share"] == pytest.approx(0.35) and alert.evidence["themes"] == {"质量": 7}
    assert alert.evidence["baseline"] == 0.0


def test_surge_by_z_score_against_a_clean_history(config):
    rules = config.thresholds.reviews.model_copy(update={"surge_share": 0.9})
    store_reviews = [_review(i, 5) for i in range(200)] + [_review(200 + i, 1 if i < 3 else 5) for i in range(20)]
    found = reviews.surge(store_reviews, rules, now=NOW)
    assert found is not None and found.share == 0.15 and found.z > rules.surge_z
    assert reviews.surge([_review(i, 5) for i in range(220)], rules, now=NOW) is None


def test_too_few_reviews_are_no_surge(config):
    assert reviews.surge([_review(i, 1) for i in range(4)], config.thresholds.reviews, now=NOW) is None


def _review(i, rating):
    from store import ReviewRow
    return ReviewRow(text=f"r{i}", review_id=f"r{i}", rating=rating, id=i + 1, product_id=1, platform="sc",
                     review_key=f"sc:r{i}", crawled_at=NOW, run_id=1,
                     posted_at=NOW - timedelta(days=300) + timedelta(hours=i))


def test_opportunity_insights_become_info_notices_once(store, config):
    store.upsert_insight("opportunity", "sc:露营椅", {"theme": "质量", "share": 0.42}, platform="sc",
                         keyword="露营椅", seen_at=NOW)
    [notice] = reviews.run(store, config, now=NOW).events
    assert (notice.kind, notice.severity, notice.subject) == ("opportunity", "info", "露营椅")
    assert "42%" in str(notice.title) and "质量" in str(notice.suggestion)
