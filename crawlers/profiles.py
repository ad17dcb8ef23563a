"""Site profiles: reading a page's fields with the selectors config.toml gives for its platform.

A profile names fields and says where each is (css, xpath, or a JMESPath into a JSON response the page fetched).
This module turns those raw strings and JSON values into typed values with the same parsers the generic extractor
uses, so a new site is added by configuration, not code. Field names and their types:

    text:   title, description, term, text, shop, sku, item_id, review_id
    price:  price, price_max, list_price, promo_price      (ranges "¥89-129" fill price and price_max)
    count:  rank, heat, stock, sales, review_count          ("1.2万+" -> 12000)
    number: rating
    flag:   rising                                          (true when the selector matches non-empty text)
    link:   url, next, reviews_link                         (made absolute against the page URL)
    date:   date
    state:  availability                                    ("已售完" -> OutOfStock)

A field called `next` is always read from the whole page, never inside an item.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any
from urllib.parse import urljoin

import jmespath
import lxml.etree
from parsel import Selector as Page
from parsel.csstranslator import HTMLTranslator

from config import PageProfile, Selector
from crawlers.availability import parse_availability
from crawlers.dates import parse_date
from crawlers.prices import parse_count, parse_price

TEXT = {"title", "description", "term", "text", "shop", "sku", "item_id", "review_id"}
PRICE = {"price", "price_max", "list_price", "promo_price"}
COUNT = {"rank", "heat", "stock", "sales", "review_count"}
LINK = {"url", "next", "reviews_link"}
PAGE_LEVEL = {"next"}

_CSS = HTMLTranslator()
_NAMESPACES = {"re": "http://exslt.org/regular-expressions"}  # parsel's default, for XPaths that use re:test()
_DESCENDANT_TEXT = lxml.etree.XPath(".//text()", smart_strings=False)


class ProfileError(ValueError):
    """A profile field that cannot be read as its type says (e.g. a rank that is not a number)."""


def raw_value(selector: Selector, node: Any, doc: Any = None) -> Any:
    """The text (or JSON value) a selector points at, after its regex; None when nothing matches. `node` is an
    lxml element (a page's root or one list entry)."""
    if selector.json_path is not None:
        value = jmespath.search(selector.json_path, doc) if doc is not None else None
    elif node is None:
        value = None
    else:
        value = _text_of(compiled(selector.css, selector.xpath)(node), selector.attr)
    if value is not None and selector.regex is not None:
        found = re.search(selector.regex, str(value))
        value = (found.group(1) if found.groups() else found.group(0)) if found else None
    return value


@lru_cache(maxsize=1024)
def compiled(css: str | None, xpath: str | None) -> lxml.etree.XPath:
    """A selector as a compiled XPath (CSS translated as parsel does, with its ::text and ::attr()): a crawl reads
    the same few selectors on every page, and compiling them once is most of the cost of reading a small page."""
    expression = _CSS.css_to_xpath(css) if css is not None else xpath
    return lxml.etree.XPath(expression, namespaces=_NAMESPACES, smart_strings=False)


def _text_of(matches: Any, attr: str | None) -> str | None:
    if not isinstance(matches, list):  # an XPath that computes a string or number, e.g. normalize-space()
        matches = [matches] if matches not in ("", None) else []
    if not matches:
        return None
    first = matches[0]
    if attr is not None:
        return first.get(attr) if hasattr(first, "get") else None
    if not hasattr(first, "tag"):  # ::text, ::attr() or an XPath text()/@attr result
        text = "".join(str(match) for match in matches)
    else:
        text = "".join(_DESCENDANT_TEXT(first))
    text = " ".join(text.split())
    return text or None


def typed(name: str, value: Any, selector: Selector, base_url: str) -> Any:
    """Convert a raw field value to the type its name implies; None stays None."""
    if value is None or value == "":
        return None
    scale = Decimal(str(selector.scale)) if selector.scale is not None else None
    if name in PRICE:
        return _price(value, scale)
    if name in COUNT:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return int(value * (selector.scale or 1))
        return parse_count(str(value))
    if name == "rating":
        try:
            return float(value) * (selector.scale or 1)
        except (TypeError, ValueError):
            found = re.search(r"\d+(?:\.\d+)?", str(value))
            return float(found.group()) if found else None
    if name == "rising":
        return bool(value) and str(value).strip().lower() not in ("false", "0", "-")
    if name in LINK:
        return urljoin(base_url, str(value).strip())
    if name == "date":
        return parse_date(value)
    if name == "availability":
        return parse_availability(str(value))
    return " ".join(str(value).split())


def _price(value: Any, scale: Decimal | None) -> tuple[Decimal, Decimal | None] | None:
    """(amount, range maximum) from a JSON number or a price string."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            amount = Decimal(str(value)) * (scale or 1)
        except InvalidOperation:
            return None
        return amount.quantize(Decimal("0.01")), None
    price = parse_price(str(value))
    if price is None:
        return None
    maximum = price.max_amount * scale if price.max_amount is not None and scale else price.max_amount
    return (price.amount * scale if scale else price.amount), maximum


def read_page(profile: PageProfile, page: Page, base_url: str, docs: list[Any] = ()) -> dict[str, Any]:
    """Every page-level field of `profile` (all fields when it has no `items`)."""
    fields = {name: sel for name, sel in profile.fields.items() if profile.items is None or name in PAGE_LEVEL}
    return {name: typed(name, _first(sel, page, docs), sel, base_url) for name, sel in fields.items()}


def read_items(profile: PageProfile, page: Page, base_url: str, docs: list[Any] = ()) -> list[dict[str, Any]]:
    """The fields of every repeated entry `profile.items` selects, in page order."""
    if profile.items is None:
        return []
    fields = {name: sel for name, sel in profile.fields.items() if name not in PAGE_LEVEL}
    if profile.items.json_path is not None:
        entries = next((found for doc in docs if isinstance(found := jmespath.search(profile.items.json_path, doc),
                                                            list)), [])
        return [{name: typed(name, raw_value(sel, None, entry), sel, base_url) for name, sel in fields.items()}
                for entry in entries]
    nodes = compiled(profile.items.css, profile.items.xpath)(page.root)
    return [{name: typed(name, raw_value(sel, node), sel, base_url) for name, sel in fields.items()}
            for node in nodes if hasattr(node, "tag")]


def _first(selector: Selector, page: Page, docs: list[Any]) -> Any:
    if selector.json_path is None:
        return raw_value(selector, page.root)
    return next((value for doc in reversed(docs) if (value := raw_value(selector, None, doc)) is not None), None)
