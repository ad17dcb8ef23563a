"""Site profiles: reading a page's fields with the selectors config.toml gives for its platform.

A profile names fields and says where each is (css, xpath, or a JMESPath into a JSON response the page fetched).
This module turns those raw strings and JSON values into typed values with the same parsers the generic extractor
uses, so a new site is added by configuration, not code. Field names and their types:

    text:   title, description, term, text, append, shop, sku, item_id, review_id
    price:  price, price_max, list_price, promo_price      (ranges "¥89-129" fill price and price_max)
    count:  rank, heat, stock, sales, review_count, pages   ("1.2万+" -> 12000)
    number: rating
    flag:   rising                                          (true when the selector matches non-empty text)
    link:   url, next, reviews_link                         (made absolute against the page URL)
    date:   date
    state:  availability                                    ("已售完" -> OutOfStock)
    path:   category                                        (every match, "首页 > 食品 > 零食" -> "食品 > 零食")

A field called `next` is always read from the whole page, never inside an item, and so is `pages`, the number of
pages a list has (JD's review feed `maxPage`): a list without a `next` link whose URL numbers its pages
(config.Platform.numbers_pages) is read page after page up to it, or up to the first page without entries. A path field reads every element
(or text, or JSON list item) its selector matches, each a part of the path: `.crumbs a::text` on a breadcrumb.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
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
from crawlers.categories import category_path
from crawlers.dates import parse_date
from crawlers.prices import parse_count, parse_price

TEXT = {"title", "description", "term", "text", "append", "shop", "sku", "item_id", "review_id"}
PRICE = {"price", "price_max", "list_price", "promo_price"}
COUNT = {"rank", "heat", "stock", "sales", "review_count", "pages"}
LINK = {"url", "next", "reviews_link"}
PATH = {"category"}
PAGE_LEVEL = {"next", "pages"}

_CSS = HTMLTranslator()
_NAMESPACES = {"re": "http://exslt.org/regular-expressions"}  # parsel's default, for XPaths that use re:test()
_DESCENDANT_TEXT = lxml.etree.XPath(".//text()", smart_strings=False)


@dataclass(frozen=True)
class FieldReader:
    """One field of a profile made ready to read: its selector compiled and its type's converter chosen once,
    because a crawl reads the same few fields on every entry of every page."""

    name: str
    selector: Selector
    find: Callable[[Any], Any] | None          # compiled XPath (css or xpath); None for a JSON selector
    search_json: Callable[[Any], Any] | None   # compiled JMESPath
    pattern: re.Pattern[str] | None
    convert: Callable[[Any, str], Any]         # (raw value, page URL) -> typed value
    every: bool = False                        # a path field: the text of every match, as a list

    def raw(self, node: Any, doc: Any = None) -> Any:
        """The text (or JSON value) the selector points at, after its regex; None when nothing matches. `node`
        is an lxml element (a page's root or one list entry), `doc` a JSON document. A path field's value is
        the list of every match's text (or the JSON value, a list or not)."""
        if self.search_json is not None:
            value = self.search_json(doc) if doc is not None else None
        elif node is None:
            value = None
        elif self.every:
            matches = self.find(node)
            texts = [_text_of([match], self.selector.attr) for match in
                     (matches if isinstance(matches, list) else [matches])]
            value = [text for text in texts if text] or None
        else:
            value = _text_of(self.find(node), self.selector.attr)
        if isinstance(value, list) and self.every and self.pattern is not None:
            value = [kept for text in value if (kept := self._matched(str(text))) is not None] or None
        elif value is not None and self.pattern is not None:
            value = self._matched(str(value))
        return value

    def _matched(self, text: str) -> str | None:
        found = self.pattern.search(text)
        return (found.group(1) if found.groups() else found.group(0)) if found else None

    def read(self, node: Any, doc: Any, base_url: str) -> Any:
        """The typed value; None when the page does not show it."""
        value = self.raw(node, doc)
        return None if value is None or value == "" or value == [] else self.convert(value, base_url)


@lru_cache(maxsize=1024)
def field_reader(name: str, selector: Selector) -> FieldReader:
    """`selector` compiled for the field called `name` (whose name says its type)."""
    if selector.json_path is not None:
        find, search_json = None, jmespath.compile(selector.json_path).search
    else:
        find, search_json = compiled(selector.css, selector.xpath), None
    return FieldReader(name=name, selector=selector, find=find, search_json=search_json,
                       pattern=re.compile(selector.regex) if selector.regex is not None else None,
                       convert=_converter(name, selector), every=name in PATH)


@lru_cache(maxsize=256)
def _readers(profile: PageProfile, *, page_level: bool) -> tuple[FieldReader, ...]:
    """The fields read once per page (`page_level`: all of them when the profile has no `items`) or those read
    inside each entry."""
    if page_level:
        names = [name for name in profile.fields if profile.items is None or name in PAGE_LEVEL]
    else:
        names = [name for name in profile.fields if name not in PAGE_LEVEL] if profile.items is not None else []
    return tuple(field_reader(name, profile.fields[name]) for name in names)


@lru_cache(maxsize=1024)
def compiled(css: str | None, xpath: str | None) -> lxml.etree.XPath:
    """A selector as a compiled XPath (CSS translated as parsel does, with its ::text and ::attr())."""
    expression = _CSS.css_to_xpath(css) if css is not None else xpath
    # Without EXSLT regular expressions each call sets up less: a review page calls these a hundred times.
    regexp = "re:" in expression
    return lxml.etree.XPath(expression, namespaces=_NAMESPACES if regexp else None, regexp=regexp,
                            smart_strings=False)


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


def _converter(name: str, selector: Selector) -> Callable[[Any, str], Any]:
    """The function turning a raw value of field `name` into the type its name implies."""
    factor = selector.scale or 1
    if name in PRICE:
        scale = Decimal(str(selector.scale)) if selector.scale is not None else None
        return lambda value, _: _price(value, scale)
    if name in COUNT:
        return lambda value, _: (int(value * factor) if isinstance(value, int | float) and not isinstance(value, bool)
                                 else parse_count(str(value)))
    if name == "rating":
        return lambda value, _: _rating(value, factor)
    if name == "rising":
        return lambda value, _: bool(value) and str(value).strip().lower() not in ("false", "0", "-")
    if name in LINK:
        return lambda value, base_url: urljoin(base_url, str(value).strip())
    if name == "date":
        return lambda value, _: parse_date(value)
    if name == "availability":
        return lambda value, _: parse_availability(str(value))
    if name in PATH:
        return lambda value, _: category_path(value if isinstance(value, list) else [value])
    return lambda value, _: " ".join(str(value).split())


def _rating(value: Any, factor: float) -> float | None:
    try:
        return float(value) * factor
    except (TypeError, ValueError):
        found = re.search(r"\d+(?:\.\d+)?", str(value))
        return float(found.group()) if found else None


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
    return {reader.name: _first(reader, page, docs, base_url) for reader in _readers(profile, page_level=True)}


def read_items(profile: PageProfile, page: Page, base_url: str, docs: list[Any] = ()) -> list[dict[str, Any]]:
    """The fields of every repeated entry `profile.items` selects, in page order."""
    if profile.items is None:
        return []
    readers = _readers(profile, page_level=False)
    if profile.items.json_path is not None:
        entries = next((found for doc in docs if isinstance(found := jmespath.search(profile.items.json_path, doc),
                                                            list)), [])
        return [{reader.name: reader.read(None, entry, base_url) for reader in readers} for entry in entries]
    nodes = compiled(profile.items.css, profile.items.xpath)(page.root)
    return [{reader.name: reader.read(node, None, base_url) for reader in readers}
            for node in nodes if hasattr(node, "tag")]


def _first(reader: FieldReader, page: Page, docs: list[Any], base_url: str) -> Any:
    """A page-level field: from the page, or from the latest JSON document that has it."""
    if reader.search_json is None:
        return reader.read(page.root, None, base_url)
    return next((value for doc in reversed(docs) if (value := reader.read(None, doc, base_url)) is not None), None)
