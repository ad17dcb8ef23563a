"""Structured data on a product page: JSON-LD, microdata, RDFa and OpenGraph, every syntax turned into plain
schema.org-like dicts ({"@type": ["Product"], "name": ...}), the page's own product among them, and its offers.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit

from extruct.jsonld import JsonLdExtractor
from extruct.opengraph import OpenGraphExtractor
from extruct.rdfa import RDFaExtractor
from extruct.w3cmicrodata import MicrodataExtractor

from crawlers.availability import parse_availability
from crawlers.parsed_page import Page
from crawlers.prices import Price, parse_price

PRODUCT_TYPES = frozenset({"Product", "ProductGroup", "IndividualProduct", "ProductModel", "SomeProducts", "Book",
                           "Vehicle", "Car", "Drug", "DietarySupplement"})
OFFER_TYPES = frozenset({"Offer", "AggregateOffer"})
LIST_PRICE_TYPES = frozenset({"ListPrice", "StrikethroughPrice", "MSRP", "SRP", "RegularPrice"})
ENTRY_KEYS = ("@graph", "mainEntity", "mainEntityOfPage", "itemOffered")
PLAIN_DECIMAL = re.compile(r"\s*-?\d+(?:\.\d+)?\s*")


def short_type(value: object) -> str:
    """`http://schema.org/Product`, `schema:Product` and `Product` are all Product."""
    return re.split(r"[/#:]", str(value).rstrip("/"))[-1]


def node_types(node: dict) -> set[str]:
    raw = node.get("@type", [])
    return {short_type(t) for t in (raw if isinstance(raw, list) else [raw])}


def as_list(value: object) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def first_text(value: object) -> str | None:
    """A property's first plain value: strings as they are, {"name": ...} / {"@value": ...} nodes by their text."""
    for item in as_list(value):
        if isinstance(item, dict):
            item = item.get("name") or item.get("@value")
            if isinstance(item, (dict, list)):
                item = first_text(item)
        if item is not None and not isinstance(item, (dict, list, bool)) and str(item).strip():
            return html.unescape(" ".join(str(item).split()))
    return None


def image_link(value: object) -> str | None:
    """A URL from `image`: a string, a list of them, or ImageObjects (url / contentUrl, not their caption)."""
    for item in as_list(value):
        link = item.get("url") or item.get("contentUrl") if isinstance(item, dict) else item
        if isinstance(link, str) and link.strip():
            return link.strip()
    return None


def _microdata_node(item: dict) -> dict:
    """extruct's microdata item ({"type": ..., "properties": {...}}) as a schema.org-like dict."""
    node: dict = {"@type": [short_type(t) for t in as_list(item.get("type"))]}
    node.update({key: _microdata_value(value) for key, value in item.get("properties", {}).items()})
    return node


def _microdata_value(value: object) -> object:
    if isinstance(value, list):
        return [_microdata_value(v) for v in value]
    if isinstance(value, dict) and "properties" in value:
        return _microdata_node(value)
    return value


def _rdfa_nodes(expanded: list[dict]) -> list[dict]:
    """extruct's RDFa output is expanded JSON-LD (full IRIs, values in lists, nodes linked by @id): compact it and
    nest linked nodes into their parents (cycles cut)."""
    by_id = {node.get("@id"): node for node in expanded if isinstance(node, dict)}

    def compact(node: dict, seen: frozenset) -> dict:
        result: dict = {"@type": [short_type(t) for t in as_list(node.get("@type"))]}
        for key, values in node.items():
            if key.startswith("@"):
                continue
            converted = []
            for value in as_list(values):
                if isinstance(value, dict) and "@value" in value:
                    converted.append(value["@value"])
                elif isinstance(value, dict) and value.get("@id") in by_id and value["@id"] not in seen:
                    converted.append(compact(by_id[value["@id"]], seen | {value["@id"]}))
                elif isinstance(value, dict) and "@id" in value:
                    converted.append(value["@id"])
            result[short_type(key)] = converted[0] if len(converted) == 1 else converted
        return result

    return [compact(node, frozenset({node.get("@id")})) for node in expanded
            if isinstance(node, dict) and node.get("@type")]


