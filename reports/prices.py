"""Price history of a period: our products and each keyword's tracked competitors, against the competitor band.

A keyword's band is per platform, as `agent.py scan` prints it: the competitors a search of the keyword listed on
that platform during the period (own listings excluded). Its course over the period is sampled once per crawl
pass: observations closer together than SAMPLE_GAP belong to one pass, and at the end of each pass the band is
taken over every competitor's latest price known by then. Charts are drawn for our products and the
TOP_COMPETITOR_CHARTS best-ranked competitors of each keyword; the rest are rows of a table. A keyword's charts
share one time axis, from its first observation in the period to the period's end: a store that began watching
yesterday gets readable charts of that day instead of a week squeezed into its last pixels.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo

from markupsafe import Markup

from competitors import PriceBand
from reports.charts import BandPoint, PriceLine, price_chart
from reports.period import Period
from store import PriceRow, ProductRow, Store
from store.reporting import ListedProduct

TOP_COMPETITOR_CHARTS = 3
SAMPLE_GAP = timedelta(minutes=15)


@dataclass(frozen=True)
class ProductPrices:
    """One product's prices over the period (None throughout when it was not observed then)."""

    product: ProductRow
    rank: int | None              # its latest rank in the keyword's search during the period
    observations: int
    first: float | None
    latest: float | None
    low: float | None
    high: float | None
    chart: Markup                 # empty for a product without a chart

    @property
    def change_pct(self) -> float | None:
        if self.first is None or self.latest is None or self.first == 0:
            return None
        return (self.latest - self.first) / self.first * 100


@dataclass(frozen=True)
class KeywordPrices:
    """A keyword on one platform: its competitor band now and our products and competitors over the period."""

    platform: str
    keyword: str
    band: PriceBand | None        # over the competitors' latest prices in the period
    own: list[ProductPrices] = field(default_factory=list)
    competitors: list[ProductPrices] = field(default_factory=list)   # by rank; the first ones carry charts

    @property
    def charted(self) -> list[ProductPrices]:
        return [item for item in self.own + self.competitors if item.chart]


def keyword_prices(store: Store, period: Period, zone: tzinfo, *,
                   only: tuple[str, str] | None = None) -> tuple[list[KeywordPrices], list[ProductPrices]]:
    """Each (platform, keyword) searched in the period, by platform and keyword, and our products that no such
    search concerns (charted alone, without a band). `only` (platform, keyword): that one alone, and no products
    charted alone (the console shows one keyword at a time)."""
    platform, keyword = only or (None, None)
    listings = store.listings_between(period.start, period.end, platform=platform, keyword=keyword)
    own_products = store.products(own=True)
    groups: dict[tuple[str, str], list[ListedProduct]] = {}
    for listing in listings:
        groups.setdefault((listing.platform, listing.keyword), []).append(listing)
    ids = {listing.product_id for listing in listings} | {p.id for p in own_products}
    products = store.products_by_id(ids)
    histories = store.price_histories(ids, since=period.start, until=period.end)
    result, grouped_own = [], set()
    for (platform, keyword), listed in groups.items():
        ranks = {listing.product_id: listing.rank for listing in listed}
        own = [p for p in own_products if p.platform == platform
               and (p.id in ranks or (p.title is not None and keyword in p.title))]
        rivals = sorted((products[pid] for pid in ranks if not products[pid].own),
                        key=lambda p: (ranks[p.id], p.id))
        band_course = band_points({p.id: histories.get(p.id, []) for p in rivals})
        start = _first_observation([histories.get(p.id, []) for p in [*own, *rivals]], period)
        latest = [histories[p.id][-1].price for p in rivals if p.id in histories]
        result.append(KeywordPrices(
            platform, keyword, PriceBand.of(latest),
            own=[_product_prices(p, ranks.get(p.id), histories.get(p.id, []), band_course, (start, period.end),
                                 zone, chart=True) for p in own],
            competitors=[_product_prices(p, ranks[p.id], histories.get(p.id, []), band_course, (start, period.end),
                                         zone, chart=index < TOP_COMPETITOR_CHARTS)
                         for index, p in enumerate(rivals)]))
        grouped_own.update(p.id for p in own)
    alone = [_product_prices(p, None, rows, [], (_first_observation([rows], period), period.end), zone, chart=True)
             for p in own_products if p.id not in grouped_own and only is None for rows in [histories.get(p.id, [])]]
    return result, alone


def band_points(histories: dict[int, Sequence[PriceRow]]) -> list[BandPoint]:
    """The band of each crawl pass over the competitors' latest prices known at its end, placed at its start (a
    pass is one look at the market, however long it took)."""
    moments = sorted(row.observed_at for rows in histories.values() for row in rows)
    passes: list[tuple[datetime, datetime]] = []
    for index, moment in enumerate(moments):
        if index == 0 or moment - moments[index - 1] > SAMPLE_GAP:
            passes.append((moment, moment))
        else:
            passes[-1] = (passes[-1][0], moment)
    timelines = [([row.observed_at for row in rows], rows) for rows in histories.values() if rows]
    points = []
    for start, end in passes:
        known = [rows[seen - 1].price for times, rows in timelines if (seen := bisect_right(times, end))]
        band = PriceBand.of(known)
        if band is not None:
            points.append(BandPoint(start, band.p25, band.median, band.p75))
    return points


def _first_observation(histories: Sequence[Sequence[PriceRow]], period: Period) -> datetime:
    return min((rows[0].observed_at for rows in histories if rows), default=period.start)


def _product_prices(product: ProductRow, rank: int | None, history: Sequence[PriceRow], band: Sequence[BandPoint],
                    axis: tuple[datetime, datetime], zone: tzinfo, *, chart: bool) -> ProductPrices:
    prices = [row.price for row in history]
    drawn = Markup("")
    if chart and history:
        line = PriceLine(product.title or product.url, [(row.observed_at, row.price) for row in history],
                         own=product.own)
        drawn = price_chart([line], band, start=axis[0], end=axis[1], zone=zone)
    return ProductPrices(product=product, rank=rank, observations=len(prices), first=prices[0] if prices else None,
                         latest=prices[-1] if prices else None, low=min(prices, default=None),
                         high=max(prices, default=None), chart=drawn)
