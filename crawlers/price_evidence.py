"""Price evidence in the DOM: every amount in the body text that a shopper would read as a price, the rule that
makes it evidence (itemprop, price class, label, near the title or the buy button), whether it is the price now, a
list price or a promo price, and how the candidates compete.

A candidate's score is its rule's strength plus the points of the evidence rules about where it sits
(EVIDENCE_RULES): said to be the price now, near the title, inside the main block (title + buy button); minus points
inside a list of other items (a carousel of cards, each with its link and price), a sidebar or a block headed 看了又看
/ 为你推荐 / You may also like, and coupon, instalment, shipping or bundle terms. The highest score wins; a winner
below MIN_SCORE, or a tie with a different amount, is no price: the caller says why instead of guessing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from crawlers.parsed_page import Page, class_words
from crawlers.phrases import spaced
from crawlers.prices import LIST, PRICE, PROMO, Price, PriceSpan, demote_plain_prices, price_spans
from crawlers.structured import PLAIN_DECIMAL

if TYPE_CHECKING:  # page_facts reads NEAR_TITLE_REACH from here; an Anchor is only a type here
    from crawlers.page_facts import Anchor


STRENGTH = {"jsonld": 100, "microdata": 95, "rdfa": 90, "opengraph": 80, "meta": 75, "dom:itemprop": 70,
            "dom:price-class": 60, "dom:label": 55, "dom:data-price": 45, "dom:near-title": 40,
            "dom:near-buy": 35}
NEAR_TITLE_REACH = 1500  # characters of body text after the title in which a loose currency amount may be the price
BEFORE_TITLE_PENALTY = 4  # an amount above the title is usually a header, cart or banner


MIN_SCORE = 30  # below this a DOM amount is too weak to be the price (a card's price in a carousel scores 0)


@dataclass
class Candidate:
    price: Price
    rule: str
    offset: int = 0
    strong: bool = False  # said to be the price now (促销价, Sale price, class sale / promo / final)
    end: int | None = None  # where the amount ends in the text stream (None for an attribute)
    element: Any = None  # the element holding the number
    score: int | None = None  # strength plus EVIDENCE_RULES points; None for structured data
    notes: list[str] = field(default_factory=list)  # the evidence rules that gave or took points

    @property
    def strength(self) -> int:
        return STRENGTH[self.rule]

    def describe(self) -> str:
        upper = f"-{self.price.max_amount}" if self.price.max_amount is not None else ""
        said = f" [{', '.join(self.notes)}]" if self.notes else ""
        return f"{self.rule} {self.price.kind} {self.price.amount}{upper}{said}"


PRICE_WORDS = ("price", "jiage", "rmb", "money")
STRONG_WORDS = frozenset({"sale", "special", "promo", "promotion", "now", "current", "our", "deal", "pay", "topay",
                          "final", "actual", "xianjia", "cuxiao", "ins", "main"})  # price-main: the main price
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
    return Candidate(price, rule, span.start, strong=span.label == "strong" or context.role == "strong",
                     end=span.end)


# --- where an amount sits: the evidence rules --------------------------------------------------------------------

@dataclass
class Surroundings:
    """What the evidence rules read around every candidate of one page."""

    page: Page
    anchor: Anchor | None

    @property
    def anchor_offset(self) -> int | None:
        return self.anchor.offset if self.anchor is not None else None

    def holds_anchor(self, element: Any) -> bool:
        """The element contains the title (or the main block): it is the product's part of the page, not another's."""
        if self.anchor is None:
            return False
        page = self.page
        inner = self.anchor.block if self.anchor.block is not None else self.anchor.element
        if inner is not None and (element is inner or element in inner.iterancestors()):
            return True
        return page.start_of.get(element, 0) <= self.anchor.offset < page.end_of.get(element, 0)

    def enclosing(self, element: Any) -> Iterator[Any]:
        """The element and its ancestors below the first one holding the product's title or block, and below body."""
        node = element
        while node is not None and isinstance(node.tag, str) and node.tag not in ("body", "html"):
            if self.holds_anchor(node):
                return
            yield node
            node = node.getparent()


def said_now(c: Candidate, s: Surroundings) -> bool:
    """促销价, Sale price, class sale / promo / price-main: the page says this is what is paid now."""
    return c.strong


def near_title(c: Candidate, s: Surroundings) -> bool:
    """Within reach after the title, or a quarter of that above it (mobile layouts put the price over the title)."""
    anchor = s.anchor_offset
    if anchor is None:
        return False
    gap = c.offset - anchor
    return -NEAR_TITLE_REACH // BEFORE_TITLE_PENALTY <= gap <= NEAR_TITLE_REACH


def in_main_block(c: Candidate, s: Surroundings) -> bool:
    block = s.anchor.block if s.anchor is not None else None
    return block is not None and c.element is not None and (c.element is block or block in c.element.iterancestors())