def _json_ld_nodes(page: Page, evidence: list[str]) -> list[dict]:
    extractor = JsonLdExtractor()
    nodes: list[dict] = []
    for number, script in enumerate(page.tree.xpath("//script[contains(@type, 'ld+json')]"), start=1):
        script.set("type", "application/ld+json")  # `application/ld+json; charset=utf-8` is JSON-LD too
        try:
            nodes.extend(extractor.extract_items(script))
        except ValueError:
            evidence.append(f"json-ld block {number} is not valid JSON; skipped")
    return _resolve_references(nodes)


def _resolve_references(nodes: list[dict]) -> list[dict]:
    """Flatten @graph containers and replace {"@id": "#org"} stubs by the nodes they name (WooCommerce and Yoast
    link the seller, brand and offers that way); a node is not expanded inside itself."""
    flat = [n for node in nodes if isinstance(node, dict)
            for n in ([node] if "@graph" not in node else as_list(node["@graph"])) if isinstance(n, dict)]
    by_id = {n["@id"]: n for n in flat if isinstance(n.get("@id"), str) and len(n) > 1}

    def resolve(value: object, seen: frozenset, depth: int) -> object:
        if depth > 6:
            return value
        if isinstance(value, dict):
            ref = value.get("@id")
            if set(value) == {"@id"} and ref in by_id and ref not in seen:
                return resolve(by_id[ref], seen | {ref}, depth + 1)
            return {k: resolve(v, seen, depth + 1) for k, v in value.items()}
        if isinstance(value, list):
            return [resolve(v, seen, depth + 1) for v in value]
        return value

    return [resolve(node, frozenset({node.get("@id")}), 0) for node in flat]


def _has_microdata(page: Page) -> bool:
    return bool(page.tree.xpath("//*[@itemscope][1]"))


def _has_rdfa(page: Page) -> bool:
    """RDFa products need typeof; OpenGraph's <meta property> alone is read by the cheaper OpenGraph extractor."""
    return bool(page.tree.xpath("//*[@typeof][1]"))


def structured_nodes(page: Page, evidence: list[str]) -> list[tuple[str, list[dict]]]:
    """(rule, nodes) per syntax, in order of trust; RDFa and microdata only run when the page uses them (pyRdfa
    costs tens of milliseconds)."""
    found = [("jsonld", _json_ld_nodes(page, evidence))]
    if _has_microdata(page):
        items = _safely(lambda: MicrodataExtractor().extract_items(page.tree, page.url), "microdata", evidence)
        found.append(("microdata", [_microdata_node(item) for item in items or []]))
    if _has_rdfa(page):
        items = _safely(lambda: RDFaExtractor().extract_items(page.dom_tree(), page.url), "rdfa", evidence)
        found.append(("rdfa", _rdfa_nodes(items or [])))
    return found


def _safely(call: Any, syntax: str, evidence: list[str]) -> list | None:
    try:
        return list(call())
    except Exception as exc:  # extruct raises whatever its parsers raise on broken markup
        evidence.append(f"{syntax} unreadable ({type(exc).__name__}); skipped")
        return None


def _walk_entries(nodes: list[dict]) -> Iterator[dict]:
    """Top-level nodes and what pages hang the product from (@graph, mainEntity, an Offer's itemOffered); not the
    products a product links to (isRelatedTo, isSimilarTo), which are other products."""
    stack = list(reversed(nodes))
    seen: set[int] = set()
    while stack:
        node = stack.pop()
        if not isinstance(node, dict) or id(node) in seen:
            continue
        seen.add(id(node))
        yield node
        for key in ENTRY_KEYS:
            stack.extend(reversed(as_list(node.get(key))))


