"""The analyse stage between the store and the monitors: one pass that scores, themes and sums up stored reviews.

    from nlp.analysis import analyse
    report = analyse(store, config)          # after a crawl; `agent.py nlp analyse` runs the same

1. Every review the current sentiment model has not scored is scored, in batches of BATCH read from the store
   and written back in one transaction each, so 100,000 reviews never sit in memory at once and a killed pass
   loses one batch at most.
2. In the same transaction, the pain-point themes of the batch's reviews are replaced: negative reviews
   (thresholds.reviews: at most negative_max_stars stars, or a score below negative_score) and mixed ones, whose
   complaint sits in a clause after a contrast word (外观好看，就是噪音有点大) or which the model scores negative
   despite their stars. Tying themes to scoring makes "not yet analysed" exact: a review is analysed once per
   model, and a new model re-scores and re-themes everything. A second pass finds nothing to do.
3. Insights (nlp.insights) are recomputed from the stored scores and themes and upserted by (kind, subject), so
   a second pass refreshes them without adding any. Once all are recorded, those of an earlier pass that this
   one did not find again are deleted: they no longer hold. A pass that fails midway deletes none.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from config import Config
from nlp import corpus, insights, painpoints, scopes, sentiment
from nlp.sentiment import SentimentModel
from store import ReviewThemeRecord, Store

BATCH = 2048
MIXED = re.compile(r"但|就是|不过|可是|然而|只是|可惜|美中不足|缺点|唯一")
"""Contrast words that join praise to a complaint in one review; a positive review without one is not read."""

Progress = Callable[[str, int, int | None], None]
"""progress(stage, done, total): stage "scoring" counts reviews (total known), "insights" counts kinds done."""


@dataclass
class AnalysisReport:
    """What one pass did, for a summary line or `--json`."""

    model: str
    reviews_scored: int = 0
    negative_reviews: int = 0            # of the scored reviews, negative by the configured definition
    reviews_themed: int = 0              # scored reviews whose text was read for pain points (negative or mixed)
    reviews_with_themes: int = 0
    themes_stored: int = 0               # (aspect, opinion, theme) rows written
    insights: dict[str, int] = field(default_factory=dict)   # by kind
    insights_retired: int = 0            # recorded by an earlier pass, no longer holding, deleted
    seconds: float = 0.0


def models_directory(config: Config) -> Path:
    """Where `nlp train` stores the model: models/ under the config's var_dir."""
    return config.paths.var_dir / "models"


def load_model(config: Config) -> SentimentModel:
    """The current model `nlp train` stored under the config's var_dir; else the one `make` set-up built into the
    installation's var/models/ (so a config with a var_dir of its own, as in tests, does not train again); else
    one trained now into the config's var_dir (corpus.CorpusUnavailable when the corpus cannot be fetched)."""
    return stored_model(config) or sentiment.ensure_model(models_directory(config), corpus.DEFAULT_CACHE)


def stored_model(config: Config) -> SentimentModel | None:
    """The current model of the config's models directory, else the installation's; None when neither has one."""
    for directory in dict.fromkeys((models_directory(config), sentiment.DEFAULT_MODELS)):
        try:
            return sentiment.load(directory)
        except sentiment.ModelUnavailable:
            continue
    return None


def analyse(store: Store, config: Config, *, now: datetime | None = None, progress: Progress | None = None,
            model: SentimentModel | None = None) -> AnalysisReport:
    """Score, theme and sum up the store's reviews (see the module docstring); `model` defaults to `load_model`."""
    started = time.monotonic()
    now = now or store.clock()
    model = model or load_model(config)
    report = AnalysisReport(model=model.version)
    score_and_theme(store, model, config, now, report, progress)
    record_insights(store, config, now, report, progress)
    report.seconds = round(time.monotonic() - started, 2)
    return report


def is_negative(rating: float | None, score: float, config: Config, append_score: float | None = None) -> bool:
    """`painpoints.judged_negative` with the config's thresholds."""
    limits = config.thresholds.reviews
    return painpoints.judged_negative(rating, score, append_score, max_stars=limits.negative_max_stars,
                                      max_score=limits.negative_score)


def needs_reading(text: str, negative: bool, score: float) -> bool:
    """Whether a review's text is read for pain points: negative, scored negative, or praise with a 'but'."""
    return negative or score < 0.5 or MIXED.search(text) is not None


def score_and_theme(store: Store, model: SentimentModel, config: Config, now: datetime, report: AnalysisReport,
                    progress: Progress | None) -> None:
    total = store.count_reviews_needing_sentiment(model.scoring_version)
    if progress:
        progress("scoring", 0, total)
    while batch := store.reviews_needing_sentiment(model.scoring_version, limit=BATCH):
        ids = [review_id for review_id, _ in batch]
        scores = model.score(text for _, text in batch)
        ratings = store.review_ratings(ids)
        appends = store.review_appends(ids)
        append_scores = dict(zip(appends, model.score(appends.values())))
        themes = {}
        for (review_id, text), score in zip(batch, scores):
            append = appends.get(review_id)
            negative = is_negative(ratings.get(review_id), score, config, append_scores.get(review_id))
            # a follow-up is read like a review of its own: a good review may turn sour in its 追评
            read = needs_reading(text, negative, score)
            read_append = append is not None and needs_reading(append, negative, append_scores[review_id])
            themes[review_id] = ((review_themes(text) if read else [])
                                 + (review_themes(append) if read_append else []))
            report.negative_reviews += negative
            report.reviews_themed += read or read_append
        with store.transaction():
            store.set_sentiments(zip(ids, scores), model.scoring_version)
            store.set_append_sentiments(append_scores.items())
            for review_id, found in themes.items():
                store.set_review_themes(review_id, found, analysed_at=now)
        report.reviews_scored += len(batch)
        report.reviews_with_themes += sum(1 for found in themes.values() if found)
        report.themes_stored += sum(len(found) for found in themes.values())
        if progress:
            progress("scoring", report.reviews_scored, total)


def review_themes(text: str) -> list[ReviewThemeRecord]:
    """The themed (aspect, opinion) pairs of a review's negative clauses, as stored."""
    return [ReviewThemeRecord(theme=pair.theme, aspect=pair.aspect, opinion=pair.opinion or None,
                              clause=pair.clause or None)
            for pair in painpoints.analyse(text).pairs if pair.theme]


def record_insights(store: Store, config: Config, now: datetime, report: AnalysisReport,
                    progress: Progress | None) -> None:
    """Each insight is its own short write (no transaction spans the whole step), so crawls writing meanwhile
    are not held up by title extraction or clustering."""
    keyword_scopes = scopes.keyword_scopes(store, config)
    category_scopes = scopes.category_scopes(keyword_scopes)
    steps = 4
    if progress:
        progress("insights", 0, steps)
    theme_reports, report.insights[insights.PAIN_POINTS] = insights.record_pain_points(
        store, config, keyword_scopes, category_scopes, now)
    if progress:
        progress("insights", 1, steps)
    report.insights[insights.OPPORTUNITY] = insights.record_opportunities(
        store, config, keyword_scopes, category_scopes, theme_reports, now)
    if progress:
        progress("insights", 2, steps)
    trend_reports = insights.trend_reports(store, config, now)
    report.insights[insights.HOT_TERM_TREND] = insights.record_trends(store, config, trend_reports, now)
    if progress:
        progress("insights", 3, steps)
    report.insights |= insights.record_titles(store, keyword_scopes, trend_reports, now)
    report.insights_retired = store.retire_insights(insights.RECOMPUTED_KINDS, seen_at=now)
    if progress:
        progress("insights", 4, steps)