def _has_link(element: Any) -> bool:
    return (element.tag == "a" and element.get("href") is not None) or \
        next(element.iterfind(".//a[@href]"), None) is not None or next(element.iterfind(".//img"), None) is not None


def in_list_of_other_items(c: Candidate, s: Surroundings) -> bool:
    """Inside one of several sibling blocks alike in tag and class, each with its own link or picture: the cards of
    a carousel or a grid of other products (the product's own part of the page is never inside one)."""
    if c.element is None:
        return False
    for node in s.enclosing(c.element):
        parent = node.getparent()
        if parent is None or not _has_link(node):
            continue
        alike = [sibling for sibling in parent if sibling.tag == node.tag and sibling.get("class") == node.get("class")]
        if len(alike) >= 2 and sum(_has_link(sibling) for sibling in alike) >= 2:
            return True
    return False


SIDE_WORDS = frozenset({"side", "sidebar", "aside", "leftbar", "rightbar", "lside", "rside", "sidebox", "colsub",
                        "colextra", "sidecol"})
OTHER_ITEMS_HEADINGS = ("看了又看", "猜你喜欢", "为你推荐", "相关推荐", "店铺推荐", "掌柜推荐", "热卖推荐", "热销", "热卖",
                        "排行", "同类", "相似", "最近浏览", "浏览记录", "看过", "还买了", "大家都在买", "达人选购",
                        "优惠套装", "推荐搭配", "套餐", "人气", "you may also like", "you might also like", "related",
                        "also viewed", "also bought", "recently viewed", "bought together", "similar items",
                        "more from", "recommended", "customers who", "top sellers", "best sellers")
OTHER_ITEMS_HEADING = re.compile("|".join(spaced(h) for h in OTHER_ITEMS_HEADINGS), re.IGNORECASE)
HEADING_REACH = 24  # characters at the start of a block in which its heading stands


def in_side_block(c: Candidate, s: Surroundings) -> bool:
    """Inside an aside, a sidebar (side, col-sub ...), or a block whose opening heading says it shows other items
    (看了又看, 猜你喜欢, 优惠套装, You may also like)."""
    if c.element is None:
        return False
    page = s.page
    for node in s.enclosing(c.element):
        words = class_words(node)
        if node.tag == "aside" or SIDE_WORDS.intersection(words) or \
                SIDE_WORDS.intersection(a + b for a, b in zip(words, words[1:])):
            return True
        start = page.start_of.get(node)
        if start is not None and start < c.offset and \
                OTHER_ITEMS_HEADING.search(page.text, start, min(start + HEADING_REACH, c.offset)):
            return True
    return False


TERMS_BEFORE = re.compile("|".join(spaced(t) for t in (
    "分期", "免息", "白条", "花呗", "月供", "每期", "运费", "邮费", "快递", "配送", "包邮", "满", "套餐", "套装",
    "组合", "搭配", "定金", "直播间")) + r"|券(?!后)|instal+ments?|payments? of|per month|shipping|delivery|postage|"
    r"bundle|total price|deposit", re.IGNORECASE)
TERMS_AFTER = re.compile(r"[\s:：]*(?:[×xX*]\s*\d+\s*期|/\s*期|/\s*月|每期|期|[\u4e00-\u9fff]{0,4}券(?!后)|/\s*mo\b|a month|per month|"
                         r"with (?:klarna|afterpay|clearpay|paypal)|x \d+)", re.IGNORECASE)
COUPON_BEFORE = re.compile(r"满\s*\d+(?:\.\d+)?\s*元?\s*(?:减\s*\d+(?:\.\d+)?\s*元?|可用|使用)?[\s:：]*$")
TERMS_REACH = 20  # characters before an amount (after the previous number) in which its terms are stated
DIGIT = re.compile(r"[0-9\uff10-\uff19]")


def in_terms(c: Candidate, s: Surroundings) -> bool:
    """A coupon, an instalment, a shipping fee, a deposit or a bundle: 白条分期 ¥153×3期, 满200减20, 运费 ¥6, 套餐价,
    4 payments of $9.75, read in the amount's own words: those after the previous number (the 券 of 领券立减100元
    says nothing of the price after it), those just after the amount, and a coupon's threshold just before it
    (满200减20 ¥50)."""
    if c.end is None:
        return False
    text = s.page.text
    before = text[max(c.offset - TERMS_REACH, 0):c.offset]
    last_number = max((m.end() for m in DIGIT.finditer(before)), default=0)
    return bool(TERMS_BEFORE.search(before, last_number) or TERMS_AFTER.match(text, c.end, c.end + 12)
                or COUPON_BEFORE.search(before))


@dataclass(frozen=True)
class EvidenceRule:
    name: str
    points: int
    applies: Callable[[Candidate, Surroundings], bool]


