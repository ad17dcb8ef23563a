"""The generic product-page extractor: name, prices, stock, ratings, sales and shop from any product page.

Evidence comes in order of trust. Structured data first (JSON-LD, microdata, RDFa, OpenGraph, loose <meta>), since
a shop writes it for machines; then the DOM, read the way a shopper reads it: amounts inside price elements
(classes such as p-price, tm-price, woocommerce-Price-amount), amounts after a label (促销价, 京东价, Sale price),
and currency amounts near the product title. Struck-through, 原价 and was amounts are list prices; 券后 / 到手
amounts are promo prices; prices in recommendation, cart and footer blocks are ignored, and among the rest the one
closest to the title wins. The document is parsed once and every step shares the tree and one text stream of the
body.

The site-profile layer may override the result per platform; this module knows no site by name.
"""

from __future__ import annotations

import html
import re
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urljoin, urlsplit

import lxml.etree
import lxml.html
from extruct.jsonld import JsonLdExtractor
from extruct.opengraph import OpenGraphExtractor
from extruct.rdfa import RDFaExtractor
from extruct.w3cmicrodata import MicrodataExtractor
from extruct.xmldom import XmlDomHTMLParser

from crawlers.availability import IN_STOCK, OUT_OF_STOCK, parse_availability, stock_count
from crawlers.description import clean_description, dom_description, meta_description
from crawlers.prices import (LIST, PRICE, PROMO, Price, PriceSpan, demote_plain_prices, normalise_digits, parse_count,
                             parse_price, price_spans, spaced)

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


# ---------------------------------------------------------------------------------------------------------------
# The parsed page: one lxml tree (with the DOM interface RDFa needs) and one text stream of the body, in which every
# element knows its offset, so price spans found in the stream map back to their elements.

