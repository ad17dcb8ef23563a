"""Price evidence in the DOM: every amount in the body text that a shopper would read as a price, the rule that
makes it evidence (itemprop, price class, label, near the title or the buy button), whether it is the price now, a
list price or a promo price, and how the candidates compete.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from crawlers.parsed_page import Page, class_words
from crawlers.prices import LIST, PRICE, PROMO, Price, PriceSpan, demote_plain_prices, price_spans
from crawlers.structured import PLAIN_DECIMAL

if TYPE_CHECKING:  # page_facts reads NEAR_TITLE_REACH from here; an Anchor is only a type here
    from crawlers.page_facts import Anchor


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


STRUCK_TAGS = frozenset({"del", "s", "strike"})


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
