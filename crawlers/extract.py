"""The generic product-page extractor: name, prices, stock, ratings, sales, shop and category from any product page.

Evidence comes in order of trust. Structured data first (JSON-LD, microdata, RDFa, OpenGraph, loose <meta>), since
a shop writes it for machines; then the DOM, read the way a shopper reads it: amounts inside price elements
(classes such as p-price, tm-price, woocommerce-Price-amount), amounts after a label (促销价, 京东价, Sale price),
and currency amounts near the product title. Struck-through, 原价 and was amounts are list prices; 券后 / 到手
amounts are promo prices; prices in hidden, recommendation, cart and footer blocks are ignored, and the rest are
scored by where they sit (crawlers.price_evidence: the main block of title and buy button, cards of other items,
sidebars, coupon / instalment / shipping terms). The best score wins; weak evidence or a tie between two amounts
is no price, and `incomplete` says why. The document is parsed once and every step shares the tree and one text stream of the
body.

This module chooses among the evidence the sibling modules read: crawlers.parsed_page (the parse and the text
stream), crawlers.structured (structured data), crawlers.price_evidence (price candidates in the DOM),
crawlers.page_facts (name, counts, rating, shop, stock, currency), crawlers.description and crawlers.categories
(the shop's own category from a product's schema.org category or a breadcrumb list).

The site-profile layer may override the result per platform; this module knows no site by name.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, fields
from decimal import Decimal
from typing import Any

from crawlers.availability import IN_STOCK, OUT_OF_STOCK, parse_availability
from crawlers.categories import structured_category
from crawlers.description import clean_description, dom_description, meta_description
from crawlers.page_facts import (
    REVIEWS,
    SALES,
    Anchor,
    clean_title,
    count_by,
    dom_availability,
    dom_rating,
    dom_shop,
    find_anchor,
    page_currency,
)
from crawlers.parsed_page import Page
from crawlers.price_evidence import Candidate, agrees, best_selling, dom_candidates, list_and_promo
from crawlers.prices import PRICE, Price, parse_count, parse_price
from crawlers.structured import (
    Offers,
    as_list,
    first_text,
    image_link,
    main_product,
    og_properties,
    product_offers,
    structured_amount,
    structured_nodes,
)

EXTRACT_JSON_KEYS = ("source", "name", "price", "currency", "availability", "sku", "rule")
NO_PRICE = "no price found"
NO_NAME = "no name found"


@dataclass
class Extraction:
    name: str | None = None
    description: str | None = None  # the detail text, plain and capped (crawlers.description)
    price: Decimal | None = None  # the selling price now (lowest SKU when a range)
    price_max: Decimal | None = None  # highest SKU price when the page shows a range
    list_price: Decimal | None = None  # struck-through original price
    promo_price: Decimal | None = None  # coupon / 到手价 / 券后价 price, below price
    currency: str | None = None
    availability: str | None = None  # "InStock" | "OutOfStock" | None
    stock: int | None = None
    sku: str | None = None
    brand: str | None = None
    shop: str | None = None
    rating: float | None = None
    review_count: int | None = None
    monthly_sales: int | None = None
    category: str | None = None  # the shop's own category as structured data shows it: "食品饮料 > 营养代餐"
    image: str | None = None
    rule: str | None = None  # which rule produced the price: jsonld, microdata, rdfa, opengraph, meta, dom:...
    incomplete: str | None = None  # why the item is incomplete, None when complete
    evidence: list[str] = field(default_factory=list)  # competing candidates and why one won

    def to_json(self) -> dict[str, Any]:
        """Every field, JSON-safe: amounts as floats rounded to cents."""
        return {f.name: _json_value(getattr(self, f.name)) for f in fields(self)}


def _json_value(value: object) -> object:
    if isinstance(value, Decimal):
        return round(float(value), 2)
    if isinstance(value, list):
        return list(value)
    return value


def extraction_line(source: str, e: Extraction) -> dict[str, Any]:
    """The `agent.py extract --json` line: exactly EXTRACT_JSON_KEYS."""
    return {"source": source, "name": e.name, "price": _json_value(e.price), "currency": e.currency,
            "availability": e.availability, "sku": e.sku, "rule": e.rule}


def _fill_from_product(result: Extraction, product: dict, rule: str, page: Page) -> tuple[Offers, Price | None]:
    """Name, SKU, brand, image, rating from a structured product; returns its offers and their selling price."""
    result.name = result.name or first_text(product.get("name"))
    result.description = result.description or clean_description(first_text(product.get("description")))
    result.sku = result.sku or first_text(product.get("sku") or product.get("productID") or product.get("mpn"))
    result.brand = result.brand or first_text(product.get("brand"))
    result.image = result.image or page.absolute(image_link(product.get("image")))
    rating = next((r for r in as_list(product.get("aggregateRating")) if isinstance(r, dict)), None)
    if rating and result.rating is None:
        value = structured_amount(first_text(rating.get("ratingValue")), None)
        best = structured_amount(first_text(rating.get("bestRating")), None)
        if value is not None:
            scale = best.amount if best is not None and best.amount > 0 else Decimal(5)
            result.rating = round(float(value.amount * 5 / scale), 2)
        result.review_count = parse_count(first_text(rating.get("reviewCount") or rating.get("ratingCount")))
    offers = product_offers(product)
    return offers, _combine_prices(offers.prices, result.evidence, rule)


def _combine_prices(prices: list[Price], evidence: list[str], rule: str) -> Price | None:
    """Several offers (SKUs, sellers) become one price range in their most common currency; zero prices are the
    placeholders shops print for unknown prices, not prices."""
    if any(p.amount == 0 for p in prices):
        evidence.append(f"{rule}: price 0 ignored as a placeholder")
    prices = [p for p in prices if p.amount > 0]
    if not prices:
        return None
    currency = Counter(p.currency for p in prices).most_common(1)[0][0]
    same = [p for p in prices if p.currency == currency]
    low = min(p.amount for p in same)
    high = max((p.max_amount or p.amount) for p in same)
    return Price(low, high if high > low else None, currency)


def _structured(page: Page, result: Extraction) -> tuple[Candidate | None, list[Price], list[str], list[str]]:
    """The structured price (first syntax that has one), plus list prices, availabilities and sellers seen."""
    chosen: Candidate | None = None
    list_prices: list[Price] = []
    states: list[str] = []
    sellers: list[str] = []
    for rule, nodes in structured_nodes(page, result.evidence):
        product = main_product(nodes, page.url, result.evidence, rule)
        if product is None:  # a page may still have its breadcrumb in this syntax
            result.category = result.category or structured_category(nodes, None, page.url, result.name)
            continue
        offers, price = _fill_from_product(result, product, rule, page)
        result.category = result.category or structured_category(nodes, product, page.url, result.name)
        list_prices += offers.list_prices
        states += offers.availability
        sellers += offers.sellers
        if price is not None and chosen is None:
            chosen = Candidate(price, rule, strong=True)
        elif price is not None and not agrees(price, chosen.price):
            result.evidence.append(f"{rule} says {price.amount}, {chosen.rule} {chosen.price.amount}; kept "
                                   f"{chosen.rule}")
    return chosen, list_prices, states, sellers


def _open_graph(og: dict[str, str], page: Page, result: Extraction
                ) -> tuple[Candidate | None, Price | None, str | None]:
    """OpenGraph / Facebook product tags: (selling price, list price, availability). product:sale_price is the
    price now when present, product:price then the regular one."""
    result.name = result.name or clean_title(og.get("og:title"))
    result.image = result.image or page.absolute(og.get("og:image"))
    result.brand = result.brand or og.get("product:brand")
    result.sku = result.sku or og.get("product:retailer_item_id")
    currency = og.get("product:price:currency") or og.get("og:price:currency")

    def amount(*keys: str) -> Price | None:
        value = next((og[k] for k in keys if og.get(k)), None)
        cur = next((og[k.replace(":amount", ":currency")] for k in keys if og.get(k.replace(":amount", ":currency"))),
                   currency)
        return structured_amount(value, cur.upper() if cur else None)

    regular = amount("product:price:amount", "og:price:amount", "product:original_price:amount")
    sale = amount("product:sale_price:amount")
    state = parse_availability(og.get("product:availability") or og.get("og:availability"))
    if sale is not None and sale.amount > 0:
        list_price = regular if regular is not None and regular.amount > sale.amount else None
        return Candidate(sale, "opengraph", strong=True), list_price, state
    if regular is not None and regular.amount > 0:
        return Candidate(regular, "opengraph", strong=True), None, state
    return None, None, state


META_PRICE_XPATH = ("//meta[(@itemprop='price' or @name='price' or @property='price' or @name='product:price' or "
                    "@itemprop='lowPrice') and @content][not(ancestor::*[@itemscope])]")


def _meta_price(page: Page) -> Candidate | None:
    """<meta itemprop="price"> outside any itemscope, <meta name="price">, and Twitter's label/data pairs."""
    currency_meta = page.tree.xpath("//meta[@itemprop='priceCurrency']/@content")
    currency = currency_meta[0].upper() if currency_meta else None
    for meta in page.tree.xpath(META_PRICE_XPATH):
        price = structured_amount(meta.get("content"), currency)
        if price is not None and price.amount > 0:
            return Candidate(price, "meta", strong=True)
    twitter = {meta.get("name"): meta.get("content") or "" for meta in page.tree.iterfind(".//meta[@name]")
               if meta.get("name", "").startswith("twitter:")}
    for name, label in twitter.items():
        if name.startswith("twitter:label") and "price" in label.lower():
            price = parse_price(twitter.get(name.replace("label", "data"), ""))
            if price is not None and price.amount > 0:
                return Candidate(price, "meta", strong=True)
    return None


