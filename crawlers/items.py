"""What spiders hand to the item pipeline: typed, validated records of what a page showed.

Spiders only extract; `crawlers.pipelines` turns these into store writes. Values a page did not show stay None:
nothing is ever filled in (a missing price is a missing price, not 0).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal


@dataclass(frozen=True)
class HotTerm:
    rank: int
    term: str
    heat: float | None = None
    rising: bool | None = None


@dataclass(frozen=True)
class HotTermsItem:
    """One platform's hot-search ranking as one snapshot."""

    platform: str
    url: str
    terms: tuple[HotTerm, ...]


@dataclass(frozen=True)
class SearchHit:
    rank: int
    url: str
    item_id: str | None = None
    title: str | None = None
    price: Decimal | None = None
    monthly_sales: int | None = None


@dataclass(frozen=True)
class SearchPageItem:
    """One page of a keyword's search results, ranks counted across pages."""

    platform: str
    keyword: str
    url: str
    hits: tuple[SearchHit, ...]


@dataclass(frozen=True)
class ProductItem:
    """A product page: what it showed, and why it is incomplete when it lacks a price."""

    platform: str
    url: str
    item_id: str | None = None
    title: str | None = None
    description: str | None = None
    price: Decimal | None = None
    price_max: Decimal | None = None
    list_price: Decimal | None = None
    promo_price: Decimal | None = None
    currency: str | None = None
    availability: str | None = None
    stock: int | None = None
    monthly_sales: int | None = None
    rating: float | None = None
    review_count: int | None = None
    shop: str | None = None
    sku: str | None = None
    category: str | None = None  # the shop's own category as the page shows it, e.g. "食品饮料 > 营养代餐"
    rule: str | None = None
    incomplete: str | None = None

    def __post_init__(self) -> None:
        if self.price is None and not self.incomplete:
            raise ValueError(f"{self.url}: a product without a price must say why it is incomplete")
        if self.price is not None and self.price < 0:
            raise ValueError(f"{self.url}: negative price {self.price}")


@dataclass(frozen=True)
class Review:
    text: str
    review_id: str | None = None
    rating: float | None = None
    posted_at: datetime | date | None = None
    sku: str | None = None
    append: str | None = None  # the buyer's follow-up review (追评), written days after the first


@dataclass(frozen=True)
class ReviewsPageItem:
    """The reviews one page showed for one product, written together."""

    platform: str
    product_url: str
    url: str
    reviews: tuple[Review, ...] = field(default_factory=tuple)
