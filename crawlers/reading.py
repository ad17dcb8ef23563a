"""Reading one page with its platform's profile into items: search hits, a product, reviews.

The spiders read what they fetch with these functions, and `agent.py extract --platform` reads saved pages with
the same ones, so a page read from a file and the same page crawled cannot come out different.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from parsel import Selector as Page

from config import PageProfile, Platform
from crawlers.description import clean_description
from crawlers.documents import page_documents
from crawlers.extract import Extraction, extract_parsed
from crawlers.items import ProductItem, Review, SearchHit
from crawlers.parsed_page import Page as ParsedPage
from crawlers.profiles import read_items, read_page


def documents_of(html: str, profile: PageProfile, captured: list[Any] = ()) -> list[Any]:
    """The JSON documents a profile's json selectors read: those a browser captured, then the page's own (a JSON
    or JSONP body, the value of the profile's `script_var`)."""
    return [*captured, *page_documents(html, profile.script_var)]


def item_id_pattern(template: str | None) -> re.Pattern | None:
    """A regex that reads {item_id} back out of a platform's product URL template."""
    if not template or "{item_id}" not in template:
        return None
    before, _, after = template.partition("{item_id}")
    return re.compile(re.escape(before) + r"([^/?&#]+)" + re.escape(after.split("?")[0].split("&")[0]))


def item_id_of(platform: Platform | None, url: str) -> str | None:
    pattern = item_id_pattern(platform.product_url) if platform else None
    match = pattern.search(url) if pattern else None
    return match.group(1) if match else None


def search_hits(platform: Platform | None, profile: PageProfile, page: Page, url: str, documents: list[Any], *,
                first_rank: int = 1, limit: int | None = None,
                keep: Callable[[str], bool] = lambda url: True) -> list[SearchHit]:
    """The listings of a search page with a link, ranked from `first_rank` in page order; at most `limit`, and only
    those whose link `keep` accepts (asked only while the limit is not reached)."""
    hits: list[SearchHit] = []
    for entry in read_items(profile, page, url, documents):
        if not entry.get("url") or (limit is not None and len(hits) >= limit) or not keep(entry["url"]):
            continue
        price = entry.get("price")
        hits.append(SearchHit(rank=first_rank + len(hits), url=entry["url"],
                              item_id=entry.get("item_id") or item_id_of(platform, entry["url"]),
                              title=entry.get("title"), price=price[0] if price else None,
                              monthly_sales=entry.get("sales")))
    return hits


@dataclass(frozen=True)
class ProductPage:
    item: ProductItem
    fields: dict[str, Any]  # what the profile read, reviews_link among them
    page: Page              # the parsed page, for reviews shown on it


def read_product(key: str, platform: Platform | None, profile: PageProfile, html: str, url: str,
                 documents: list[Any]) -> ProductPage:
    """A product page: the generic extraction, overridden field by field by what the profile read."""
    parsed = ParsedPage.parse(html, url)
    found = extract_parsed(parsed)
    page = Page(root=parsed.tree, type="html", base_url=url)  # one parse for the extractor and the selectors
    fields = read_page(profile, page, url, documents)
    return ProductPage(product_item(key, platform, url, found, fields), fields, page)


def product_item(key: str, platform: Platform | None, url: str, found: Extraction,
                 fields: dict[str, Any]) -> ProductItem:
    price, price_max, rule = found.price, found.price_max, found.rule
    if fields.get("price"):
        price, price_max, rule = fields["price"][0], fields["price"][1], "profile"
    if fields.get("price_max"):
        price_max = fields["price_max"][0]
    list_price = fields["list_price"][0] if fields.get("list_price") else found.list_price
    promo_price = fields["promo_price"][0] if fields.get("promo_price") else found.promo_price
    stock = fields.get("stock") if fields.get("stock") is not None else found.stock
    availability = fields.get("availability") or found.availability
    if availability is None and stock is not None:
        availability = "InStock" if stock > 0 else "OutOfStock"
    return ProductItem(
        platform=key, url=url,
        item_id=fields.get("item_id") or item_id_of(platform, url) or found.sku,
        title=fields.get("title") or found.name,
        description=clean_description(fields.get("description")) or found.description, price=price,
        price_max=_above(price_max, price), list_price=list_price, promo_price=promo_price,
        currency=found.currency or ("CNY" if price is not None else None),
        availability=availability, stock=stock,
        monthly_sales=fields.get("sales") if fields.get("sales") is not None else found.monthly_sales,
        rating=fields.get("rating") if fields.get("rating") is not None else found.rating,
        review_count=fields.get("review_count") if fields.get("review_count") is not None else found.review_count,
        shop=fields.get("shop") or found.shop, sku=fields.get("sku") or found.sku,
        category=fields.get("category") or found.category, rule=rule,
        incomplete=None if price is not None else (found.incomplete or "no price found"))


def reviews_from(profile: PageProfile, page: Page, url: str, documents: list[Any]) -> list[Review]:
    """The reviews a page shows that have text, in page order."""
    return [Review(text=entry["text"], review_id=entry.get("review_id"), rating=entry.get("rating"),
                   posted_at=entry.get("date"), sku=entry.get("sku"), append=entry.get("append"))
            for entry in read_items(profile, page, url, documents) if entry.get("text")]


def _above(maximum: Decimal | None, price: Decimal | None) -> Decimal | None:
    """A range maximum only when it is really above the price."""
    return maximum if maximum is not None and price is not None and maximum > price else None
