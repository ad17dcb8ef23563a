"""Negative-review monitor (thresholds.reviews): every new negative review of an own product at once, a surge of
negative share per own product, and competitors' pain points crossing the playbook's 30 % as opportunity notices.

"New" means found after the product's first review crawl: that first crawl is the baseline (its backlog of old
complaints feeds the surge check and the report, not one alert per review), and reviews found later were posted
since we started watching. This needs no posting date, which many review pages do not show.

A review is negative by the config's definition (`nlp.painpoints.is_negative_review`): 1-2 stars, or a sentiment
score below `negative_score` for the review or its follow-up (追评). Reviews with neither stars nor a score yet wait
for the analysis pass. A follow-up found after the baseline on a review stored before is news of its own: a
negative one raises its own event (a buyer coming back to say it broke is the complaint an operator answers).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from config import Config, ReviewThresholds
from formats import moment, money
from i18n import N_, Message
from monitors.findings import Findings, lines
from nlp.painpoints import is_negative_review, judged_negative
from store import AlertRecord, ProductRow, ReviewRow, Store

SUGGEST_SURGE = N_("Look for a common cause (a bad batch, a courier, a misleading listing): read the themes below, "
                   "pause paid traffic to the product until it is fixed, and answer every negative review.")


def suggest_negative(minutes: int) -> Message:
    return N_("Answer within {minutes} minutes (playbook): handle the emotion first, then the problem. Contact the "
              "customer, offer a refund or replacement plus a compensation coupon, and check whether the complaint "
              "points at a batch or listing problem.", minutes=minutes)


def suggest_opportunity(theme: str) -> Message:
    return N_("Differentiation opportunity (playbook): competitors sell cheap and their buyers complain about "
              "{theme}. A product that fixes it, sold at a mid price (value pricing), can win them.", theme=theme)

MIN_SURGE_WINDOW = 5  # fewer reviews than this say nothing about a share


@dataclass(frozen=True)
class Surge:
    window: Message       # "latest 20 reviews" or "last 24 h"
    window_evidence: dict[str, float]  # the same as data: {"window_reviews": 20} or {"window_hours": 24}
    reviews: int
    negative: int
    share: float
    baseline: float | None  # negative share before the window, when there is enough history
    z: float | None
    negative_ids: tuple[int, ...]  # the window's negative reviews, whose pain points explain the surge


def _when(review: ReviewRow) -> datetime:
    """When a review was posted, as an aware datetime: the crawl time when the page shows no date, noon of the
    day when it shows only a day."""
    posted = review.posted_at
    if isinstance(posted, datetime):
        return posted
    if isinstance(posted, date):
        return datetime.combine(posted, time(12), tzinfo=timezone.utc)
    return review.crawled_at


def _baseline_run(reviews: Sequence[ReviewRow]) -> tuple[int | None, datetime]:
    """The first crawl that stored reviews of the product: its run id (when recorded) and its time."""
    first = min(reviews, key=lambda r: (r.crawled_at, r.id))
    return first.run_id, first.crawled_at


def _after_baseline(run_id: int | None, crawled_at: datetime, baseline: tuple[int | None, datetime]) -> bool:
    """Whether something stored by run `run_id` at `crawled_at` came after the baseline crawl."""
    baseline_run, baseline_at = baseline
    if baseline_run is not None and run_id is not None:
        return run_id != baseline_run
    return crawled_at > baseline_at + timedelta(minutes=30)


def _is_new(review: ReviewRow, baseline: tuple[int | None, datetime]) -> bool:
    return _after_baseline(review.run_id, review.crawled_at, baseline)


def _has_new_append(review: ReviewRow, baseline: tuple[int | None, datetime]) -> bool:
    return review.append_crawled_at is not None and _after_baseline(review.append_run_id, review.append_crawled_at,
                                                                    baseline)


def surge(reviews: Sequence[ReviewRow], rules: ReviewThresholds, *, now: datetime) -> Surge | None:
    """A negative surge in the latest `surge_window_reviews` reviews or those posted in the last
    `surge_window_hours`: a negative share at or above `surge_share`, or `surge_z` standard deviations above the
    share of the reviews before the window. None when neither window shows one."""
    def negative(r: ReviewRow) -> bool:
        return is_negative_review(r, max_stars=rules.negative_max_stars, max_score=rules.negative_score)

    newest_first = sorted(reviews, key=lambda r: (_when(r), r.id), reverse=True)
    since = now - timedelta(hours=rules.surge_window_hours)
    windows = [(N_("latest {count} reviews", count=rules.surge_window_reviews),
                {"window_reviews": rules.surge_window_reviews}, newest_first[: rules.surge_window_reviews]),
               (N_("last {hours} h", hours=format(rules.surge_window_hours, "g")),
                {"window_hours": rules.surge_window_hours}, [r for r in newest_first if _when(r) >= since])]
    for name, as_data, window in windows:
        if len(window) < MIN_SURGE_WINDOW:
            continue
        bad_ids = tuple(r.id for r in window if negative(r))
        bad = len(bad_ids)
        share = bad / len(window)
        older = newest_first[len(window):]
        baseline = z = None
        if len(older) >= rules.surge_window_reviews:
            baseline = sum(map(negative, older)) / len(older)
            floor = max(baseline, 1 / len(older))  # a spotless history still has some chance of a bad review
            z = (share - baseline) / math.sqrt(floor * (1 - floor) / len(window)) if floor < 1 else 0.0
        if share >= rules.surge_share or (z is not None and z >= rules.surge_z):
            return Surge(name, as_data, len(window), bad, round(share, 4), None if baseline is None else round(baseline, 4),
                         None if z is None else round(z, 2), bad_ids)
    return None


def _negative_review_event(store: Store, product: ProductRow, review: ReviewRow, config: Config, *,
                           followup: bool = False) -> AlertRecord:
    """The event of a new negative review, or (`followup`) of a new negative follow-up on an older review."""
    rules = config.thresholds.reviews
    themes = store.review_themes([review.id])
    pain_points = sorted({theme.theme for theme in themes})
    stars = N_("no stars") if review.rating is None else f"{review.rating:g}★"
    scores = [N_(", sentiment {score}", score=format(review.sentiment_score, ".2f"))
              if review.sentiment_score is not None else "",
              N_(", follow-up sentiment {score}", score=format(review.append_sentiment_score, ".2f"))
              if review.append_sentiment_score is not None else ""]
    name = product.title or product.url
    found_at = review.append_crawled_at if followup and review.append_crawled_at else review.crawled_at
    respond_by = found_at + timedelta(minutes=rules.response_minutes)
    text = N_("{text}\nFollow-up review: {append}", text=review.text, append=review.append) if review.append \
        else review.text
    kind = "append" if followup else "negative"
    title = (N_("New negative follow-up review ({stars}) on {name}", stars=stars, name=name) if followup
             else N_("New negative review ({stars}) on {name}", stars=stars, name=name))
    return AlertRecord(
        dedup_key=f"review:{kind}:{review.review_key}", kind="negative_review", category="review",
        severity="critical", subject=str(product.id), title=title,
        body=N_("{text}\n\n{stars}{score}{append_score}{pain_points}\n{url}\nAnswer by {respond_by}.", text=text,
                stars=stars, score=scores[0], append_score=scores[1],
                pain_points=N_("; pain points: {themes}", themes="、".join(pain_points)) if pain_points else "",
                url=product.url, respond_by=moment(respond_by, config.schedule.tzinfo)),
        evidence={"product_id": product.id, "platform": product.platform, "url": product.url, "title": product.title,
                  "review_id": review.review_id, "text": review.text, "append": review.append, "rating": review.rating,
                  "sentiment_score": review.sentiment_score,
                  "append_sentiment_score": review.append_sentiment_score, "pain_points": pain_points,
                  "clauses": [theme.clause for theme in themes if theme.clause],
                  "posted_at": None if review.posted_at is None else review.posted_at.isoformat(),
                  "crawled_at": review.crawled_at.isoformat(), "respond_by": respond_by.isoformat()},
        suggestion=suggest_negative(rules.response_minutes))


def _surge_alert(store: Store, product: ProductRow, found: Surge) -> AlertRecord:
    counts: dict[str, int] = {}
    for _, theme in {(row.review_id, row.theme) for row in store.review_themes(found.negative_ids)}:
        counts[theme] = counts.get(theme, 0) + 1
    top = sorted(counts.items(), key=lambda item: -item[1])[:5]
    name = product.title or product.url
    share = f"{found.share:.0%}"
    baseline = "" if found.baseline is None else N_(" against {baseline} before (z = {z})",
                                                     baseline=format(found.baseline, ".0%"), z=format(found.z, "g"))
    complaints = "、".join(f"{t} ({n})" for t, n in top)
    return AlertRecord(
        dedup_key=f"review:surge:{product.id}", kind="negative_surge", category="review", severity="warning",
        subject=str(product.id),
        title=N_("Negative reviews surge on {name}: {share} of the {window}", name=name, share=share,
                 window=found.window),
        body=N_("{negative} of the {window} of {name} are negative ({share}){baseline}.{complaints}\n{url}",
                negative=found.negative, window=found.window, name=name, share=share, baseline=baseline,
                complaints=N_("\nMain complaints: {themes}", themes=complaints) if top else "", url=product.url),
        evidence={"product_id": product.id, "platform": product.platform, "url": product.url, "title": product.title,
                  **found.window_evidence, "reviews": found.reviews, "negative": found.negative, "share": found.share,
                  "baseline": found.baseline, "z": found.z, "themes": dict(top)},
        suggestion=SUGGEST_SURGE)


def _opportunity_body(detail: dict) -> Message | str:
    """The insight's facts an operator reads (see nlp.insights.record_opportunities for the detail keys)."""
    found: list[Message | str] = [str(detail["action"])] if detail.get("action") else []
    if detail.get("theme_reviews") is not None and detail.get("negative_reviews") is not None:
        found.append(N_("{count} of {total} negative competitor reviews complain about {theme}.",
                        count=detail["theme_reviews"], total=detail["negative_reviews"],
                        theme=detail.get("theme", "?")))
    if detail.get("low_price_listings") is not None and detail.get("priced_listings") is not None:
        found.append(N_("{count} of {total} top listings sell below the reference price.",
                        count=detail["low_price_listings"], total=detail["priced_listings"]))
    if isinstance(detail.get("suggested_price"), (int, float)):
        found.append(N_("Suggested value price: {price}", price=money(detail["suggested_price"])))
    for example in detail.get("examples") or []:
        text = example.get("text") if isinstance(example, dict) else example
        if text:
            found.append(f"「{text}」")
    return lines(*found)


