"""The review sets the analysis pass reports on: each product, each keyword's competitor set, each category.

A keyword's competitor set is its latest top listings on every platform it is searched on (own listings left
out); its own products are ours on those platforms that made the ranking or whose title names the keyword (as in
competitors.competitor_table). A category (keywords' `category` in config.toml) pools its keywords' sets.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from config import Config
from store import ProductRow, Store


@dataclass(frozen=True)
class KeywordScope:
    keyword: str
    category: str | None
    competitors: tuple[ProductRow, ...]
    own: tuple[ProductRow, ...]
    prices: dict[int, float]          # latest price by product id, for the listings that have one

    def competitor_prices(self) -> list[float]:
        return [self.prices[p.id] for p in self.competitors if p.id in self.prices]

    def competitor_ids(self) -> list[int]:
        return [p.id for p in self.competitors]


@dataclass(frozen=True)
class CategoryScope:
    category: str
    keywords: tuple[str, ...]
    product_ids: tuple[int, ...]      # competitors of all its keywords, each once
    prices: tuple[float, ...]         # their latest prices: the category's market


def keyword_scopes(store: Store, config: Config) -> list[KeywordScope]:
    """One scope per configured keyword with at least one stored search result."""
    own_products = store.products(own=True)
    scopes = []
    for keyword in config.keywords:
        ranked: dict[int, None] = {}
        for platform in keyword.platforms:
            ranked.update(dict.fromkeys(hit.product_id for hit in store.search_results(platform, keyword.term)))
        if not ranked:
            continue
        listed = [store.get_product(product_id) for product_id in ranked]
        own = [p for p in own_products if p.platform in keyword.platforms
               and (p.id in ranked or (p.title is not None and keyword.term in p.title))]
        competitors = tuple(p for p in listed if not p.own)
        prices = {pid: float(row.price) for pid, row in
                  store.latest_prices([p.id for p in competitors] + [p.id for p in own]).items()}
        scopes.append(KeywordScope(keyword.term, keyword.category, competitors, tuple(own), prices))
    return scopes


def category_scopes(keywords: Sequence[KeywordScope]) -> list[CategoryScope]:
    """One scope per category named by at least one keyword scope, in order of first mention."""
    grouped: dict[str, list[KeywordScope]] = {}
    for scope in keywords:
        if scope.category:
            grouped.setdefault(scope.category, []).append(scope)
    result = []
    for category, members in grouped.items():
        prices: dict[int, float] = {}
        ids: dict[int, None] = {}
        for scope in members:
            ids.update(dict.fromkeys(scope.competitor_ids()))
            prices.update({pid: scope.prices[pid] for pid in scope.competitor_ids() if pid in scope.prices})
        result.append(CategoryScope(category, tuple(s.keyword for s in members), tuple(ids), tuple(prices.values())))
    return result
