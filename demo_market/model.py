"""The demo marketplace's data model: what the generated world is made of.

Everything here is plain, frozen data. `demo_market.world` builds it deterministically from a seed;
`demo_market.server` renders it as three differently built shops. Nothing outside `demo_market`
imports these types: the crawlers see the marketplace only over HTTP.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

PLATFORMS = ("shangcheng", "laodian", "kuaigou")
"""shangcheng: server-rendered with schema.org JSON-LD; laodian: legacy GBK site, prices only in the DOM;
kuaigou: JavaScript single-page shop fed by XHR JSON."""


@dataclass(frozen=True)
class PainPoint:
    """A complaint theme that negative reviews of a category carry, with how often it occurs."""

    theme: str                 # normalised theme, e.g. "安全", "噪音", "质量"
    weight: float              # relative frequency among the category's negative reviews
    phrases: tuple[str, ...]   # surface forms, e.g. ("漏电", "有点漏电", "摸着麻手")


@dataclass(frozen=True)
class Category:
    key: str                   # "camping_chair"
    name: str                  # "折叠露营椅"
    keywords: tuple[str, ...]  # search keywords shoppers type, e.g. ("露营椅", "折叠椅")
    price_range: tuple[float, float]
    pain_points: tuple[PainPoint, ...]
    path: tuple[str, ...] = ()  # the shops' category tree down to it, e.g. ("食品饮料", "营养代餐", "代餐奶昔")


@dataclass(frozen=True)
class Sku:
    sku_id: str
    name: str                  # "颜色分类:军绿色;尺码:大号"
    price_delta: float         # added to the product's price for this variant


@dataclass(frozen=True)
class Violation:
    """An Advertising Law violation deliberately placed in a listing (ground truth for compliance)."""

    field: str                 # "title" or "description"
    match: str                 # the offending text, e.g. "国家级"
    start: int                 # span in that field's text
    end: int
    category: str              # "absolute" | "medical" | "efficacy" | "comparison" | "qualification"


@dataclass(frozen=True)
class Product:
    platform: str
    item_id: str               # platform item id; stable for own products whatever the seed
    category: str              # Category.key
    title: str
    description: str
    shop: str
    own: bool                  # sold by the demo operator's own shop
    base_price: float          # price at step 0 (yuan, 2 decimals)
    list_price: float          # struck-through "original" price, >= base_price
    promo_ratio: float | None  # coupon price = price * ratio, None when no coupon
    skus: tuple[Sku, ...]
    base_stock: int
    base_monthly_sales: int
    rating: float              # 1.0 - 5.0 shop score for the item at step 0
    cost: float | None = None             # own products only
    band: tuple[float, float] | None = None  # own products only: allowed price band
    safety_stock: int | None = None       # own products only
    violations: tuple[Violation, ...] = ()
    tricky_clean: bool = False  # contains 最近/第一次-style words that are not violations


@dataclass(frozen=True)
class Review:
    platform: str
    review_id: str
    item_id: str
    text: str
    rating: int                # stars 1-5
    posted_at: datetime        # scenario time (timezone-aware, +08:00)
    sku: str                   # the variant name bought
    step: int                  # first scenario step at which the review is visible (0 = from the start)
    sentiment: str             # ground truth of the review with its follow-up: "pos" | "neg" | "neutral"
    themes: tuple[str, ...] = ()  # injected pain-point themes (ground truth), empty for positive ones
    append: str | None = None  # the buyer's follow-up review (追评), shown apart from the text as shops do


@dataclass(frozen=True)
class ProductState:
    """A product as the shop shows it at one scenario step."""

    price: float               # current price (lowest SKU)
    price_max: float           # highest SKU price; equals price when there is one SKU
    list_price: float
    promo_price: float | None
    stock: int
    monthly_sales: int
    rating: float
    review_count: int

    @property
    def available(self) -> bool:
        return self.stock > 0


@dataclass(frozen=True)
class HotTerm:
    rank: int
    term: str
    heat: int                  # heat index
    rising: bool


@dataclass(frozen=True)
class Event:
    """A scripted scenario change that monitors are expected to notice."""

    step: int
    kind: str                  # "competitor_undercut" | "below_cost" | "price_restored" | "negative_burst" |
                               # "own_negative_review" | "stock_out" | "restocked" | "own_low_stock" |
                               # "own_title_violation" | "hot_term_new" | "hot_term_dropped" | "price_jitter"
    platform: str
    item_id: str | None
    detail: dict = field(default_factory=dict)
