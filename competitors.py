"""The competitor view of a keyword on a platform, from what the store holds: the top-N listings with their latest
prices, the keyword's price band, and where our own products sit in it.

This is the playbook's supply-side research (Top-10 competitors, price band) as data; `agent.py scan` prints it
and later stages (monitors, reports) read the same objects.
"""

from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass, field
from decimal import Decimal

from store import PriceRow, ProductRow, Store


@dataclass(frozen=True)
class Listing:
    product_id: int
    rank: int | None  # None for an own product outside the keyword's top N
    title: str | None
    shop: str | None
    url: str
    own: bool
    price: float | None
    promo_price: float | None
    monthly_sales: int | None
    rating: float | None
    review_count: int | None
    availability: str | None


@dataclass(frozen=True)
class PriceBand:
    """min / p25 / median / p75 / max of the competitors' current prices (own listings excluded)."""

    count: int
    min: float
    p25: float
    median: float
    p75: float
    max: float

    @classmethod
    def of(cls, prices: list[float]) -> PriceBand | None:
        if not prices:
            return None
        ordered = sorted(prices)
        if len(ordered) == 1:
            only = ordered[0]
            return cls(1, only, only, only, only, only)
        p25, median, p75 = statistics.quantiles(ordered, n=4, method="inclusive")
        return cls(len(ordered), ordered[0], round(p25, 2), round(median, 2), round(p75, 2), ordered[-1])

    def zone(self, price: float) -> str:
        """Where a price sits: below / low (under p25) / middle / high (over p75) / above."""
        if price < self.min:
            return "below"
        if price > self.max:
            return "above"
        if price < self.p25:
            return "low"
        if price > self.p75:
            return "high"
        return "middle"


@dataclass(frozen=True)
class OwnPosition:
    title: str | None
    url: str
    price: float
    zone: str
    cheaper_competitors: int  # how many competitors sell below this price
    rank: int | None


@dataclass
class CompetitorTable:
    keyword: str
    platform: str
    listings: list[Listing] = field(default_factory=list)
    band: PriceBand | None = None
    own: list[OwnPosition] = field(default_factory=list)

    def to_json(self) -> dict:
        return asdict(self)


def _money(value: Decimal | float | None) -> float | None:
    return None if value is None else round(float(value), 2)


def _listing(rank: int | None, product: ProductRow, price: PriceRow | None) -> Listing:
    return Listing(product_id=product.id, rank=rank, title=product.title, shop=product.shop, url=product.url, own=product.own,
                   price=_money(price.price) if price else None,
                   promo_price=_money(price.promo_price) if price else None,
                   monthly_sales=price.monthly_sales if price else None, rating=price.rating if price else None,
                   review_count=price.review_count if price else None,
                   availability=price.availability if price else None)


def competitor_table(store: Store, platform: str, keyword: str) -> CompetitorTable:
    """The latest search ranking of `keyword` on `platform`, priced, with the band and our positions.

    Own products count as ours whether or not they made the top N: an own product of the platform whose title
    contains the keyword is placed in the band too, so the operator sees it even when it ranks below the top.
    """
    hits = store.search_results(platform, keyword)
    ranked = {hit.product_id: hit.rank for hit in hits}
    own_products = [p for p in store.products(platform=platform, own=True)
                    if p.id in ranked or (p.title and keyword in p.title)]
    ids = list(ranked) + [p.id for p in own_products if p.id not in ranked]
    prices = store.latest_prices(ids)
    products = store.products_by_id(ids)
    table = CompetitorTable(keyword=keyword, platform=platform)
    table.listings = [_listing(ranked.get(pid), products[pid], prices.get(pid)) for pid in ids]
    competitors = [item.price for item in table.listings if not item.own and item.price is not None]
    table.band = PriceBand.of(competitors)
    if table.band is not None:
        for item in table.listings:
            if item.own and item.price is not None:
                table.own.append(OwnPosition(title=item.title, url=item.url, price=item.price,
                                             zone=table.band.zone(item.price),
                                             cheaper_competitors=sum(p < item.price for p in competitors),
                                             rank=item.rank))
    return table
