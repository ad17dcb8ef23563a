"""Stock state from schema.org values and from what Chinese and Western product pages say on their buttons and labels.

Two answers only, InStock and OutOfStock, because that is what a stock monitor acts on: a shopper can order now, or
cannot. Pre-orders and back-orders can be ordered, so they count as in stock; discontinued items cannot.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from crawlers.phrases import phrase_pattern, spaced
from crawlers.prices import normalise_digits

IN_STOCK, OUT_OF_STOCK = "InStock", "OutOfStock"

# schema.org ItemAvailability members, OpenGraph's product:availability words and common feed spellings, all
# lower-cased with everything but letters removed.
_SCHEMA_VALUES = {
    "instock": IN_STOCK, "instoreonly": IN_STOCK, "onlineonly": IN_STOCK, "limitedavailability": IN_STOCK,
    "preorder": IN_STOCK, "presale": IN_STOCK, "backorder": IN_STOCK, "madetoorder": IN_STOCK,
    "availablefororder": IN_STOCK, "available": IN_STOCK,
    "outofstock": OUT_OF_STOCK, "soldout": OUT_OF_STOCK, "discontinued": OUT_OF_STOCK, "oos": OUT_OF_STOCK,
    "unavailable": OUT_OF_STOCK, "notavailable": OUT_OF_STOCK,
}

_OUT_PHRASES = ("已售完", "售完", "售罄", "缺货", "无货", "到货通知", "已抢光", "抢光了", "已下架", "下架", "已下柜",
                "商品已下柜", "暂不销售", "停售", "无库存", "库存不足", "补货中", "已售空",
                "out of stock", "sold out", "currently unavailable", "unavailable", "not available",
                "no longer available", "not in stock", "notify me when available", "email me when available",
                "discontinued")
_IN_PHRASES = ("有货", "现货", "在售", "库存充足", "立即购买", "立刻购买", "马上购买", "加入购物车", "加入购物袋",
               "立即抢购", "马上抢", "预售", "立即预订",
               "in stock", "add to cart", "add to bag", "add to basket", "buy now", "buy it now", "pre-order",
               "preorder", "available")


_OUT = phrase_pattern(_OUT_PHRASES)
_IN = phrase_pattern(_IN_PHRASES)
_SCHEMA_LIKE = re.compile(r"^(?:https?://)?(?:schema\.org/|[\w.]*[/#:])?(?P<token>[A-Za-z_ -]+)$")

_STOCK_PATTERNS = tuple(re.compile(p, re.IGNORECASE) for p in (
    spaced("库存") + r"\s*[:：]?\s*(?P<n>\d[\d,]*)",
    r"(?:仅剩|只剩|剩余|还剩|仅余)\s*(?P<n>\d[\d,]*)",
    r"\bonly\s+(?P<n>\d[\d,]*)\s+left\b",
    r"\b(?P<n>\d[\d,]*)\s+(?:left\s+)?in\s+stock\b",
    r"\b(?P<n>\d[\d,]*)\s+(?:items?\s+|pieces?\s+)?available\b",
    r"\b(?:stock|qty|quantity)\s*[:：]\s*(?P<n>\d[\d,]*)",
))


def stock_count(text: str | None) -> int | None:
    """The number of units a text says are left: `库存 23 件`, `库存：23件`, `仅剩3件`, `23 in stock`, `Only 2 left`."""
    if not text:
        return None
    text = normalise_digits(text)
    for pattern in _STOCK_PATTERNS:
        match = pattern.search(text)
        if match:
            return int(match.group("n").replace(",", ""))
    return None


def _schema_value(text: str) -> str | None:
    match = _SCHEMA_LIKE.match(text.strip())
    if match is None:
        return None
    return _SCHEMA_VALUES.get(re.sub(r"[^a-z]", "", match.group("token").lower()))


def parse_availability(value: object) -> str | None:
    """"InStock", "OutOfStock" or None (unknown) from a schema.org value in any spelling, a JSON-LD node such as
    {"@id": "https://schema.org/InStock"}, a list of such values, or page text (buttons, stock labels).

    Sold-out phrases win over buy phrases: a sold-out page usually still shows its (disabled) 立即购买 button next
    to 到货通知. A stated stock count decides before the buy phrases (库存 0 件 is out of stock).
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, Mapping):
        return parse_availability(value.get("@id") or value.get("@value") or value.get("name"))
    if isinstance(value, (list, tuple)):
        return next((state for item in value if (state := parse_availability(item))), None)
    text = " ".join(normalise_digits(str(value)).split())
    if not text:
        return None
    state = _schema_value(text)
    if state is not None:
        return state
    if _OUT.search(text):
        return OUT_OF_STOCK
    count = stock_count(text)
    if count is not None:
        return IN_STOCK if count > 0 else OUT_OF_STOCK
    if _IN.search(text):
        return IN_STOCK
    return None
