"""Read-only queries for the HTML report: what a period of monitoring left in the store, fetched in a few queries
rather than one per product, so a report over a few hundred products stays quick."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from store.alerts import _alert_row  # the one converter of alert rows, kept beside the alerts table
from store.base import StoreBase, to_json
from store.catalog import _product_row
from store.observations import _price_row
from store.records import AlertRow, PriceRow, ProductRow, RunRow
from store.runs import _run_row
from store.timestamps import from_db_time, to_db_time


@dataclass(frozen=True, kw_only=True)
class ListedProduct:
    """A product a keyword search listed during a period, with the rank and time of its latest listing then."""

    platform: str
    keyword: str
    product_id: int
    rank: int
    observed_at: datetime


@dataclass(frozen=True, kw_only=True)
class DeliveryTally:
    """How many of an alert's planned deliveries went out and how many still wait in the outbox."""

    sent: int
    pending: int


@dataclass(frozen=True, kw_only=True)
class StoreCounts:
    products: int
    own_products: int
    reviews: int
    price_observations: int


class ReportingMixin(StoreBase):
    def products_by_id(self, product_ids: Iterable[int]) -> dict[int, ProductRow]:
        """The stored products among `product_ids`, by id (unknown ids are simply absent)."""
        rows = self._rows(
            "SELECT * FROM products WHERE id IN (SELECT value FROM json_each(:ids))",
            {"ids": to_json(list(product_ids), self.path, "product ids")},
        )
        return {row["id"]: _product_row(row) for row in rows}

    def listings_between(self, since: datetime, until: datetime, *, platform: str | None = None,
                         keyword: str | None = None) -> list[ListedProduct]:
        """Every (platform, keyword, product) a search listed within [since, until], with its latest listing then;
        by platform, keyword and that listing's rank. Optionally of one platform and/or keyword only."""
        rows = self._rows(
            "SELECT platform, keyword, product_id, rank, observed_at FROM (SELECT *, ROW_NUMBER() OVER"
            " (PARTITION BY platform, keyword, product_id ORDER BY observed_at DESC, id DESC) AS recency"
            " FROM search_results WHERE observed_at >= :since AND observed_at <= :until"
            " AND (:platform IS NULL OR platform = :platform) AND (:keyword IS NULL OR keyword = :keyword))"
            " WHERE recency = 1 ORDER BY platform, keyword, rank, observed_at DESC",
            {"since": to_db_time(since, "since"), "until": to_db_time(until, "until"), "platform": platform,
             "keyword": keyword},
        )
        return [ListedProduct(platform=row["platform"], keyword=row["keyword"], product_id=row["product_id"],
                              rank=row["rank"], observed_at=from_db_time(row["observed_at"])) for row in rows]

    def price_histories(self, product_ids: Iterable[int], *, since: datetime,
                        until: datetime) -> dict[int, list[PriceRow]]:
        """The products' observations within [since, until] in time order, by product id (none: absent)."""
        rows = self._rows(
            "SELECT * FROM price_observations WHERE product_id IN (SELECT value FROM json_each(:ids))"
            " AND observed_at >= :since AND observed_at <= :until ORDER BY product_id, observed_at, id",
            {"ids": to_json(list(product_ids), self.path, "product ids"), "since": to_db_time(since, "since"),
             "until": to_db_time(until, "until")},
        )
        histories: dict[int, list[PriceRow]] = {}
        for row in rows:
            histories.setdefault(row["product_id"], []).append(_price_row(row))
        return histories

    def hot_term_platforms(self) -> list[str]:
        """The platforms with stored hot-term snapshots."""
        return [row["platform"] for row in self._rows("SELECT DISTINCT platform FROM hot_term_snapshots"
                                                      " ORDER BY platform")]

    def alerts_between(self, since: datetime, until: datetime) -> list[AlertRow]:
        """Alerts raised within [since, until], newest first."""
        rows = self._rows(
            "SELECT * FROM alerts WHERE created_at >= :since AND created_at <= :until"
            " ORDER BY created_at DESC, id DESC",
            {"since": to_db_time(since, "since"), "until": to_db_time(until, "until")},
        )
        return [_alert_row(row, self.path) for row in rows]

    def delivery_tallies(self, alert_ids: Iterable[int]) -> dict[int, DeliveryTally]:
        """Sent and pending deliveries of each of the alerts that has any planned, by alert id."""
        rows = self._rows(
            "SELECT alert_id, SUM(state = 'sent') AS sent, SUM(state = 'pending') AS pending FROM deliveries"
            " WHERE alert_id IN (SELECT value FROM json_each(:ids)) GROUP BY alert_id",
            {"ids": to_json(list(alert_ids), self.path, "alert ids")},
        )
        return {row["alert_id"]: DeliveryTally(sent=row["sent"], pending=row["pending"]) for row in rows}

    def latest_runs(self) -> list[RunRow]:
        """The latest crawl run of each (kind, platform), by kind and platform."""
        rows = self._rows(
            "SELECT * FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY kind, platform"
            " ORDER BY started_at DESC, id DESC) AS recency FROM crawl_runs)"
            " WHERE recency = 1 ORDER BY kind, platform"
        )
        return [_run_row(row) for row in rows]

    def store_counts(self, *, since: datetime, until: datetime) -> StoreCounts:
        """How much the store holds: products (own ones too), reviews, and price observations within the period."""
        [row] = self._rows(
            "SELECT (SELECT COUNT(*) FROM products) AS products,"
            " (SELECT COUNT(*) FROM products WHERE own = 1) AS own_products,"
            " (SELECT COUNT(*) FROM reviews) AS reviews,"
            " (SELECT COUNT(*) FROM price_observations WHERE observed_at >= :since AND observed_at <= :until)"
            " AS price_observations",
            {"since": to_db_time(since, "since"), "until": to_db_time(until, "until")},
        )
        return StoreCounts(**row)
