"""Time series the crawlers observe: prices and stock per product, reviews, and hot-search snapshots."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import fields
from datetime import datetime
from typing import Any

from store.base import StoreBase, to_json
from store.errors import NotFoundError
from store.records import (
    HotTermRecord,
    HotTermRow,
    PriceObservation,
    PriceRow,
    ReviewRecord,
    ReviewRow,
    from_columns,
    review_key,
)
from store.timestamps import from_db_day_or_time, from_db_time, to_db_day_or_time, to_db_time

_PRICE_FIELDS = tuple(f.name for f in fields(PriceObservation) if f.name != "observed_at")


def _price_row(row: dict[str, Any]) -> PriceRow:
    return from_columns(PriceRow, row, observed_at=from_db_time(row["observed_at"]))


def _review_row(row: dict[str, Any]) -> ReviewRow:
    return from_columns(
        ReviewRow,
        row,
        posted_at=from_db_day_or_time(row["posted_at"]),
        crawled_at=from_db_time(row["crawled_at"]),
        append_crawled_at=None if row["append_crawled_at"] is None else from_db_time(row["append_crawled_at"]),
    )


def _hot_term_row(row: dict[str, Any]) -> HotTermRow:
    rising = None if row["rising"] is None else bool(row["rising"])
    return from_columns(HotTermRow, row, rising=rising, observed_at=from_db_time(row["observed_at"]))


def _optional_time(value: datetime | None, what: str) -> str | None:
    return None if value is None else to_db_time(value, what)


class ObservationsMixin(StoreBase):
    def add_price_observation(
        self, product_id: int, observation: PriceObservation, *, run_id: int | None = None
    ) -> int:
        """Append one price/stock observation of a product and return its id (observed now unless given)."""
        row = {name: getattr(observation, name) for name in _PRICE_FIELDS}
        row.update(
            product_id=product_id,
            run_id=run_id,
            observed_at=to_db_time(observation.observed_at or self.clock(), "PriceObservation.observed_at"),
        )
        with self.transaction():
            self._product_platform(product_id)
            return self._insert("price_observations", row, f"storing a price of product {product_id}")

    def latest_prices(self, product_ids: Iterable[int] | None = None, *,
                      before: datetime | None = None) -> dict[int, PriceRow]:
        """The most recent observation of each product (of the given ones, or of all), keyed by product id;
        with `before`, the most recent one observed before that moment (what was known then)."""
        return {pid: rows[0] for pid, rows in self.recent_prices(product_ids, limit=1, before=before).items()}

    def recent_prices(self, product_ids: Iterable[int] | None = None, *, limit: int,
                      before: datetime | None = None, after: int | None = None) -> dict[int, list[PriceRow]]:
        """Up to `limit` latest observations of each product, newest first (only those observed before `before`
        when given): what debouncing a price change needs without reading a product's whole history. With
        `after` (an observation id, a monitor's watermark), a product's history reaches further back: `limit`
        observations more than it has observations stored after that id, so each of those can be judged with
        the `limit` observations up to it."""
        ids = None if product_ids is None else to_json(list(product_ids), self.path, "product ids")
        rows = self._rows(
            "SELECT * FROM (SELECT *, ROW_NUMBER() OVER"
            " (PARTITION BY product_id ORDER BY observed_at DESC, id DESC) AS recency,"
            " SUM(:after IS NOT NULL AND id > :after) OVER (PARTITION BY product_id) AS unevaluated"
            " FROM price_observations"
            " WHERE (:ids IS NULL OR product_id IN (SELECT value FROM json_each(:ids)))"
            " AND (:before IS NULL OR observed_at < :before))"
            " WHERE recency <= :limit + unevaluated ORDER BY product_id, recency",
            {"ids": ids, "limit": limit, "before": _optional_time(before, "before"), "after": after},
        )
        found: dict[int, list[PriceRow]] = {}
        for row in rows:
            found.setdefault(row["product_id"], []).append(_price_row(row))
        return found

    def price_history(self, product_id: int, *, since: datetime | None = None) -> list[PriceRow]:
        """A product's observations in time order, optionally only those at or after `since`."""
        rows = self._rows(
            "SELECT * FROM price_observations WHERE product_id = :product_id"
            " AND (:since IS NULL OR observed_at >= :since) ORDER BY observed_at, id",
            {"product_id": product_id, "since": _optional_time(since, "since")},
        )
        return [_price_row(row) for row in rows]

    def add_reviews(
        self,
        product_id: int,
        reviews: Iterable[ReviewRecord],
        *,
        run_id: int | None = None,
        crawled_at: datetime | None = None,
    ) -> int:
        """Store a product's reviews, skipping those already stored, and return how many were new.

        Dedup is by `review_key` (platform review id, else a content hash; see `records.review_key`), so
        re-crawling a review page is harmless and the count tells monitors how many reviews are really new.
        A stored review that now shows a follow-up (追评) it did not have gets it (`add_appends`).
        """
        crawled = to_db_time(crawled_at or self.clock(), "crawled_at")
        with self.transaction():
            platform = self._product_platform(product_id)
            rows = [
                {
                    "product_id": product_id,
                    "platform": platform,
                    "review_key": review_key(platform, product_id, review),
                    "review_id": review.review_id,
                    "text": review.text,
                    "rating": review.rating,
                    "sku": review.sku,
                    "posted_at": None
                    if review.posted_at is None
                    else to_db_day_or_time(review.posted_at, "ReviewRecord.posted_at"),
                    "crawled_at": crawled,
                    "run_id": run_id,
                    "append": review.append,
                    "append_crawled_at": None if review.append is None else crawled,
                    "append_run_id": None if review.append is None else run_id,
                }
                for review in reviews
            ]
            new = self._insert_new("reviews", rows, "review_key", f"storing reviews of product {product_id}")
            self._add_appends(product_id, rows)
            return new

    def _add_appends(self, product_id: int, rows: Sequence[dict[str, Any]]) -> None:
        """Give stored reviews the follow-ups they lacked (new rows have theirs already). Their sentiment model is
        cleared, so the next analysis pass scores the follow-up (and the review with it) and reads its pains.
        A follow-up is written once: a page showing a different one later does not replace it."""
        for row in rows:
            if row["append"] is not None:
                self._execute(
                    "UPDATE reviews SET append = :append, append_crawled_at = :append_crawled_at,"
                    " append_run_id = :append_run_id, sentiment_model = NULL"
                    " WHERE review_key = :review_key AND append IS NULL",
                    {key: row[key] for key in ("review_key", "append", "append_crawled_at", "append_run_id")},
                    f"storing a follow-up review of product {product_id}")

    def reviews_for(self, product_id: int, *, since: datetime | None = None) -> list[ReviewRow]:
        """A product's reviews in the order they were crawled, optionally only those crawled at/after `since`."""
        rows = self._rows(
            "SELECT * FROM reviews WHERE product_id = :product_id"
            " AND (:since IS NULL OR crawled_at >= :since) ORDER BY crawled_at, id",
            {"product_id": product_id, "since": _optional_time(since, "since")},
        )
        return [_review_row(row) for row in rows]

    def stored_review_ids(self, platform: str | None = None) -> dict[str, set[str]]:
        """Platform review ids already stored, by product URL: what an incremental review crawl stops at."""
        rows = self._rows(
            "SELECT p.url AS url, r.review_id AS review_id FROM reviews r JOIN products p ON p.id = r.product_id"
            " WHERE r.review_id IS NOT NULL AND (:platform IS NULL OR p.platform = :platform)",
            {"platform": platform},
        )
        known: dict[str, set[str]] = {}
        for row in rows:
            known.setdefault(row["url"], set()).add(row["review_id"])
        return known

    def add_hot_terms(
        self,
        platform: str,
        terms: Sequence[HotTermRecord],
        *,
        run_id: int | None = None,
        observed_at: datetime | None = None,
    ) -> int:
        """Store one snapshot of a platform's hot-search list (all terms share observed_at); return its size.

        A rank repeated within the snapshot raises ConstraintError and stores none of it.
        """
        observed = to_db_time(observed_at or self.clock(), "hot terms observed_at")
        with self.transaction():
            for term in terms:
                row = {
                    "platform": platform,
                    "run_id": run_id,
                    "observed_at": observed,
                    "rank": term.rank,
                    "term": term.term,
                    "heat": term.heat,
                    "rising": None if term.rising is None else int(term.rising),
                }
                self._insert("hot_term_snapshots", row, f"storing hot term #{term.rank} of {platform}")
        return len(terms)

    def hot_term_snapshots(
        self, platform: str, *, since: datetime | None = None, until: datetime | None = None
    ) -> list[HotTermRow]:
        """A platform's hot-term entries in time then rank order, optionally within [since, until]."""
        rows = self._rows(
            "SELECT * FROM hot_term_snapshots WHERE platform = :platform"
            " AND (:since IS NULL OR observed_at >= :since) AND (:until IS NULL OR observed_at <= :until)"
            " ORDER BY observed_at, rank",
            {
                "platform": platform,
                "since": _optional_time(since, "since"),
                "until": _optional_time(until, "until"),
            },
        )
        return [_hot_term_row(row) for row in rows]

    def _product_platform(self, product_id: int) -> str:
        """The platform of a stored product; NotFoundError (naming the id) if it is not stored."""
        rows = self._rows("SELECT platform FROM products WHERE id = ?", (product_id,))
        if not rows:
            raise NotFoundError(f"{self.path}: no product with id {product_id}")
        return str(rows[0]["platform"])