def main_product(nodes: list[dict], url: str | None, evidence: list[str], rule: str) -> dict | None:
    """The page's product: the one whose url is the page's, else the first with offers, else the first."""
    products = [n for n in _walk_entries(nodes) if node_types(n) & PRODUCT_TYPES]
    offers = [n for n in _walk_entries(nodes) if node_types(n) & OFFER_TYPES and isinstance(n.get("itemOffered"),
                                                                                           dict)]
    for offer in offers:  # an Offer on top with its product inside: give the product its offer
        product = offer["itemOffered"]
        if node_types(product) & PRODUCT_TYPES and "offers" not in product:
            product["offers"] = {k: v for k, v in offer.items() if k != "itemOffered"}
    if not products:
        return None
    if len(products) > 1:
        evidence.append(f"{rule}: {len(products)} products; chose the page's own")
    page_path = urlsplit(url).path if url else None
    for product in products:
        if page_path and any(urlsplit(str(u)).path == page_path for u in as_list(product.get("url"))
                             if isinstance(u, str)):
            return product
    return next((p for p in products if p.get("offers") or p.get("hasVariant")), products[0])


@dataclass
class Offers:
    """What a product's offers say, all SKUs and sellers together."""

    prices: list[Price] = field(default_factory=list)
    list_prices: list[Price] = field(default_factory=list)
    availability: list[str] = field(default_factory=list)
    sellers: list[str] = field(default_factory=list)


def structured_amount(value: object, currency: str | None) -> Price | None:
    """schema.org wants `1299.00`; shops also write `¥1,299.00`, `1.299,00` or numbers. A plain decimal is read
    exactly (`1.299` is one yuan and 299 thousandths, not 1299); anything else goes through the text parser."""
    if value is None or isinstance(value, (bool, dict, list)):
        return None
    text = str(value)
    if PLAIN_DECIMAL.fullmatch(text):
        try:
            return Price(Decimal(text.strip()), None, currency)
        except InvalidOperation:
            return None
    return parse_price(text, currency)


def _collect_offers(offer_nodes: list, into: Offers, depth: int = 0) -> None:
    for offer in offer_nodes:
        if not isinstance(offer, dict) or depth > 3:
            continue
        currency = first_text(offer.get("priceCurrency"))
        currency = currency.upper() if currency else None
        low = structured_amount(first_text(offer.get("lowPrice")), currency)
        high = structured_amount(first_text(offer.get("highPrice")), currency)
        price = structured_amount(first_text(offer.get("price")), currency)
        if low is not None:
            into.prices.append(Price(low.amount, high.amount if high and high.amount > low.amount else None,
                                     low.currency))
        elif price is not None:
            into.prices.append(price)
        _collect_price_specifications(as_list(offer.get("priceSpecification")), currency, into,
                                      has_price=low is not None or price is not None)
        state = parse_availability(offer.get("availability"))
        if state:
            into.availability.append(state)
        seller = first_text(offer.get("seller"))
        if seller:
            into.sellers.append(seller)
        _collect_offers(as_list(offer.get("offers")), into, depth + 1)


def _collect_price_specifications(specs: list, currency: str | None, into: Offers, has_price: bool) -> None:
    for spec in specs:
        if not isinstance(spec, dict):
            continue
        amount = structured_amount(first_text(spec.get("price")), (first_text(spec.get("priceCurrency")) or currency))
        if amount is None:
            continue
        if short_type(first_text(spec.get("priceType")) or "") in LIST_PRICE_TYPES:
            into.list_prices.append(amount)
        elif not has_price:
            into.prices.append(amount)


def product_offers(product: dict) -> Offers:
    """Offers of the product and, for a ProductGroup, of its variants (hasVariant)."""
    offers = Offers()
    _collect_offers(as_list(product.get("offers")), offers)
    for variant in as_list(product.get("hasVariant")):
        if isinstance(variant, dict):
            _collect_offers(as_list(variant.get("offers")), offers)
    return offers


def og_properties(page: Page) -> dict[str, str]:
    """OpenGraph and product: properties, first value of each."""
    properties: dict[str, str] = {}
    for item in OpenGraphExtractor().extract_items(page.tree):
        for key, value in item.get("properties", []):
            properties.setdefault(key.lower(), value)
    return properties