def _note_dom_disagreement(result: Extraction, chosen: Candidate, dom_best: Candidate | None) -> None:
    if dom_best is None:
        return
    if agrees(dom_best.price, chosen.price):
        result.evidence.append(f"{dom_best.describe()} agrees with {chosen.rule}")
    else:
        result.evidence.append(f"{dom_best.describe()} shown on the page disagrees with {chosen.describe()}; "
                               f"kept {chosen.rule} (structured data is more reliable)")


def _set_price(result: Extraction, chosen: Candidate) -> None:
    result.price = chosen.price.amount
    result.price_max = chosen.price.max_amount
    result.currency = result.currency or chosen.price.currency
    result.rule = chosen.rule


def _choose_price(result: Extraction, page: Page, anchor: Anchor | None, structured: Candidate | None,
                  structured_lists: list[Price], og_list: Price | None) -> str | None:
    """Set the price, range, list and promo prices; returns why the DOM gave no price when it saw amounts but could
    not tell which is the product's (weak evidence, a tie)."""
    currency = (structured.price.currency if structured else None) or page_currency(page)
    candidates = dom_candidates(page, anchor, currency)
    anchor_offset = anchor.offset if anchor else None
    selling = best_selling(candidates, anchor_offset)
    dom_best = selling.best
    chosen = structured or dom_best
    if chosen is None:
        if selling.doubt:
            result.evidence.append(selling.doubt)
        return selling.doubt
    _set_price(result, chosen)
    if chosen is not dom_best:
        _note_dom_disagreement(result, chosen, dom_best)
    else:
        losers = sorted({c.describe() for c in candidates if c.price.kind == PRICE and c is not dom_best
                         and not agrees(c.price, dom_best.price)})[:3]
        if losers:
            result.evidence.append(f"{dom_best.describe()} won over " + "; ".join(losers))
    if result.currency is None:
        marked = Counter(c.price.currency for c in candidates if c.price.currency)
        result.currency = marked.most_common(1)[0][0] if marked else None
    anchor_candidate = dom_best if dom_best is not None and agrees(dom_best.price, chosen.price) else None
    dom_list, dom_promo = list_and_promo(candidates, anchor_candidate, chosen.price.amount)
    structured_list = next((p for p in [*structured_lists, og_list] if p and p.amount > chosen.price.amount), None)
    if structured_list is not None:
        result.list_price = structured_list.amount
    elif dom_list is not None:
        result.list_price = dom_list.price.amount
    if dom_promo is not None:
        result.promo_price = dom_promo.price.amount
    return None


