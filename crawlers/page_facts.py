"""The other facts a product page states in its DOM: the product's name and where it sits (the anchor prices are
read relative to), review and sales counts, rating, shop, stock and availability, and the currency the site's
country implies.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from crawlers.availability import IN_STOCK, OUT_OF_STOCK, parse_availability, stock_count
from crawlers.parsed_page import Page, class_words, element_text
from crawlers.phrases import phrase_pattern, spaced, starting_with
from crawlers.price_evidence import NEAR_TITLE_REACH
from crawlers.prices import Price, normalise_digits, parse_count, parse_price

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
        if len(element_text(heading)) > 3 and "logo" not in class_words(heading) and not page.zones.excluded(heading):
            return heading
    return None


def _title_class_element(page: Page) -> Any:
    """sku-name (JD), product_title (WooCommerce), product__title (Shopify), tb-main-title (Taobao) and kin."""
    for element, words in page.classed():
        if words & TITLE_WORDS and words & TITLE_OWNERS and len(element_text(element)) > 3 \
                and not page.zones.excluded(element):
            return element
    return None


def _heading_in_title(page: Page, title: str | None) -> Any:
    """Old shops put the product name in an <h2>/<h3>/<b> that <title> repeats."""
    if not title:
        return None
    for heading in page.tree.xpath("//body//*[self::h2 or self::h3 or self::h4 or self::strong or self::b]"):
        text = element_text(heading)
        if len(text) >= 4 and text in title:
            return heading
    return None


def _element_named(page: Page, name: str) -> Any:
    """The heading or title element showing the structured name."""
    for element in page.tree.xpath("//body//*[self::h1 or self::h2 or self::h3 or @itemprop='name']"):
        if element_text(element) == name:
            return element
    element = _title_class_element(page)
    return element if element is not None and element_text(element) == name else None


CURRENCY_SIGN = re.compile(r"[¥￥$€£]|\d\s*元")


def _name_text(element: Any) -> str:
    """A heading's text; for a heading left unclosed on a broken page (its "text" runs on into prices and specs),
    only the text it starts with."""
    text = element_text(element)
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
    element: Any = None  # the title element (or the buy button)
    block: Any = None  # the main block: the smallest element holding both the title and the buy controls


def find_anchor(page: Page, name: str | None, title: str | None) -> Anchor | None:
    found = _element_named(page, name) if name else None
    for finder in (_h1, _title_class_element, lambda p: _heading_in_title(p, title)):
        if found is not None:
            break
        found = finder(page)
    if found is not None:
        offset = page.start_of.get(found, 0)
        return Anchor(offset, _name_text(found), "dom:near-title", found, _main_block(page, found, offset))
    button = _buy_button(page)
    if button is not None:
        return Anchor(max(page.start_of.get(button, 0) - NEAR_TITLE_REACH // 2, 0), None, "dom:near-buy", button)
    return None


QUANTITY_WORDS = frozenset({"qty", "quantity", "amount", "buynum", "number", "num", "count", "shuliang"})


def _buy_controls(page: Page) -> Iterator[Any]:
    """The buy and add-to-cart buttons, and the quantity input beside them (数量, Quantity)."""
    for element, text, _ in _buttons(page):
        if BUY_PHRASES.search(text):
            yield element
    for field in page.tree.xpath("//body//input[not(@type) or @type='text' or @type='number' or @type='tel']"):
        near = [field, field.getparent()]
        if any(QUANTITY_WORDS & {*class_words(n), *(n.get("name") or "").lower().split()} for n in near
               if n is not None) and not page.zones.excluded(field):
            yield field


def _main_block(page: Page, title: Any, title_offset: int) -> Any:
    """The smallest element holding the title and the buy control nearest to it: the block that sells THE product,
    where its own price is. None when there is no control, or when the two meet only at <body> (then the block
    would be the whole page, sidebars included, and says nothing)."""
    controls = list(_buy_controls(page))
    if not controls:
        return None
    control = min(controls, key=lambda c: abs(page.start_of.get(c, 0) - title_offset))
    lineage = set(title.iterancestors())
    lineage.add(title)
    for node in control.iterancestors():
        if node in lineage:
            return None if node.tag in ("body", "html") else node
    return None


REVIEW_LABELS = phrase_pattern(("累计评价", "累计评论", "商品评价", "评价数", "评论数", "全部评价", "评价", "评论",
                                "reviews", "ratings"))
REVIEW_AFTER = re.compile(r"(\d[\d,.]*\s*[万萬kK]?\+?)\s*(?:条|个|人)?\s*(?:评价|评论|人评价|customer reviews?|reviews?|"
                          r"ratings?)\b", re.IGNORECASE)
SALES_LABELS = phrase_pattern(("月销量", "月销", "月售", "已售", "销量", "已拼", "累计销量", "sold"))
SALES_AFTER = re.compile(r"(\d[\d,.]*\s*[万萬kK]?\+?)\s*(?:人付款|人已买|人已购|人购买|件已售|sold|bought in past month)",
                         re.IGNORECASE)
RATING_LABELS = phrase_pattern(("宝贝评分", "商品评分", "评分", "rating"))
RATING_OUT_OF = re.compile(r"(\d(?:\.\d+)?)\s*(?:out of|/)\s*5(?:\.0)?\b", re.IGNORECASE)
SHOP_PHRASES = ("店铺", "掌柜", "卖家", "商家")
SHOP_LABELS = re.compile(starting_with([*(p[0] for p in SHOP_PHRASES), "s"]) +  # s: seller, store, sold by
                         "(?:" + "|".join(spaced(p) for p in SHOP_PHRASES) +
                         r"|\bseller|\bstore)\s*[:：]|\bsold by\b", re.IGNORECASE)  # 店铺热销 is no shop name
STOCK_LABELS = phrase_pattern(("库存",))
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


def count_by(page: Page, clues: CountClues, anchor: int | None) -> int | None:
    for element in _elements_with(page, clues.words):
        text = element_text(element)
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


def dom_rating(page: Page, anchor: int | None) -> float | None:
    for element in _elements_with(page, RATING_WORDS):
        rating = _rating_from(element.get("aria-label") or element.get("title") or element_text(element))
        if rating is not None:
            return rating
    value = _value_after(page, RATING_LABELS, anchor)
    if value:
        return _rating_from(value[:12])
    out_of = RATING_OUT_OF.search(page.text, anchor or 0)  # Amazon: "4.6 out of 5 stars"
    return _rating_from(out_of.group()) if out_of else None


def dom_shop(page: Page, anchor: int | None) -> str | None:
    for element in _elements_with(page, SHOP_WORDS):
        text = re.sub(r"^\s*(?:店铺|掌柜|卖家|商家)\s*[:：]\s*", "", element_text(element))
        if 1 < len(text) <= 40:
            return text
    value = _value_after(page, SHOP_LABELS, anchor)
    return value.split(" ")[0][:40] if value else None


def _buttons(page: Page) -> Iterator[tuple[Any, str, bool]]:
    """(element, text, disabled) of every button-like element outside zones."""
    for element in page.tree.xpath("//body//button | //body//input[@type='button' or @type='submit'] | "
                                   "//body//a[contains(@class, 'btn') or contains(@class, 'button')]"):
        text = element.get("value") if element.tag == "input" else element_text(element)
        if text and not page.zones.excluded(element):
            disabled = element.get("disabled") is not None or "disabled" in class_words(element)
            yield element, text, disabled


def dom_availability(page: Page, anchor: int | None, evidence: list[str]
                      ) -> tuple[str | None, int | None]:
    """Stock elements, then the buttons (到货通知 / disabled buy button: out; enabled buy button: in), then a 库存
    label near the title. Returns (availability, stock count)."""
    stock = None
    for element in _elements_with(page, STOCK_WORDS):
        text = element_text(element)
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
