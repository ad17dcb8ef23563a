"""A product's description: the detail text a shopper reads below the price, from any product page.

Evidence in order of trust: the structured product's `description` (JSON-LD, microdata, RDFa), which the shop
writes for machines and in full; then the page's detail section, either an element classed as a description
(`description`, `desc`, Taobao's `J_DivItemDesc`, Amazon's `productDescription`) or the text after a heading such as
商品详情 / 宝贝详情 / Product description; last og:description and <meta name="description">, which are summaries
for link previews and search engines, often cut at about 160 characters or written as site-wide boilerplate.

Whitespace is collapsed and markup dropped, so a compliance scan's spans are offsets into plain text.
"""

from __future__ import annotations

import html
import re
from typing import TYPE_CHECKING, Any

from crawlers.phrases import starting_with

if TYPE_CHECKING:
    from crawlers.parsed_page import Page

# Real detail sections run from a few hundred to a few thousand characters; anything longer is nearly always a
# container chosen too wide (specs, service terms, the whole body). The cap keeps such a mistake from bloating
# every product row and the compliance scan of every crawl, while a real description fits whole.
MAX_DESCRIPTION = 5000
SENTENCE_END = re.compile(r"[。！？!?；;.]")
MIN_CLASSED_DESCRIPTION = 20  # shorter "desc" elements are SKU captions and badges, not a detail text
MIN_LABELLED_DESCRIPTION = 6  # after a 商品详情 heading even a short text is the description

DESCRIPTION_WORDS = frozenset({"description", "desc", "descr", "itemdesc", "productdescription", "proddesc",
                               "goodsdesc", "miaoshu", "xiangqing", "introduction"})
NOT_DESCRIPTION_WORDS = frozenset({"sku", "spec", "review", "reviews", "comment", "comments", "rate", "rating",
                                   "shop", "store", "seller", "shipping", "delivery", "return", "refund", "faq",
                                   "meta", "seo", "tab", "tabs", "nav"})
LABEL_PHRASES = ("商品详情", "宝贝详情", "产品详情", "商品介绍", "宝贝介绍", "产品介绍", "商品描述", "宝贝描述", "产品描述",
                 "详情介绍", "图文详情", "商品说明", "产品说明", "product description", "product details",
                 "description", "details", "about this item")
LEADING_LABEL = re.compile(r"^(?:" + "|".join(re.escape(p) for p in LABEL_PHRASES) + r")\s*[:：]?\s*",
                           re.IGNORECASE)
LABEL_TEXT = re.compile(starting_with(p[0] for p in LABEL_PHRASES) +
                        r"(?:" + "|".join(re.escape(p) for p in LABEL_PHRASES) + r")\s*[:：]?", re.IGNORECASE)
# Tabs (li, a) name sections shown elsewhere: the text after them is the other tabs' names, not the description.
TAB_TAGS = frozenset({"li", "a", "button", "option"})
LABEL_CLIMB = 3  # a label's section is its parent, or at most this many levels above it
LIST_TAGS = frozenset({"ul", "ol", "nav", "menu"})
TAG = re.compile(r"<[A-Za-z/!][^>]*>")


def clean_description(text: str | None) -> str | None:
    """Plain text: entities decoded, tags dropped, whitespace collapsed, a leading 商品详情-style label removed, cut
    at MAX_DESCRIPTION characters (at the last sentence end before it when there is one nearby)."""
    if not text:
        return None
    plain = " ".join(TAG.sub(" ", html.unescape(str(text))).split())
    plain = LEADING_LABEL.sub("", plain, count=1) if LEADING_LABEL.match(plain) else plain
    if len(plain) > MAX_DESCRIPTION:
        head = plain[:MAX_DESCRIPTION]
        ends = [m.end() for m in SENTENCE_END.finditer(head, MAX_DESCRIPTION - MAX_DESCRIPTION // 10)]
        plain = head[:ends[-1]] if ends else head
    return plain or None


def dom_description(page: Page, title_offset: int | None) -> str | None:
    """The page's detail section: the longest element classed as a description, else the text after a detail
    heading inside its section. Sections that hold the product title are the whole product area, not its
    description."""
    classed = [text for element in _description_elements(page)
               if (text := _section_text(page, element, title_offset)) and len(text) >= MIN_CLASSED_DESCRIPTION]
    if classed:
        return clean_description(max(classed, key=len))
    for match in LABEL_TEXT.finditer(page.text):
        label = page.owner(match.start())
        if label.tag in TAB_TAGS or page.zones.excluded(label) or not LABEL_TEXT.fullmatch(page.text_of(label)):
            continue
        text = _text_after_label(page, label, title_offset)
        if text:
            return clean_description(text)
    return None


def meta_description(page: Page, og_description: str | None) -> str | None:
    """og:description, else <meta name="description"> (or Twitter's): the page's summary of itself."""
    if og_description:
        return clean_description(og_description)
    for name in ("description", "twitter:description"):
        found = page.tree.xpath(f"//meta[@name='{name}']/@content")
        if found and found[0].strip():
            return clean_description(found[0])
    return None


def _description_elements(page: Page) -> list[Any]:
    return [element for element, words in page.classed()
            if words & DESCRIPTION_WORDS and not words & NOT_DESCRIPTION_WORDS and not page.zones.excluded(element)]


def _holds(page: Page, element: Any, offset: int | None) -> bool:
    return offset is not None and page.start_of.get(element, -1) <= offset < page.end_of.get(element, -1)


def _section_text(page: Page, element: Any, title_offset: int | None) -> str | None:
    return None if _holds(page, element, title_offset) else page.text_of(element)


def _text_after_label(page: Page, label: Any, title_offset: int | None) -> str | None:
    """The text between a label's end and the end of the nearest enclosing section that has enough of it."""
    label_end = page.end_of.get(label)
    section = label.getparent()
    for _ in range(LABEL_CLIMB):
        if section is None or section.tag in LIST_TAGS or _holds(page, section, title_offset) or label_end is None:
            return None
        text = page.text[label_end:page.end_of.get(section, label_end)].strip()
        if len(text) >= MIN_LABELLED_DESCRIPTION:
            return text
        section = section.getparent()
    return None
