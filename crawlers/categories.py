"""The marketplace's own category of a product as the page shows it, as one text: "食品饮料 > 营养代餐 > 代餐奶昔".

From structured data: the schema.org Product's `category`, else a BreadcrumbList (JSON-LD, microdata or RDFa, all
turned into the same dicts by crawlers.structured), its crumbs in position order. A site profile's `category`
selector reads a breadcrumb element the same way (crawlers.profiles). The parts are joined with " > "; a leading
首页 / Home crumb and a last crumb that is the product itself are not categories and are left out. Nothing is
inferred: a page that shows no category has none (None). What the text means for compliance is the monitors'
business (monitors.product_categories), not the crawler's.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from urllib.parse import urlsplit

from crawlers.structured import as_list, first_text, node_types

SEPARATOR = " > "
PARTS = re.compile(r"\s*(?:[>›»＞→]+|&gt;)\s*")
NOT_CATEGORIES = frozenset({"首页", "首頁", "主页", "网站首页", "商城首页", "home", "homepage", "home page",
                            "全部分类", "所有分类", "全部商品"})
MAX_DEPTH = 8


def category_path(parts: Iterable[object], *, product_name: str | None = None) -> str | None:
    """`parts` (texts, or nodes with a name) as one " > "-joined path; a text that is itself a path ("食品 › 零食")
    is split at its separators. None when no part is left."""
    names: list[str] = []
    for part in parts:
        text = first_text(part) if isinstance(part, dict) else (None if part is None else str(part))
        names += [name for name in (" ".join(piece.split()) for piece in PARTS.split(text or "")) if name]
    while names and names[0].casefold() in NOT_CATEGORIES:
        names.pop(0)
    if names and product_name and names[-1] == " ".join(product_name.split()):
        names.pop()
    return SEPARATOR.join(names) or None


def structured_category(nodes: list[dict], product: dict | None, page_url: str | None,
                        product_name: str | None) -> str | None:
    """The product's schema.org `category`, else the page's first BreadcrumbList; None when neither is shown.
    Category values that are taxonomy ids (digits) or links say nothing a reader of the page sees, and are
    skipped."""
    if product is not None:
        named = [text for value in as_list(product.get("category"))
                 if (text := first_text(value)) and not text.isdigit() and not _is_link(text)]
        path = category_path(named, product_name=product_name)
        if path:
            return path
    for crumbs in _breadcrumb_lists(nodes):
        path = category_path(_crumb_names(crumbs, page_url), product_name=product_name)
        if path:
            return path
    return None


def _is_link(text: str) -> bool:
    return urlsplit(text).scheme in ("http", "https")


def _breadcrumb_lists(nodes: list[dict]) -> Iterator[dict]:
    """Every BreadcrumbList among the nodes and inside them (WebPage.breadcrumb, @graph), in document order."""
    stack: list[tuple[object, int]] = [(node, 0) for node in reversed(nodes)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_DEPTH:
            continue
        if isinstance(value, list):
            stack.extend((item, depth + 1) for item in reversed(value))
        elif isinstance(value, dict):
            if "BreadcrumbList" in node_types(value):
                yield value
                continue
            stack.extend((item, depth + 1) for key, item in reversed(value.items()) if key != "itemListElement")


def _crumb_names(crumbs: dict, page_url: str | None) -> list[str]:
    """The names of a BreadcrumbList's items by `position` (document order when it has none), without the crumb
    that links to the page itself."""
    items = [item for item in as_list(crumbs.get("itemListElement")) if isinstance(item, dict)]
    ordered = sorted(enumerate(items), key=lambda pair: (_position(pair[1], pair[0]), pair[0]))
    page_path = urlsplit(page_url).path if page_url else None
    names = []
    for _, item in ordered:
        target = item.get("item")
        link = target.get("@id") or target.get("url") if isinstance(target, dict) else target
        if page_path and isinstance(link, str) and link.strip() and urlsplit(link.strip()).path == page_path:
            continue
        name = first_text(item.get("name")) or (first_text(target) if isinstance(target, dict) else None)
        if name:
            names.append(name)
    return names


def _position(item: dict, index: int) -> float:
    try:
        return float(first_text(item.get("position")) or index)
    except ValueError:
        return float(index)
