"""Products and the keyword searches that list them: who sells what, and where it ranks."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from store.base import StoreBase
from store.errors import NotFoundError, ProductConflictError
from store.records import ProductRecord, ProductRow, SearchHit, SearchResultRow, from_columns
from store.timestamps import from_db_time, to_db_time

_UPDATE_PRODUCT = """
UPDATE products SET
    url = :url,
    item_id = COALESCE(:item_id, item_id),
    title = COALESCE(:title, title),
    description = COALESCE(:description, description),
    shop = COALESCE(:shop, shop),
    category = COALESCE(:category, category),
    own = COALESCE(:own, own),
    cost = COALESCE(:cost, cost),
    band_min = COALESCE(:band_min, band_min),
    band_max = COALESCE(:band_max, band_max),
    safety_stock = COALESCE(:safety_stock, safety_stock),
    first_seen = MIN(first_seen, :seen),
    last_seen = MAX(last_seen, :seen)
WHERE id = :id
"""


class SearchRun(NamedTuple):
    """One crawl run's search of a keyword on a platform: when it looked, and the id of its last result row."""

    run_id: int
    observed_at: datetime
    last_result_id: int


def _product_row(row: dict[str, Any]) -> ProductRow:
    return from_columns(
        ProductRow,
        row,
        own=bool(row["own"]),
        first_seen=from_db_time(row["first_seen"]),
        last_seen=from_db_time(row["last_seen"]),
    )


def _search_row(row: dict[str, Any]) -> SearchResultRow:
    return from_columns(SearchResultRow, row, observed_at=from_db_time(row["observed_at"]))