def _opportunity_notices(store: Store) -> list[AlertRecord]:
    notices = []
    for insight in store.insights(kind="opportunity"):
        detail = insight.detail
        theme = detail.get("theme", "?")
        share = detail.get("share")
        where = insight.keyword or insight.subject
        notices.append(AlertRecord(
            dedup_key=f"opportunity:{insight.subject}:{theme}:{insight.first_seen.date().isoformat()}",
            kind="opportunity", category="review", severity="info", subject=where,
            title=N_("Opportunity on 「{keyword}」: competitors' buyers complain about {theme}{share}", keyword=where,
                     theme=theme, share=N_(" ({share} of negative reviews)", share=format(share, ".0%"))
                     if isinstance(share, (int, float)) else ""),
            body=_opportunity_body(detail),
            evidence={"insight_id": insight.id, "platform": insight.platform, "keyword": insight.keyword,
                      **detail},
            suggestion=suggest_opportunity(theme)))
    return notices


def run(store: Store, config: Config, *, now: datetime) -> Findings:
    rules = config.thresholds.reviews
    findings = Findings()
    for product in store.products(own=True):
        reviews = store.reviews_for(product.id)
        if not reviews:
            continue
        baseline = _baseline_run(reviews)
        for review in reviews:
            if _is_new(review, baseline):
                if is_negative_review(review, max_stars=rules.negative_max_stars, max_score=rules.negative_score):
                    findings.events.append(_negative_review_event(store, product, review, config))
            elif _has_new_append(review, baseline) and judged_negative(
                    None, None, review.append_sentiment_score, max_score=rules.negative_score):
                findings.events.append(_negative_review_event(store, product, review, config, followup=True))
        found = surge(reviews, rules, now=now)
        if found is not None:
            findings.alerts.append(_surge_alert(store, product, found))
    findings.events += _opportunity_notices(store)
    return findings