SKIPPED_TAGS = frozenset({"script", "style", "noscript", "template", "head", "svg", "select", "option", "textarea"})
BLOCK_TAGS = frozenset({
    "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "fieldset", "figcaption", "figure",
    "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav", "ol", "p", "pre",
    "section", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul", "button", "input", "img", "body", "html"})


WHITESPACE = re.compile(r"\s+")


class Page:
    """A parsed page and its body text stream; built once per extraction."""

    def __init__(self, tree: lxml.html.HtmlElement, url: str | None) -> None:
        self.tree = tree
        self.url = url
        self.text = ""
        self._segment_starts: list[int] = []
        self._segment_owners: list[Any] = []
        self.start_of: dict[Any, int] = {}
        self.end_of: dict[Any, int] = {}
        self.zones = Zones()
        self._classed: list[tuple[Any, set[str]]] | None = None
        self._build_stream()

    @classmethod
    def parse(cls, markup: str, url: str | None) -> Page | None:
        """None for an empty or hopeless document; lxml recovers from most breakage (unclosed tags, stray bytes).
        A comment opener that is never closed swallows the rest of the page (`<!-- ... -- >`); when that leaves
        no text, the page is parsed again without it."""
        markup = markup.replace("\x00", "") if markup else ""
        tree = _parse_tree(markup)
        if tree is None or not tree.text_content().strip():
            repaired = _parse_tree(_drop_unclosed_comments(markup))
            tree = repaired if repaired is not None else tree
        return cls(tree, url) if tree is not None else None

    def _build_stream(self) -> None:
        parts: list[str] = []
        position = 0

        def emit(text: str | None, owner: Any) -> None:
            nonlocal position
            if not text:
                return
            text = WHITESPACE.sub(" ", text)
            if text.startswith(" ") and parts and parts[-1].endswith(" "):
                text = text[1:]
            if text:
                self._segment_starts.append(position)
                self._segment_owners.append(owner)
                parts.append(text)
                position += len(text)

        body = self.tree.find("body")
        walker = lxml.etree.iterwalk(body if body is not None else self.tree, events=("start", "end"))
        for event, element in walker:
            tag = element.tag if isinstance(element.tag, str) else ""
            if event == "start":
                self.start_of[element] = position
                if tag in BLOCK_TAGS:
                    emit(" ", element)
                if tag in SKIPPED_TAGS or not tag:
                    walker.skip_subtree()
                else:
                    emit(element.text, element)
            else:
                if tag in BLOCK_TAGS:
                    emit(" ", element)
                self.end_of[element] = position
                parent = element.getparent()
                emit(element.tail, parent if parent is not None else element)
        self.text = "".join(parts)

    def owner(self, offset: int) -> Any:
        """The element whose own text holds this offset of the stream."""
        index = bisect_right(self._segment_starts, offset) - 1
        return self._segment_owners[max(index, 0)] if self._segment_owners else self.tree

    def text_of(self, element: Any) -> str:
        """An element's visible text from the stream (no script or style), whitespace collapsed."""
        return self.text[self.start_of.get(element, 0):self.end_of.get(element, 0)].strip()

    def segment_after(self, offset: int) -> str:
        """The rest of the text node holding `offset`, or the next non-empty one: the value after a label."""
        index = max(bisect_right(self._segment_starts, offset) - 1, 0)
        for i in range(index, min(index + 6, len(self._segment_starts))):
            start = self._segment_starts[i]
            end = self._segment_starts[i + 1] if i + 1 < len(self._segment_starts) else len(self.text)
            value = self.text[max(start, offset):end].strip(" :：")
            if value:
                return value
        return ""

    def classed(self) -> list[tuple[Any, set[str]]]:
        """Body elements with a class or id, each with its class words and adjacent pairs (shop-name: shopname)."""
        if self._classed is None:
            self._classed = []
            for element in self.tree.xpath("//body//*[@class or @id]"):
                words = class_words(element)
                self._classed.append((element, {*words, *(a + b for a, b in zip(words, words[1:]))}))
        return self._classed

    def absolute(self, link: str | None) -> str | None:
        if not link:
            return None
        return urljoin(self.url, link) if self.url else link


def _parse_tree(markup: str) -> lxml.html.HtmlElement | None:
    if not markup.strip():
        return None
    parser = XmlDomHTMLParser(encoding="utf-8")  # its elements also offer the DOM interface pyRdfa needs
    try:
        return lxml.html.document_fromstring(markup.encode("utf-8", "replace"), parser=parser)
    except (lxml.etree.ParserError, ValueError):
        return None


def _drop_unclosed_comments(markup: str) -> str:
    last_close = markup.rfind("-->")
    cut = last_close + 3 if last_close >= 0 else 0
    return markup[:cut] + markup[cut:].replace("<!--", "")


def _text_of(element: Any) -> str:
    return " ".join(element.text_content().split())


# ---------------------------------------------------------------------------------------------------------------
# Structured data: every syntax turned into plain schema.org-like dicts: {"@type": ["Product"], "name": ...}.

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
        items = _safely(lambda: RDFaExtractor().extract_items(page.tree, page.url), "rdfa", evidence)
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


def _og_properties(page: Page) -> dict[str, str]:
    """OpenGraph and product: properties, first value of each."""
    properties: dict[str, str] = {}
    for item in OpenGraphExtractor().extract_items(page.tree):
        for key, value in item.get("properties", []):
            properties.setdefault(key.lower(), value)
    return properties


# ---------------------------------------------------------------------------------------------------------------
# Price candidates and how they compete.

STRENGTH = {"jsonld": 100, "microdata": 95, "rdfa": 90, "opengraph": 80, "meta": 75, "dom:itemprop": 70,
            "dom:price-class": 60, "dom:label": 55, "dom:data-price": 45, "dom:near-title": 40,
            "dom:near-buy": 35}
NEAR_TITLE_REACH = 1500  # characters of body text after the title in which a loose currency amount may be the price
BEFORE_TITLE_PENALTY = 4  # an amount above the title is usually a header, cart or banner


@dataclass
class Candidate:
    price: Price
    rule: str
    offset: int = 0
    strong: bool = False  # said to be the price now (促销价, Sale price, class sale / promo / final)

    @property
    def strength(self) -> int:
        return STRENGTH[self.rule]

    def describe(self) -> str:
        upper = f"-{self.price.max_amount}" if self.price.max_amount is not None else ""
        return f"{self.rule} {self.price.kind} {self.price.amount}{upper}"


_CLASS_SPLIT = re.compile(r"[^A-Za-z0-9]+|(?<=[a-z])(?=[A-Z])")
PRICE_WORDS = ("price", "jiage", "rmb", "money")
STRONG_WORDS = frozenset({"sale", "special", "promo", "promotion", "now", "current", "our", "deal", "pay", "topay",
                          "final", "actual", "xianjia", "cuxiao", "ins"})
LIST_WORDS = frozenset({"origin", "original", "old", "del", "was", "compare", "market", "msrp", "rrp", "strike",
                        "strikethrough", "through", "before", "yuanjia", "basis", "retail", "scj"})
PRICE_LIST_WORDS = LIST_WORDS | {"list"}  # "list" says list price only beside "price" (list-price, not goods-list)
PROMO_WORDS = frozenset({"coupon", "quan", "daoshou", "estimate", "yugu", "after", "aftercoupon", "dsj"})
NEGATIVE_WORDS = frozenset({"shipping", "freight", "postage", "yunfei", "delivery", "tax", "subtotal", "total",
                            "installment", "instalment", "monthly", "permonth", "unit", "per", "save", "saving",
                            "savings", "reduce", "filter", "slider", "deposit", "dingjin"})
ZONE_WORDS = frozenset({"recommend", "recommendation", "recommendations", "recommended", "related", "similar",
                        "upsell", "upsells", "crosssell", "crosssells", "cross", "guess", "tuijian", "minicart",
                        "footer", "breadcrumb", "breadcrumbs", "history", "viewed", "also", "bundle", "combo"})
ZONE_TAGS = frozenset({"footer", "nav"})
HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
STRUCK_TAGS = frozenset({"del", "s", "strike"})


def class_words(element: Any) -> list[str]:
    raw = f"{element.get('class') or ''} {element.get('id') or ''}"
    return [w.lower() for w in _CLASS_SPLIT.split(raw) if w]


def _is_price_word(word: str) -> bool:
    return any(p in word for p in PRICE_WORDS)


def _word_role(word: str, beside_price: bool) -> str | None:
    """`oldprice` is old + price, `ourprice` our + price: a word is read with and without its price part."""
    stems = {word, word.replace("price", "")}
    list_words = PRICE_LIST_WORDS if beside_price or "price" in word else LIST_WORDS
    for role, words in (("negative", NEGATIVE_WORDS), (PROMO, PROMO_WORDS), (LIST, list_words),
                        ("strong", STRONG_WORDS)):
        if stems & words:
            return role
    return None


@dataclass
class Context:
    """Where an amount sits: in a price element or not, struck through or not, and what the classes say it is."""

    price_element: bool = False
    itemprop: bool = False
    role: str | None = None  # strong, list, promo, negative
    struck: bool = False


class Zones:
    """Per-element facts that depend on ancestors, memoised: hidden or inside a recommendation / footer zone."""

    def __init__(self) -> None:
        self._excluded: dict[Any, bool] = {}

    def excluded(self, element: Any) -> bool:
        chain = []
        node = element
        while node is not None and node not in self._excluded:
            chain.append(node)
            node = node.getparent()
        verdict = self._excluded.get(node, False) if node is not None else False
        for member in reversed(chain):
            verdict = verdict or self._shuts_out(member)
            self._excluded[member] = verdict
        return self._excluded[element]

    @staticmethod
    def _shuts_out(element: Any) -> bool:
        tag = element.tag if isinstance(element.tag, str) else ""
        if tag in ZONE_TAGS or element.get("hidden") is not None:
            return True
        if HIDDEN_STYLE.search(element.get("style") or ""):
            return True
        words = class_words(element)
        return bool(ZONE_WORDS.intersection(words)) or "hidden" in words or "hide" in words


def context_of(element: Any, levels: int = 6) -> Context:
    """Read the element and its ancestors: struck-through anywhere within `levels`; class roles only close by (up
    to two levels above the nearest price element, or the element and its parent when there is none), since a
    product container's own classes (WooCommerce: `product ... sale`) say nothing about one amount in it."""
    context = Context()
    role_reach = 1
    for depth, node in enumerate(_ancestors_or_self(element, levels)):
        if node.tag in STRUCK_TAGS or "line-through" in (node.get("style") or "") or node.get("data-a-strike"):
            context.struck = True
        if node.get("itemprop") in ("price", "lowPrice", "highPrice"):
            context.itemprop = True
        words = class_words(node)
        beside_price = any(_is_price_word(w) for w in words)
        if beside_price and not context.price_element:
            context.price_element = True
            role_reach = depth + 2
        if depth <= role_reach:
            for word in words:
                role = _word_role(word, beside_price)
                if role and (context.role is None or role == "negative"):
                    context.role = role
    return context


def _ancestors_or_self(element: Any, levels: int) -> Iterator[Any]:
    node = element
    for _ in range(levels):
        if node is None or not isinstance(node.tag, str) or node.tag == "body":
            return
        yield node
        node = node.getparent()


def _span_candidate(span: PriceSpan, context: Context, near_rule: str | None) -> Candidate | None:
    """What a price in the body text is worth as evidence, or None when it is no evidence at all."""
    if context.role == "negative":
        return None
    if context.itemprop:
        rule = "dom:itemprop"
    elif context.price_element:
        rule = "dom:price-class"
    elif span.label is not None:
        rule = "dom:label"
    elif span.marked and near_rule is not None:
        rule = near_rule
    else:
        return None
    kind = span.price.kind
    if span.label not in (LIST, PROMO):
        if context.struck or context.role == LIST:
            kind = LIST
        elif context.role == PROMO:
            kind = PROMO
    price = Price(span.price.amount, span.price.max_amount, span.price.currency, kind)
    return Candidate(price, rule, span.start, strong=span.label == "strong" or context.role == "strong")


def dom_candidates(page: Page, anchor: Anchor | None, default_currency: str | None) -> list[Candidate]:
    """Every amount in the body that is evidence of a price, with the rule that makes it so."""
    spans = demote_plain_prices(price_spans(page.text, default_currency))
    candidates = []
    for span in spans:
        if span.price.amount <= 0:
            continue
        element = page.owner(span.start)
        if page.zones.excluded(element):
            continue
        near = anchor is not None and anchor.offset <= span.start <= anchor.offset + NEAR_TITLE_REACH
        candidate = _span_candidate(span, context_of(element), anchor.rule if near else None)
        if candidate is not None:
            candidates.append(candidate)
    candidates.extend(_data_price_candidates(page, default_currency))
    return candidates


def _data_price_candidates(page: Page, currency: str | None) -> list[Candidate]:
    """data-price / data-price-amount attributes (Magento, many themes): exact numbers, but of which SKU and in
    which unit (cents?) is unknown, so they only count when nothing visible does."""
    candidates = []
    for element in page.tree.xpath("//*[@data-price or @data-price-amount or @data-sale-price]"):
        value = element.get("data-price-amount") or element.get("data-sale-price") or element.get("data-price")
        if value and PLAIN_DECIMAL.fullmatch(value) and not page.zones.excluded(element):
            amount = Decimal(value.strip())
            if amount > 0:
                candidates.append(Candidate(Price(amount, None, currency), "dom:data-price",
                                            page.start_of.get(element, 0)))
    return candidates


def _distance(candidate: Candidate, anchor: int | None) -> int:
    if anchor is None:
        return candidate.offset
    gap = candidate.offset - anchor
    return gap if gap >= 0 else -gap * BEFORE_TITLE_PENALTY


def best_selling(candidates: list[Candidate], anchor: int | None) -> Candidate | None:
    """Strongest rule first, then a price said to be the price now, then the one nearest the title."""
    selling = [c for c in candidates if c.price.kind == PRICE]
    if not selling:
        return None
    return min(selling, key=lambda c: (-c.strength, not c.strong, _distance(c, anchor)))


def _nearest(candidates: list[Candidate], kind: str, to: Candidate | None, accept: Any) -> Candidate | None:
    pool = [c for c in candidates if c.price.kind == kind and accept(c.price.amount)]
    if not pool:
        return None
    origin = to.offset if to is not None else 0
    return min(pool, key=lambda c: (-c.strength, abs(c.offset - origin)))


def list_and_promo(candidates: list[Candidate], selling: Candidate | None, price: Decimal
                   ) -> tuple[Candidate | None, Candidate | None]:
    """A list price above the price (and not absurdly so), a promo price below it (and not a coupon's face value:
    at least 30% of the price)."""
    list_price = _nearest(candidates, LIST, selling, lambda a: price < a <= price * 10)
    promo = _nearest(candidates, PROMO, selling, lambda a: price * Decimal("0.3") <= a < price)
    return list_price, promo


# ---------------------------------------------------------------------------------------------------------------
# Title, anchor and the other facts.

TITLE_WORDS = frozenset({"title", "name"})
TITLE_OWNERS = frozenset({"product", "sku", "goods", "item", "main"})
SITE_SUFFIX = re.compile(
    r"\s*(?:[-_|–—:·]\s*)?(?:tmall\.com)?(?:天猫|Tmall)(?:tmall\.com)?$|\s*[-_|–—]\s*(?:京东|京东商城|JD\.COM|淘宝网|"
    r"苏宁易购|当当|当当网|当当图书|拼多多|抖音商城|亚马逊|国美|唯品会|1号店)\S*$", re.IGNORECASE)
SEO_BRACKET = re.compile(r"\s*【[^】]*(?:报价|价格|行情|评测|图片|参数|怎么样|简介|书评)[^】]*】\s*$")
AMAZON_PREFIX = re.compile(r"^Amazon\.[\w.]+\s*:\s*(?P<rest>.+?)(?:\s+:\s+[^:]{2,40})?$")
GENERIC_SUFFIX = re.compile(r"^(?P<rest>.{4,}?)\s*(?:\s[-|–—·]\s|[|｜_])\s*(?P<tail>[^-|–—·｜_]{1,30})$")


def clean_title(title: str | None) -> str | None:
    """Strip what shops append to <title> and og:title: ` - 京东`, `-tmall.com天猫`, `【行情 报价 价格 评测】`,
    `Amazon.com: ... : Electronics`, ` | Shop name`."""
    if not title:
        return None
    text = " ".join(html.unescape(title).split())
    amazon = AMAZON_PREFIX.match(text)
    if amazon:
        return amazon.group("rest")
    stripped = SEO_BRACKET.sub("", SITE_SUFFIX.sub("", text))
    if stripped != text:
        return SEO_BRACKET.sub("", stripped) or text
    generic = GENERIC_SUFFIX.match(text)
    return generic.group("rest") if generic else text


def _h1(page: Page) -> Any:
    """The first <h1> that is not a logo and not in a recommendation / footer zone."""
    for heading in page.tree.iterfind(".//body//h1"):
        if len(_text_of(heading)) > 3 and "logo" not in class_words(heading) and not page.zones.excluded(heading):
            return heading
    return None


def _title_class_element(page: Page) -> Any:
    """sku-name (JD), product_title (WooCommerce), product__title (Shopify), tb-main-title (Taobao) and kin."""
    for element, words in page.classed():
        if words & TITLE_WORDS and words & TITLE_OWNERS and len(_text_of(element)) > 3 \
                and not page.zones.excluded(element):
            return element
    return None


def _heading_in_title(page: Page, title: str | None) -> Any:
    """Old shops put the product name in an <h2>/<h3>/<b> that <title> repeats."""
    if not title:
        return None
    for heading in page.tree.xpath("//body//*[self::h2 or self::h3 or self::h4 or self::strong or self::b]"):
        text = _text_of(heading)
        if len(text) >= 4 and text in title:
            return heading
    return None


def _element_named(page: Page, name: str) -> Any:
    """The heading or title element showing the structured name."""
    for element in page.tree.xpath("//body//*[self::h1 or self::h2 or self::h3 or @itemprop='name']"):
        if _text_of(element) == name:
            return element
    element = _title_class_element(page)
    return element if element is not None and _text_of(element) == name else None


CURRENCY_SIGN = re.compile(r"[¥￥$€£]|\d\s*元")


def _name_text(element: Any) -> str:
    """A heading's text; for a heading left unclosed on a broken page (its "text" runs on into prices and specs),
    only the text it starts with."""
    text = _text_of(element)
    own = " ".join((element.text or "").split())
    if (len(text) > 120 or CURRENCY_SIGN.search(text)) and len(own) >= 4:
        return own
    return text


def _buy_button(page: Page) -> Any:
    for element, text, _ in _buttons(page):
        if BUY_PHRASES.search(text):
            return element
    return None


@dataclass
class Anchor:
    """Where the product is named on the page (or, failing that, bought): prices are read relative to it."""

    offset: int
    text: str | None
    rule: str  # the rule name of a loose amount near it: dom:near-title or dom:near-buy


def find_anchor(page: Page, name: str | None, title: str | None) -> Anchor | None:
    found = _element_named(page, name) if name else None
    for finder in (_h1, _title_class_element, lambda p: _heading_in_title(p, title)):
        if found is not None:
            break
        found = finder(page)
    if found is not None:
        return Anchor(page.start_of.get(found, 0), _name_text(found), "dom:near-title")
    button = _buy_button(page)
    if button is not None:
        return Anchor(max(page.start_of.get(button, 0) - NEAR_TITLE_REACH // 2, 0), None, "dom:near-buy")
    return None


def _label_pattern(phrases: tuple[str, ...]) -> re.Pattern[str]:
    parts = [rf"\b{re.escape(p)}\b" if p.isascii() else spaced(p) for p in sorted(phrases, key=len, reverse=True)]
    return re.compile("|".join(parts), re.IGNORECASE)


REVIEW_LABELS = _label_pattern(("累计评价", "累计评论", "商品评价", "评价数", "评论数", "全部评价", "评价", "评论",
                                "reviews", "ratings"))
REVIEW_AFTER = re.compile(r"(\d[\d,.]*\s*[万萬kK]?\+?)\s*(?:条|个|人)?\s*(?:评价|评论|人评价|customer reviews?|reviews?|"
                          r"ratings?)\b", re.IGNORECASE)
SALES_LABELS = _label_pattern(("月销量", "月销", "月售", "已售", "销量", "已拼", "累计销量", "sold"))
SALES_AFTER = re.compile(r"(\d[\d,.]*\s*[万萬kK]?\+?)\s*(?:人付款|人已买|人已购|人购买|件已售|sold|bought in past month)",
                         re.IGNORECASE)
RATING_LABELS = _label_pattern(("宝贝评分", "商品评分", "评分", "rating"))
RATING_OUT_OF = re.compile(r"(\d(?:\.\d+)?)\s*(?:out of|/)\s*5(?:\.0)?\b", re.IGNORECASE)
SHOP_LABELS = re.compile("(?:" + "|".join(spaced(p) for p in ("店铺", "掌柜", "卖家", "商家")) +
                         r"|\bseller|\bstore)\s*[:：]|\bsold by\b", re.IGNORECASE)  # 店铺热销 is no shop name
STOCK_LABELS = _label_pattern(("库存",))
SHOP_WORDS = frozenset({"shopname", "storename", "sellername", "shopnick", "sellernick"})
SALES_WORDS = frozenset({"sales", "sellcount", "salecount", "salescount", "salesnum", "soldcount", "dealcnt",
                         "sellcounter", "monthsales"})
SHORT_VALUE = 30  # a count element holds a short text; a long one is a container that merely has such a class
REVIEW_WORDS = frozenset({"reviewcount", "commentcount", "reviewscount", "ratecounter", "reviewlink", "ratingcount",
                          "ratingscount", "customerreview"})
RATING_WORDS = frozenset({"rating", "stars", "ratingvalue", "starrating"})
STOCK_WORDS = frozenset({"stock", "instock", "outofstock", "availability", "inventory", "soldout", "kucun",
                         "storeprompt"})
BUY_PHRASES = re.compile("|".join(spaced(p) for p in ("立即购买", "立刻购买", "马上购买", "加入购物车", "立即抢购")) +
                         r"|\badd to (?:cart|bag|basket)\b|\bbuy (?:it )?now\b", re.IGNORECASE)
SOLD_OUT_BUTTON = re.compile("|".join(spaced(p) for p in ("到货通知", "已售完", "已售罄", "售罄", "缺货", "已抢光")) +
                             r"|\bsold out\b|\bout of stock\b|\bnotify me\b|\bunavailable\b", re.IGNORECASE)


def _value_after(page: Page, pattern: re.Pattern[str], start: int | None) -> str | None:
    """The text after the first label at or after `start` (the title), else after the first label anywhere."""
    origins = [start, 0] if start else [0]
    for origin in origins:
        match = pattern.search(page.text, origin)
        if match:
            value = page.segment_after(match.end())
            if value:
                return value
    return None


def _elements_with(page: Page, words: frozenset[str]) -> Iterator[Any]:
    """Elements whose class or id words (or adjacent pairs: shop-name is shopname) meet `words`, outside zones."""
    for element, found in page.classed():
        if words & found and not page.zones.excluded(element):
            yield element


@dataclass(frozen=True)
class CountClues:
    """Where a page states one count: class words of its element, a label before it, words after it. `foreign`
    labels name another count (a "sales" element reading 累计评论 128万 holds the review count)."""

    words: frozenset[str]
    labels: re.Pattern[str]
    after: re.Pattern[str]
    foreign: re.Pattern[str]


REVIEWS = CountClues(REVIEW_WORDS, REVIEW_LABELS, REVIEW_AFTER, SALES_LABELS)
SALES = CountClues(SALES_WORDS, SALES_LABELS, SALES_AFTER, REVIEW_LABELS)


def _count_by(page: Page, clues: CountClues, anchor: int | None) -> int | None:
    for element in _elements_with(page, clues.words):
        text = _text_of(element)
        if len(text) <= SHORT_VALUE and not clues.foreign.search(text):
            count = parse_count(text)
            if count is not None:
                return count
    value = _value_after(page, clues.labels, anchor)
    count = parse_count(value[:40]) if value else None
    if count is not None:
        return count
    match = clues.after.search(page.text, anchor or 0) or clues.after.search(page.text)
    return parse_count(match.group(1)) if match else None


def _rating_from(text: str) -> float | None:
    out_of = RATING_OUT_OF.search(text)
    value = parse_price(out_of.group(1)) if out_of else None
    if value is None:
        match = re.search(r"\d(?:\.\d+)?", normalise_digits(text))
        value = Price(Decimal(match.group())) if match else None
    if value is not None and 0 < value.amount <= 5:
        return float(value.amount)
    return None


def _dom_rating(page: Page, anchor: int | None) -> float | None:
    for element in _elements_with(page, RATING_WORDS):
        rating = _rating_from(element.get("aria-label") or element.get("title") or _text_of(element))
        if rating is not None:
            return rating
    value = _value_after(page, RATING_LABELS, anchor)
    if value:
        return _rating_from(value[:12])
    out_of = RATING_OUT_OF.search(page.text, anchor or 0)  # Amazon: "4.6 out of 5 stars"
    return _rating_from(out_of.group()) if out_of else None


def _dom_shop(page: Page, anchor: int | None) -> str | None:
    for element in _elements_with(page, SHOP_WORDS):
        text = re.sub(r"^\s*(?:店铺|掌柜|卖家|商家)\s*[:：]\s*", "", _text_of(element))
        if 1 < len(text) <= 40:
            return text
    value = _value_after(page, SHOP_LABELS, anchor)
    return value.split(" ")[0][:40] if value else None


def _buttons(page: Page) -> Iterator[tuple[Any, str, bool]]:
    """(element, text, disabled) of every button-like element outside zones."""
    for element in page.tree.xpath("//body//button | //body//input[@type='button' or @type='submit'] | "
                                   "//body//a[contains(@class, 'btn') or contains(@class, 'button')]"):
        text = element.get("value") if element.tag == "input" else _text_of(element)
        if text and not page.zones.excluded(element):
            disabled = element.get("disabled") is not None or "disabled" in class_words(element)
            yield element, text, disabled


def _dom_availability(page: Page, anchor: int | None, evidence: list[str]
                      ) -> tuple[str | None, int | None]:
    """Stock elements, then the buttons (到货通知 / disabled buy button: out; enabled buy button: in), then a 库存
    label near the title. Returns (availability, stock count)."""
    stock = None
    for element in _elements_with(page, STOCK_WORDS):
        text = _text_of(element)
        state, count = parse_availability(text), stock_count(text)
        stock = stock if stock is not None else count
        if state:
            return state, stock
    label_value = _value_after(page, STOCK_LABELS, anchor)
    if label_value:
        labelled = f"库存 {label_value[:20]}"
        stock = stock if stock is not None else stock_count(labelled)
    buttons = list(_buttons(page))
    if any(SOLD_OUT_BUTTON.search(text) for _, text, _ in buttons):
        evidence.append("availability: sold-out button")
        return OUT_OF_STOCK, stock
    if label_value and (state := parse_availability(label_value[:20])) == OUT_OF_STOCK:
        return state, stock
    if stock is not None:
        return (IN_STOCK if stock > 0 else OUT_OF_STOCK), stock
    buy = [disabled for _, text, disabled in buttons if BUY_PHRASES.search(text)]
    if buy:
        return (OUT_OF_STOCK if all(buy) else IN_STOCK), stock
    return None, stock


# ---------------------------------------------------------------------------------------------------------------
# Currency context: what a bare amount on this page is in.

TLD_CURRENCY = {"cn": "CNY", "jp": "JPY", "tw": "TWD", "hk": "HKD", "uk": "GBP", "de": "EUR", "fr": "EUR",
                "it": "EUR", "es": "EUR", "nl": "EUR", "at": "EUR", "ie": "EUR", "be": "EUR", "kr": "KRW",
                "au": "AUD", "ca": "CAD", "sg": "SGD", "in": "INR", "br": "BRL", "mx": "MXN"}
LANG_CURRENCY = {"zh-cn": "CNY", "zh-hans": "CNY", "zh-tw": "TWD", "zh-hk": "HKD", "ja": "JPY", "ko": "KRW",
                 "en-gb": "GBP", "de": "EUR", "fr": "EUR", "it": "EUR", "es": "EUR", "nl": "EUR"}


def page_currency(page: Page) -> str | None:
    """The currency the site's country implies (host's TLD, else <html lang>): it decides what ¥, $ and 元 mean."""
    host = urlsplit(page.url).hostname if page.url else None
    if host:
        currency = TLD_CURRENCY.get(host.rsplit(".", 1)[-1])
        if currency:
            return currency
    lang = (page.tree.get("lang") or "").lower()
    return LANG_CURRENCY.get(lang) or LANG_CURRENCY.get(lang.split("-")[0])


# ---------------------------------------------------------------------------------------------------------------
# Putting it together.

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
        if product is None:
            continue
        offers, price = _fill_from_product(result, product, rule, page)
        list_prices += offers.list_prices
        states += offers.availability
        sellers += offers.sellers
        if price is not None and chosen is None:
            chosen = Candidate(price, rule, strong=True)
        elif price is not None and not _agrees(price, chosen.price):
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


def _agrees(price: Price, other: Price) -> bool:
    """Equal, or inside the other's range (a DOM showing the chosen SKU of a structured range agrees with it)."""
    tolerance = Decimal("0.005")
    return other.amount - tolerance <= price.amount <= (other.max_amount or other.amount) + tolerance


def _note_dom_disagreement(result: Extraction, chosen: Candidate, dom_best: Candidate | None) -> None:
    if dom_best is None:
        return
    if _agrees(dom_best.price, chosen.price):
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
                  structured_lists: list[Price], og_list: Price | None) -> None:
    currency = (structured.price.currency if structured else None) or page_currency(page)
    candidates = dom_candidates(page, anchor, currency)
    anchor_offset = anchor.offset if anchor else None
    dom_best = best_selling(candidates, anchor_offset)
    chosen = structured or dom_best
    if chosen is None:
        return
    _set_price(result, chosen)
    if chosen is not dom_best:
        _note_dom_disagreement(result, chosen, dom_best)
    else:
        losers = sorted({c.describe() for c in candidates if c.price.kind == PRICE and c is not dom_best
                         and not _agrees(c.price, dom_best.price)})[:3]
        if losers:
            result.evidence.append(f"{dom_best.describe()} won over " + "; ".join(losers))
    if result.currency is None:
        marked = Counter(c.price.currency for c in candidates if c.price.currency)
        result.currency = marked.most_common(1)[0][0] if marked else None
    anchor_candidate = dom_best if dom_best is not None and _agrees(dom_best.price, chosen.price) else None
    dom_list, dom_promo = list_and_promo(candidates, anchor_candidate, chosen.price.amount)
    structured_list = next((p for p in [*structured_lists, og_list] if p and p.amount > chosen.price.amount), None)
    if structured_list is not None:
        result.list_price = structured_list.amount
    elif dom_list is not None:
        result.list_price = dom_list.price.amount
    if dom_promo is not None:
        result.promo_price = dom_promo.price.amount


def _choose_availability(result: Extraction, page: Page, anchor_offset: int | None, structured_states: list[str],
                         og_state: str | None) -> None:
    dom_state, stock = _dom_availability(page, anchor_offset, result.evidence)
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
    og = _og_properties(page)
    og_price, og_list, og_state = _open_graph(og, page, result)
    structured = structured or og_price or _meta_price(page)
    title = _title_text(page)
    anchor = find_anchor(page, result.name, title)
    result.name = result.name or (anchor.text if anchor else None) or clean_title(title)
    anchor_offset = anchor.offset if anchor else None
    _choose_price(result, page, anchor, structured, structured_lists, og_list)
    _choose_availability(result, page, anchor_offset, states, og_state)
    result.shop = sellers[0] if sellers else _dom_shop(page, anchor_offset)
    if result.rating is None:
        result.rating = _dom_rating(page, anchor_offset)
    if result.review_count is None:
        result.review_count = _count_by(page, REVIEWS, anchor_offset)
    result.monthly_sales = _count_by(page, SALES, anchor_offset)
    if result.image is None:
        result.image = _dom_image(page, result.name)
    result.description = (result.description or dom_description(page, anchor_offset)
                          or meta_description(page, og.get("og:description")))
    missing = [reason for reason, value in ((NO_PRICE, result.price), (NO_NAME, result.name)) if value is None]
    result.incomplete = "; ".join(missing) or None
    return result


def _dom_image(page: Page, name: str | None) -> str | None:
    """<img itemprop="image">, else the image whose alt text is the product's name."""
    found = page.tree.xpath("//img[@itemprop='image']/@src")
    if not found and name:
        found = [img.get("src") for img in page.tree.iterfind(".//img") if img.get("src") and img.get("alt") == name]
    return page.absolute(found[0]) if found else None