class CatalogMixin(StoreBase):
    def upsert_product(self, record: ProductRecord) -> int:
        """Insert or update a product and return its id; the same record again finds the same row (adding none).

        The product is found by (platform, item_id) when the record has an item id, else by url. A match by
        url fills in a missing item id; a match by item id takes the record's url (listings move). If the
        item id and the url point at two different stored products, ProductConflictError is raised rather
        than merging them silently.
        """
        seen = to_db_time(record.seen_at or self.clock(), "ProductRecord.seen_at")
        params = {
            "platform": record.platform,
            "url": record.url,
            "item_id": record.item_id,
            "title": record.title,
            "description": record.description,
            "shop": record.shop,
            "category": record.category,
            "own": None if record.own is None else int(record.own),
            "cost": record.cost,
            "band_min": record.band_min,
            "band_max": record.band_max,
            "safety_stock": record.safety_stock,
        }
        with self.transaction():
            existing = self._matching_product(record)
            if existing is None:
                row = {**params, "own": params["own"] or 0, "first_seen": seen, "last_seen": seen}
                return self._insert("products", row, f"inserting product {record.url}")
            self._execute(_UPDATE_PRODUCT, {**params, "seen": seen, "id": existing}, f"updating product {existing}")
            return existing

    def _matching_product(self, record: ProductRecord) -> int | None:
        by_url = self._rows("SELECT id, platform, item_id FROM products WHERE url = ?", (record.url,))
        by_item = (
            self._rows(
                "SELECT id FROM products WHERE platform = ? AND item_id = ?", (record.platform, record.item_id)
            )
            if record.item_id is not None
            else []
        )
        if by_item:
            item_match = int(by_item[0]["id"])
            if by_url and by_url[0]["id"] != item_match:
                raise ProductConflictError(
                    f"{self.path}: {record.platform} item {record.item_id} is product {item_match}, but its url "
                    f"{record.url} belongs to product {by_url[0]['id']}"
                )
            return item_match
        if not by_url:
            return None
        url_match = by_url[0]
        if url_match["platform"] != record.platform or (
            record.item_id is not None and url_match["item_id"] is not None
        ):
            raise ProductConflictError(
                f"{self.path}: url {record.url} belongs to product {url_match['id']} "
                f"({url_match['platform']} item {url_match['item_id']}), not to {record.platform} item "
                f"{record.item_id}"
            )
        return int(url_match["id"])

    def get_product(self, product_id: int) -> ProductRow:
        """One product by id; NotFoundError if there is none."""
        rows = self._rows("SELECT * FROM products WHERE id = ?", (product_id,))
        if not rows:
            raise NotFoundError(f"{self.path}: no product with id {product_id}")
        return _product_row(rows[0])

    def product_names(self, product_ids: Iterable[int]) -> dict[int, str]:
        """What to call each stored product among `product_ids`: its title, else its URL (unknown ids absent)."""
        rows = self._rows("SELECT id, COALESCE(title, url) AS name FROM products"
                          " WHERE id IN (SELECT value FROM json_each(?))", (json.dumps(list(product_ids)),))
        return {row["id"]: row["name"] for row in rows}

    def products(self, *, platform: str | None = None, own: bool | None = None) -> list[ProductRow]:
        """Stored products by id, optionally only one platform's and/or only own (or only competitors')."""
        rows = self._rows(
            "SELECT * FROM products WHERE (:platform IS NULL OR platform = :platform)"
            " AND (:own IS NULL OR own = :own) ORDER BY id",
            {"platform": platform, "own": None if own is None else int(own)},
        )
        return [_product_row(row) for row in rows]

    def add_search_results(
        self,
        platform: str,
        keyword: str,
        hits: Sequence[SearchHit],
        *,
        run_id: int | None = None,
        observed_at: datetime | None = None,
    ) -> int:
        """Store one keyword's result page (hits sharing one observed_at) and return how many were stored.

        The products must be upserted first. A rank repeated within the page raises ConstraintError and
        stores none of the page.
        """
        observed = to_db_time(observed_at or self.clock(), "search results observed_at")
        with self.transaction():
            for hit in hits:
                row = {
                    "run_id": run_id,
                    "platform": platform,
                    "keyword": keyword,
                    "rank": hit.rank,
                    "product_id": hit.product_id,
                    "observed_at": observed,
                }
                self._insert("search_results", row, f"storing search result {keyword!r} #{hit.rank}")
        return len(hits)

    def searched_keywords(self) -> list[tuple[str, str]]:
        """Every (platform, keyword) pair with stored search results."""
        rows = self._rows("SELECT DISTINCT platform, keyword FROM search_results ORDER BY platform, keyword")
        return [(row["platform"], row["keyword"]) for row in rows]

    def keywords_by_product(self) -> dict[int, frozenset[str]]:
        """Product id -> the keywords whose stored search results ever listed it (products never found by a search
        are left out)."""
        rows = self._rows("SELECT DISTINCT product_id, keyword FROM search_results")
        found: dict[int, set[str]] = {}
        for row in rows:
            found.setdefault(int(row["product_id"]), set()).add(row["keyword"])
        return {product_id: frozenset(keywords) for product_id, keywords in found.items()}

    def search_runs(self, platform: str, keyword: str, *, after: int | None = None) -> list[SearchRun]:
        """The crawl runs that searched `keyword` on `platform`, oldest first. With `after` (a search-result row id,
        a monitor's watermark), only the runs that stored a result after it, and the run before the first of them,
        which they are compared with."""
        rows = self._rows(
            "SELECT run_id, observed_at, last_result_id FROM (SELECT run_id, MAX(observed_at) AS observed_at,"
            " MAX(id) AS last_result_id, LEAD(MAX(id)) OVER (ORDER BY run_id) AS next_result_id"
            " FROM search_results WHERE platform = :platform AND keyword = :keyword AND run_id IS NOT NULL"
            " GROUP BY run_id)"
            " WHERE :after IS NULL OR last_result_id > :after OR next_result_id > :after ORDER BY run_id",
            {"platform": platform, "keyword": keyword, "after": after},
        )
        return [SearchRun(int(row["run_id"]), from_db_time(row["observed_at"]), int(row["last_result_id"]))
                for row in rows]

    def search_results(self, platform: str, keyword: str, *, run_id: int | None = None) -> list[SearchResultRow]:
        """A keyword's ranking by rank: from run `run_id`, or else the most recently observed page."""
        if run_id is None:
            sql = (
                "SELECT * FROM search_results WHERE platform = :platform AND keyword = :keyword"
                " AND observed_at = (SELECT MAX(observed_at) FROM search_results"
                " WHERE platform = :platform AND keyword = :keyword) ORDER BY rank"
            )
        else:
            sql = (
                "SELECT * FROM search_results WHERE platform = :platform AND keyword = :keyword"
                " AND run_id = :run_id ORDER BY observed_at, rank"
            )
        rows = self._rows(sql, {"platform": platform, "keyword": keyword, "run_id": run_id})
        return [_search_row(row) for row in rows]
