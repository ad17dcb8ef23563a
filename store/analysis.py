"""What the NLP stage writes back: review sentiment, pain-point themes per review, and standing insights."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from store.base import StoreBase, to_json
from store.observations import _review_row
from store.records import InsightRow, ReviewRow, ReviewThemeRecord, ReviewThemeRow, from_columns
from store.timestamps import from_db_time, to_db_time


class AnalysisMixin(StoreBase):
    def reviews_needing_sentiment(self, model: str, *, limit: int = 5000) -> list[tuple[int, str]]:
        """(review id, text) of reviews not yet scored by `model`, oldest first, at most `limit` (so a pass over
        100,000 reviews streams in batches instead of loading them all)."""
        rows = self._rows(
            "SELECT id, text FROM reviews WHERE sentiment_model IS NULL OR sentiment_model != :model"
            " ORDER BY id LIMIT :limit",
            {"model": model, "limit": limit},
        )
        return [(row["id"], row["text"]) for row in rows]

    def count_reviews_needing_sentiment(self, model: str) -> int:
        """How many reviews `reviews_needing_sentiment` has left to give for `model` (for progress displays)."""
        rows = self._rows(
            "SELECT COUNT(*) AS n FROM reviews WHERE sentiment_model IS NULL OR sentiment_model != :model",
            {"model": model},
        )
        return int(rows[0]["n"])

    def review_ratings(self, review_ids: Iterable[int]) -> dict[int, float | None]:
        """Star rating (None when the page showed none) of each of the reviews, by review id."""
        rows = self._rows(
            "SELECT id, rating FROM reviews WHERE id IN (SELECT value FROM json_each(:ids))",
            {"ids": to_json(list(review_ids), self.path, "review ids")},
        )
        return {row["id"]: row["rating"] for row in rows}

    def review_appends(self, review_ids: Iterable[int]) -> dict[int, str]:
        """The follow-up review (追评) of each of the reviews that has one, by review id."""
        rows = self._rows(
            "SELECT id, append FROM reviews WHERE append IS NOT NULL"
            " AND id IN (SELECT value FROM json_each(:ids))",
            {"ids": to_json(list(review_ids), self.path, "review ids")},
        )
        return {row["id"]: row["append"] for row in rows}

    def rated_reviews(self) -> list[tuple[str, float]]:
        """(text, stars) of every review that came with a star rating: the weak labels of `nlp train`."""
        rows = self._rows("SELECT text, rating FROM reviews WHERE rating IS NOT NULL ORDER BY id")
        return [(row["text"], row["rating"]) for row in rows]

    def newest_rated_review_id(self) -> int:
        """The id of the newest review with a star rating (0 when none): ids only grow, so it marks which rated
        reviews a model was trained on."""
        rows = self._rows("SELECT MAX(id) AS id FROM reviews WHERE rating IS NOT NULL")
        return int(rows[0]["id"] or 0)

    def count_rated_reviews_after(self, review_id: int) -> int:
        """How many reviews with a star rating were stored after the review `review_id` (all of them for 0)."""
        rows = self._rows("SELECT COUNT(*) AS n FROM reviews WHERE rating IS NOT NULL AND id > ?", (review_id,))
        return int(rows[0]["n"])

    def set_sentiments(self, scores: Iterable[tuple[int, float]], model: str) -> int:
        """Record each review's probability of being positive (label "pos" from 0.5 up) and the model that gave it."""
        count = 0
        with self.transaction():
            for review_id, score in scores:
                self._execute(
                    "UPDATE reviews SET sentiment_score = :score, sentiment_label = :label, sentiment_model = :model"
                    " WHERE id = :id",
                    {"score": float(score), "label": "pos" if score >= 0.5 else "neg", "model": model,
                     "id": review_id},
                    "recording a review sentiment",
                )
                count += 1
        return count

    def set_append_sentiments(self, scores: Iterable[tuple[int, float]]) -> None:
        """Record each follow-up review's probability of being positive (its model is its review's, set with
        `set_sentiments` in the same pass)."""
        with self.transaction():
            for review_id, score in scores:
                self._execute("UPDATE reviews SET append_sentiment_score = :score WHERE id = :id",
                              {"score": float(score), "id": review_id}, "recording a follow-up review's sentiment")

    def set_review_themes(self, review_id: int, themes: Sequence[ReviewThemeRecord],
                          *, analysed_at: datetime | None = None) -> None:
        """Replace a review's pain-point themes with `themes` (re-analysis never leaves stale ones behind)."""
        analysed = to_db_time(analysed_at or self.clock(), "review themes analysed_at")
        with self.transaction():
            self._execute("DELETE FROM review_themes WHERE review_id = ?", (review_id,), "replacing review themes")
            for theme in themes:
                self._insert("review_themes", {"review_id": review_id, "theme": theme.theme, "aspect": theme.aspect,
                                               "opinion": theme.opinion, "clause": theme.clause,
                                               "analysed_at": analysed}, "storing a review theme")

    def negative_reviews(self, product_ids: Iterable[int]) -> list[ReviewRow]:
        """The products' reviews the sentiment model called negative, oldest first."""
        rows = self._rows(
            "SELECT * FROM reviews WHERE sentiment_label = 'neg'"
            " AND product_id IN (SELECT value FROM json_each(:ids)) ORDER BY id",
            {"ids": to_json(list(product_ids), self.path, "product ids")},
        )
        return [_review_row(row) for row in rows]

    def reviews_judged_negative(self, product_ids: Iterable[int], *, max_stars: float,
                                max_score: float) -> list[ReviewRow]:
        """The products' negative reviews by the configured definition (thresholds.reviews), the rule of
        `nlp.painpoints.judged_negative` in SQL: at most `max_stars` stars, or a sentiment score below `max_score`
        for the review or its follow-up; oldest first."""
        rows = self._rows(
            "SELECT * FROM reviews WHERE product_id IN (SELECT value FROM json_each(:ids))"
            " AND (rating <= :max_stars OR sentiment_score < :max_score OR append_sentiment_score < :max_score)"
            " ORDER BY id",
            {"ids": to_json(list(product_ids), self.path, "product ids"), "max_stars": max_stars,
             "max_score": max_score},
        )
        return [_review_row(row) for row in rows]

    def review_themes(self, review_ids: Iterable[int]) -> list[ReviewThemeRow]:
        rows = self._rows(
            "SELECT * FROM review_themes WHERE review_id IN (SELECT value FROM json_each(:ids)) ORDER BY id",
            {"ids": to_json(list(review_ids), self.path, "review ids")},
        )
        return [from_columns(ReviewThemeRow, row, analysed_at=from_db_time(row["analysed_at"])) for row in rows]

    def upsert_insight(self, kind: str, subject: str, detail: dict[str, Any], *, platform: str | None = None,
                       keyword: str | None = None, product_id: int | None = None,
                       seen_at: datetime | None = None) -> int:
        """Record a finding by (kind, subject), keeping when it was first seen and refreshing its detail."""
        seen = to_db_time(seen_at or self.clock(), "insight seen_at")
        row = {"kind": kind, "subject": subject, "platform": platform, "keyword": keyword, "product_id": product_id,
               "detail": to_json(detail, self.path, f"detail of insight {kind}/{subject}"), "first_seen": seen,
               "last_seen": seen}
        with self.transaction():
            self._execute(
                "INSERT INTO insights (kind, subject, platform, keyword, product_id, detail, first_seen, last_seen)"
                " VALUES (:kind, :subject, :platform, :keyword, :product_id, :detail, :first_seen, :last_seen)"
                " ON CONFLICT (kind, subject) DO UPDATE SET detail = excluded.detail,"
                " last_seen = excluded.last_seen, platform = excluded.platform, keyword = excluded.keyword,"
                " product_id = excluded.product_id",
                row, f"recording insight {kind}/{subject}",
            )
            found = self._rows("SELECT id FROM insights WHERE kind = ? AND subject = ?", (kind, subject))
        return int(found[0]["id"])

    def retire_insights(self, kinds: Iterable[str], *, seen_at: datetime) -> int:
        """Delete the insights of `kinds` that were not refreshed at `seen_at`, and return how many.

        For kinds a pass recomputes whole (the analysis pass's, a monitor's full scan): an insight the pass did
        not find again no longer holds (an opportunity whose theme fell below 30 %, a competitor that cleaned up
        its title), and a standing insight must not outlive its facts. Alerts raised from it stay as history.
        """
        kinds = list(kinds)
        seen = to_db_time(seen_at, "insight seen_at")
        placeholders = ", ".join("?" for _ in kinds)
        with self.transaction():
            return self._execute(f"DELETE FROM insights WHERE kind IN ({placeholders}) AND last_seen <> ?",
                                 (*kinds, seen), "retiring insights that no longer hold").rowcount

    def insights(self, *, kind: str | None = None) -> list[InsightRow]:
        rows = self._rows(
            "SELECT * FROM insights WHERE (:kind IS NULL OR kind = :kind) ORDER BY last_seen DESC, id",
            {"kind": kind},
        )
        return [from_columns(InsightRow, row, detail=json.loads(row["detail"]),
                             first_seen=from_db_time(row["first_seen"]), last_seen=from_db_time(row["last_seen"]))
                for row in rows]