EVIDENCE_RULES = (
    EvidenceRule("said to be the price now", 10, said_now),
    EvidenceRule("near the title", 10, near_title),
    EvidenceRule("in the main block", 15, in_main_block),
    EvidenceRule("in a list of other items", -60, in_list_of_other_items),
    EvidenceRule("in a sidebar or other items' block", -50, in_side_block),
    EvidenceRule("in coupon, instalment, shipping or bundle terms", -100, in_terms),
)


def score(candidate: Candidate, surroundings: Surroundings) -> Candidate:
    """Set the candidate's score: its rule's strength plus the points of every evidence rule that applies."""
    candidate.score = candidate.strength
    for rule in EVIDENCE_RULES:
        if rule.applies(candidate, surroundings):
            candidate.score += rule.points
            candidate.notes.append(f"{rule.points:+d} {rule.name}")
    return candidate


# --- candidates --------------------------------------------------------------------------------------------------

def dom_candidates(page: Page, anchor: Anchor | None, default_currency: str | None) -> list[Candidate]:
    """Every amount in the body that is evidence of a price, with the rule that makes it so, scored."""
    spans = demote_plain_prices(price_spans(page.text, default_currency))
    surroundings = Surroundings(page, anchor)
    candidates = []
    for span in spans:
        if span.price.amount <= 0:
            continue
        digit = DIGIT.search(page.text, span.start)  # the number's element, not its currency sign's (class unit)
        element = page.owner(digit.start() if digit else span.start)
        if page.zones.excluded(element):
            continue
        near = anchor is not None and anchor.offset <= span.start <= anchor.offset + NEAR_TITLE_REACH
        candidate = _span_candidate(span, context_of(element), anchor.rule if near else None)
        if candidate is not None:
            candidate.element = element
            candidates.append(score(candidate, surroundings))
    candidates.extend(score(c, surroundings) for c in _data_price_candidates(page, default_currency))
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
                                            page.start_of.get(element, 0), element=element))
    return candidates


# --- the choice --------------------------------------------------------------------------------------------------

def agrees(price: Price, other: Price) -> bool:
    """Equal, or inside the other's range (a DOM showing the chosen SKU of a structured range agrees with it)."""
    tolerance = Decimal("0.005")
    return other.amount - tolerance <= price.amount <= (other.max_amount or other.amount) + tolerance


def _distance(candidate: Candidate, anchor: int | None) -> int:
    if anchor is None:
        return candidate.offset
    gap = candidate.offset - anchor
    return gap if gap >= 0 else -gap * BEFORE_TITLE_PENALTY


def _rank(candidate: Candidate, anchor: int | None) -> tuple[int, int]:
    return -(candidate.score if candidate.score is not None else candidate.strength), _distance(candidate, anchor)


@dataclass
class Selling:
    """The DOM's selling price, or why there is none although amounts were seen (too weak, or a tie)."""

    best: Candidate | None
    doubt: str | None = None


def best_selling(candidates: list[Candidate], anchor: int | None) -> Selling:
    """The highest score wins, the one nearer the title at equal scores when both say the same amount; two
    different amounts at the top score, or a best below MIN_SCORE, are no price."""
    selling = sorted((c for c in candidates if c.price.kind == PRICE), key=lambda c: _rank(c, anchor))
    if not selling:
        return Selling(None)
    best = selling[0]
    if best.score is not None and best.score < MIN_SCORE:
        return Selling(None, f"only weak price evidence ({best.describe()})")
    rival = next((c for c in selling[1:] if c.score == best.score and not agrees(c.price, best.price)
                  and not agrees(best.price, c.price)), None)
    if rival is not None:
        return Selling(None, f"two prices tie ({best.describe()}; {rival.describe()})")
    return Selling(best)


def _nearest(candidates: list[Candidate], kind: str, to: Candidate | None, accept: Any) -> Candidate | None:
    pool = [c for c in candidates if c.price.kind == kind and accept(c.price.amount)
            and (c.score is None or c.score >= MIN_SCORE)]
    if not pool:
        return None
    origin = to.offset if to is not None else 0
    return min(pool, key=lambda c: (-(c.score or c.strength), abs(c.offset - origin)))


def list_and_promo(candidates: list[Candidate], selling: Candidate | None, price: Decimal
                   ) -> tuple[Candidate | None, Candidate | None]:
    """A list price above the price (and not absurdly so), a promo price below it (and not a coupon's face value:
    at least 30% of the price); neither from another item's card, a sidebar or a coupon's terms."""
    list_price = _nearest(candidates, LIST, selling, lambda a: price < a <= price * 10)
    promo = _nearest(candidates, PROMO, selling, lambda a: price * Decimal("0.3") <= a < price)
    return list_price, promo