def _choose_availability(result: Extraction, page: Page, anchor_offset: int | None, structured_states: list[str],
                         og_state: str | None) -> None:
    dom_state, stock = dom_availability(page, anchor_offset, result.evidence)
    result.stock = stock
    if structured_states:
        result.availability = IN_STOCK if IN_STOCK in structured_states else OUT_OF_STOCK
    else:
        result.availability = og_state or dom_state
    if dom_state and result.availability and dom_state != result.availability:
        result.evidence.append(f"page shows {dom_state}, structured data says {result.availability}; kept the "
                               f"structured value")


def _title_text(page: Page) -> str | None:
    title = page.tree.find(".//title")
    return " ".join(title.text_content().split()) if title is not None else None


def extract_product(html_text: str, url: str | None = None) -> Extraction:
    """Everything a product page says about its product. Never raises on bad markup; never invents a value: what
    the page does not state stays None, and `incomplete` says when the price or name is missing."""
    return extract_parsed(Page.parse(html_text, url))


def extract_parsed(page: Page | None) -> Extraction:
    """`extract_product` on a page parsed already (`Page.parse`), so a spider parses each page only once."""
    result = Extraction()
    if page is None:
        result.incomplete = f"{NO_PRICE}; {NO_NAME}; empty page"
        return result
    structured, structured_lists, states, sellers = _structured(page, result)
    og = og_properties(page)
    og_price, og_list, og_state = _open_graph(og, page, result)
    structured = structured or og_price or _meta_price(page)
    title = _title_text(page)
    anchor = find_anchor(page, result.name, title)
    result.name = result.name or (anchor.text if anchor else None) or clean_title(title)
    anchor_offset = anchor.offset if anchor else None
    price_doubt = _choose_price(result, page, anchor, structured, structured_lists, og_list)
    _choose_availability(result, page, anchor_offset, states, og_state)
    result.shop = sellers[0] if sellers else dom_shop(page, anchor_offset)
    if result.rating is None:
        result.rating = dom_rating(page, anchor_offset)
    if result.review_count is None:
        result.review_count = count_by(page, REVIEWS, anchor_offset)
    result.monthly_sales = count_by(page, SALES, anchor_offset)
    if result.image is None:
        result.image = _dom_image(page, result.name)
    result.description = (result.description or dom_description(page, anchor_offset)
                          or meta_description(page, og.get("og:description")))
    no_price = f"{NO_PRICE}: {price_doubt}" if price_doubt else NO_PRICE
    missing = [reason for reason, value in ((no_price, result.price), (NO_NAME, result.name)) if value is None]
    result.incomplete = "; ".join(missing) or None
    return result


def _dom_image(page: Page, name: str | None) -> str | None:
    """<img itemprop="image">, else the image whose alt text is the product's name."""
    found = page.tree.xpath("//img[@itemprop='image']/@src")
    if not found and name:
        found = [img.get("src") for img in page.tree.iterfind(".//img") if img.get("src") and img.get("alt") == name]
    return page.absolute(found[0]) if found else None
