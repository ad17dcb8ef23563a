"""Insights the analysis pass records, built from what the store holds after reviews are scored and themed.

Kinds and subjects (stable names: monitors and reports read them):

- `pain_points`, subject `product:<id>`, `keyword:<term>` or `category:<name>`: theme shares among the scope's
  negative reviews (thresholds.reviews), with ranks, counts, example reviews and weekly trends; keyword and
  category scopes also cluster the negative clauses no theme explains into extra themes.
- `opportunity`, subject `keyword:<term>`: the playbook's differentiation opportunity (see `opportunity`).
- `hot_term_trend`, subject `<platform>:<term>`: a hot term that entered or left the list, jumped in rank or
  heated up between the platform's last two snapshots.
- `title_keywords`, subject `keyword:<term>`: the top words of the keyword's competitor titles.
- `title_suggestion`, subject `product:<id>:<term>`: a title for an own product of the keyword.

Every detail is plain JSON; review texts and titles in it are crawled text, to be escaped wherever rendered.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any

from competitors import PriceBand
from config import Config
from nlp import painpoints, titles, trends
from nlp.painpoints import Pair, ReviewPains, ThemeReport
from nlp.scopes import CategoryScope, KeywordScope
from nlp.text import content_words
from store import ReviewRow, Store

EXAMPLES = 3
TREND_WINDOW = timedelta(days=30)
"""Hot-term snapshots older than this are not read: trends compare the latest two, the rest is the chart."""
PAIN_POINTS = "pain_points"
OPPORTUNITY = "opportunity"
HOT_TERM_TREND = "hot_term_trend"
TITLE_KEYWORDS = "title_keywords"
TITLE_SUGGESTION = "title_suggestion"
RECOMPUTED_KINDS = (PAIN_POINTS, OPPORTUNITY, HOT_TERM_TREND, TITLE_KEYWORDS, TITLE_SUGGESTION)
"""Every pass recomputes these from the whole store, so one it did not find again no longer holds."""


# --- pain points -------------------------------------------------------------------------------------------------

def stored_pains(store: Store, reviews: Sequence[ReviewRow], *, cluster: bool) -> list[tuple[ReviewRow, ReviewPains]]:
    """Each review with the pains the pass stored for it. Only when clustering, the reviews without a stored theme
    are read again for their leftover clauses (the store keeps themes, not leftovers)."""
    pairs: dict[int, list[Pair]] = {}
    for row in store.review_themes([review.id for review in reviews]):
        pairs.setdefault(row.review_id, []).append(Pair(row.aspect, row.opinion or "", row.theme, row.clause or ""))
    analysed = []
    for review in reviews:
        found = pairs.get(review.id)
        if found:
            analysed.append((review, ReviewPains(tuple(found), (), ())))
        elif cluster:
            analysed.append((review, painpoints.analyse(review.text)))
        else:
            analysed.append((review, ReviewPains((), (), ())))
    return analysed


def pain_point_detail(scope: str, analysed: Sequence[tuple[ReviewRow, ReviewPains]], *, cluster: bool,
                      **facts: Any) -> tuple[ThemeReport, dict[str, Any]]:
    """The theme report of a scope's negative reviews and its insight detail: per theme its negative-review count,
    share, rank, example reviews (id, the clause, the whole text) and weekly trend."""
    report = painpoints.summarise_pains(analysed, examples=EXAMPLES, cluster=cluster)
    review_of_clause: dict[str, ReviewRow] = {}
    for review, pains in analysed:
        for pair in pains.pairs:
            review_of_clause.setdefault(pair.clause, review)
    themes = []
    for share in report.themes:
        examples = [{"review_id": review_of_clause[c].id, "clause": c, "text": review_of_clause[c].text}
                    for c in share.examples if c in review_of_clause]
        themes.append({"theme": share.theme, "reviews": share.reviews, "share": round(share.share, 4),
                       "rank": share.rank, "examples": examples,
                       "trend": [{"week": p.start.isoformat(), "negative_reviews": p.negative_reviews,
                                  "reviews": p.reviews, "share": round(p.share, 4)} for p in share.trend]})
    extra = [{"label": e.label, "terms": list(e.terms), "clauses": e.size, "examples": list(e.examples)}
             for e in report.extra_themes]
    detail = {"scope": scope, "negative_reviews": report.negative_reviews, "explained": report.explained,
              "themes": themes, "extra_themes": extra, **facts}
    return report, detail


def record_pain_points(store: Store, config: Config, keyword_scopes: Sequence[KeywordScope],
                       category_scopes: Sequence[CategoryScope],
                       seen_at: datetime) -> tuple[dict[str, ThemeReport], int]:
    """Pain-point insights per product (with negative reviews), keyword and category; returns the keywords'
    reports (for the opportunity rule) and how many insights were recorded."""
    limits = config.thresholds.reviews

    def negatives(product_ids: Sequence[int]) -> list[ReviewRow]:
        return store.reviews_judged_negative(product_ids, max_stars=limits.negative_max_stars,
                                             max_score=limits.negative_score)

    recorded = 0
    for product in store.products():
        found = negatives([product.id])
        if found:
            recorded += 1
            _, detail = pain_point_detail("product", stored_pains(store, found, cluster=False), cluster=False,
                                          platform=product.platform, own=product.own)
            store.upsert_insight(PAIN_POINTS, f"product:{product.id}", detail, platform=product.platform,
                                 product_id=product.id, seen_at=seen_at)
    reports = {}
    for scope in keyword_scopes:
        report, detail = pain_point_detail("keyword", stored_pains(store, negatives(scope.competitor_ids()),
                                                                   cluster=True),
                                           cluster=True, listings=len(scope.competitors), category=scope.category)
        store.upsert_insight(PAIN_POINTS, f"keyword:{scope.keyword}", detail, keyword=scope.keyword, seen_at=seen_at)
        reports[scope.keyword] = report
    for category in category_scopes:
        _, detail = pain_point_detail("category", stored_pains(store, negatives(category.product_ids), cluster=True),
                                      cluster=True, keywords=list(category.keywords),
                                      listings=len(category.product_ids))
        store.upsert_insight(PAIN_POINTS, f"category:{category.category}", detail, seen_at=seen_at)
    return reports, recorded + len(keyword_scopes) + len(category_scopes)


# --- the differentiation opportunity -----------------------------------------------------------------------------

def own_band(scope: KeywordScope) -> tuple[float, float] | None:
    """The price band our own listings of the keyword may sell in (the widest, when several carry one)."""
    bands = [(p.band_min, p.band_max) for p in scope.own if p.band_min is not None and p.band_max is not None]
    if not bands:
        return None
    return min(b[0] for b in bands), max(b[1] for b in bands)


def opportunity(scope: KeywordScope, report: ThemeReport, category: CategoryScope | None,
                config: Config) -> painpoints.Insight | None:
    """The playbook rule on a keyword (painpoints.differentiation_opportunity with config thresholds), or None.

    "Competitors mostly sell on low price" needs a yardstick, and an operator asks "cheap compared with where we
    would sell?": so a listing is low-priced below the middle of our own price band for the keyword, where a
    mid-priced offer of ours sits (a 高质中价 product is undercut by everything below it). Without an own band,
    the median of the category's whole tracked market (every listing of its keywords) stands in; the keyword's
    own top listings cannot be their own yardstick, since half of them are always below their median. With
    neither, the rule cannot be judged and gives None."""
    band = own_band(scope)
    market = list(category.prices) if band is None and category is not None else None
    if band is None and not market:
        return None
    rule = config.thresholds.opportunity
    return painpoints.differentiation_opportunity(
        scope.competitor_prices(), report, market_prices=market, own_price_band=band,
        theme_share=rule.theme_share, low_price_share=rule.low_price_share, min_reviews=rule.min_reviews,
        value_premium_pct=rule.value_premium_pct)


def record_opportunities(store: Store, config: Config, keyword_scopes: Sequence[KeywordScope],
                         category_scopes: Sequence[CategoryScope], reports: dict[str, ThemeReport],
                         seen_at: datetime) -> int:
    """An `opportunity` insight for each keyword where the rule holds; returns how many."""
    categories = {c.category: c for c in category_scopes}
    found = 0
    for scope in keyword_scopes:
        insight = opportunity(scope, reports[scope.keyword], categories.get(scope.category or ""), config)
        if insight is None:
            continue
        band = PriceBand.of(scope.competitor_prices())
        basis = "own_band_middle" if own_band(scope) else "category_market_median"
        detail = {"theme": insight.theme, "share": round(insight.share, 4), "theme_reviews": insight.theme_reviews,
                  "negative_reviews": insight.negative_reviews, "low_price_listings": insight.low_price_listings,
                  "priced_listings": insight.listings,
                  "reference": {"basis": basis, "price": insight.reference_price, "own_band": own_band(scope)},
                  "price_band": asdict(band) if band else None, "suggested_price": insight.suggested_price,
                  "value_premium_pct": config.thresholds.opportunity.value_premium_pct,
                  "examples": insight.detail["examples"], "action": insight.action,
                  "thresholds": insight.detail["thresholds"]}
        store.upsert_insight(OPPORTUNITY, f"keyword:{scope.keyword}", detail, keyword=scope.keyword, seen_at=seen_at)
        found += 1
    return found


# --- hot terms and titles ----------------------------------------------------------------------------------------

def trend_reports(store: Store, config: Config, now: datetime) -> list[trends.TrendReport]:
    rows = [row for platform in config.platforms
            for row in store.hot_term_snapshots(platform, since=now - TREND_WINDOW, until=now)]
    limits = config.thresholds.trends
    return trends.trends(trends.snapshots_from_rows(rows), rank_jump=limits.rank_jump,
                         heat_growth_pct=limits.heat_growth_pct)


def record_trends(store: Store, config: Config, reports: Sequence[trends.TrendReport], seen_at: datetime) -> int:
    """A `hot_term_trend` insight per term that moved; returns how many."""
    recorded = 0
    for report in reports:
        related: dict[str, list[str]] = {}
        for keyword in config.keywords:
            for trend in trends.related_terms(report, keyword.term, words=content_words):
                related.setdefault(trend.term, []).append(keyword.term)
        for trend in report.terms:
            if not (trend.new or trend.dropped or trend.jump or trend.heat_surge):
                continue
            detail = {"platform": report.platform, "term": trend.term, "previous_at": report.previous_at.isoformat(),
                      "latest_at": report.latest_at.isoformat(), "new": trend.new, "dropped": trend.dropped,
                      "rank_before": trend.rank_before, "rank_now": trend.rank_now, "rank_change": trend.rank_change,
                      "jump": trend.jump, "heat_before": trend.heat_before, "heat_now": trend.heat_now,
                      "heat_growth_pct": None if trend.heat_growth_pct is None else round(trend.heat_growth_pct, 1),
                      "heat_surge": trend.heat_surge, "rising": trend.rising, "rising_flag": trend.rising_flag,
                      "keywords": related.get(trend.term, []),
                      "series": [{"at": p.observed_at.isoformat(), "rank": p.rank, "heat": p.heat}
                                 for p in trend.series]}
            store.upsert_insight(HOT_TERM_TREND, f"{report.platform}:{trend.term}", detail,
                                 platform=report.platform, seen_at=seen_at)
            recorded += 1
    return recorded


def record_titles(store: Store, keyword_scopes: Sequence[KeywordScope], reports: Sequence[trends.TrendReport],
                  seen_at: datetime) -> dict[str, int]:
    """`title_keywords` per keyword and a `title_suggestion` per own product of the keyword; returns counts."""
    counts = {TITLE_KEYWORDS: 0, TITLE_SUGGESTION: 0}
    by_platform = {report.platform: report for report in reports}
    for scope in keyword_scopes:
        competitor_titles = [p.title for p in scope.competitors if p.title]
        if not competitor_titles:
            continue
        words = titles.title_keywords(competitor_titles, core_terms=(scope.keyword,))
        store.upsert_insight(TITLE_KEYWORDS, f"keyword:{scope.keyword}",
                             {"titles": len(competitor_titles), "keywords": [asdict(w) for w in words]},
                             keyword=scope.keyword, seen_at=seen_at)
        counts[TITLE_KEYWORDS] += 1
        for own in scope.own:
            if not own.title:
                continue
            platform_report = by_platform.get(own.platform)
            rising = trends.rising_terms([platform_report], scope.keyword, words=content_words) \
                if platform_report else []
            suggestion = titles.suggest_title(own.title, competitor_titles, rising, core_terms=(scope.keyword,))
            store.upsert_insight(TITLE_SUGGESTION, f"product:{own.id}:{scope.keyword}",
                                 {"current_title": own.title, "rising_terms": rising, **asdict(suggestion)},
                                 platform=own.platform, keyword=scope.keyword, product_id=own.id, seen_at=seen_at)
            counts[TITLE_SUGGESTION] += 1
    return counts
