"""Prices and counts as Chinese and Western shops print them.

price-parser reads Western forms well (`1.299,99 €`, `NT$ 1,299`) but gives no currency for `1299 元`, reads only
the first number of a range and knows no labels, so a `券后价 ¥89` looks like the selling price to it. Here a
tokenizer finds every amount with its currency marker, its label (促销价, 原价, 券后价, was, now ...) and ranges, and
price-parser's number parser turns each amount's digits into a Decimal, guessing the decimal separator.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, replace
from decimal import Decimal

from price_parser.parser import parse_number

from crawlers.phrases import spaced, starting_with

PRICE, PROMO, LIST = "price", "promo", "list"

_FULLWIDTH = str.maketrans({
    **{chr(0xFF10 + i): str(i) for i in range(10)},
    "．": ".", "，": ",", "－": "-", "～": "~", "＋": "+", "％": "%",
    "￥": "¥", "＄": "$", "￡": "£", "￦": "₩", "﹩": "$",
})


def normalise_digits(text: str) -> str:
    """Full-width digits, `.,-~+%` and currency signs to their ASCII forms, leaving every other character alone.

    Old Chinese shops print `￥１２９．００`; full NFKC would also rewrite letters and punctuation the label matching
    relies on, so only the characters a number is made of are mapped.
    """
    return text.translate(_FULLWIDTH)


@dataclass(frozen=True)
class Price:
    amount: Decimal
    max_amount: Decimal | None = None  # upper end of a range such as ¥89-129
    currency: str | None = None  # ISO 4217
    kind: str = PRICE  # "price" (selling), "promo" (coupon / 到手价) or "list" (原价 / was)


# Each marker maps to the currencies it can mean; the first is the usual one, the others win only when they are the
# caller's default currency (¥ on a Japanese page is JPY, $ and 元 on a Taiwanese one are TWD).
_MARKERS: dict[str, tuple[str, ...]] = {
    "¥": ("CNY", "JPY"), "CN¥": ("CNY",), "RMB": ("CNY",), "人民币": ("CNY",), "元": ("CNY", "TWD", "HKD", "MOP"),
    "块": ("CNY",), "JP¥": ("JPY",), "円": ("JPY",), "日元": ("JPY",),
    "$": ("USD", "TWD", "HKD", "AUD", "CAD", "SGD", "NZD", "MXN"), "US$": ("USD",), "美元": ("USD",),
    "NT$": ("TWD",), "NTD": ("TWD",), "新台币": ("TWD",), "台币": ("TWD",), "新臺幣": ("TWD",),
    "HK$": ("HKD",), "港元": ("HKD",), "港币": ("HKD",), "港幣": ("HKD",),
    "A$": ("AUD",), "AU$": ("AUD",), "C$": ("CAD",), "CA$": ("CAD",), "S$": ("SGD",), "NZ$": ("NZD",),
    "R$": ("BRL",), "MX$": ("MXN",), "€": ("EUR",), "欧元": ("EUR",), "£": ("GBP",), "英镑": ("GBP",),
    "₩": ("KRW",), "원": ("KRW",), "韩元": ("KRW",), "₹": ("INR",), "Rs.": ("INR",), "Rs": ("INR",),
    "₽": ("RUB",), "руб": ("RUB",), "฿": ("THB",), "₫": ("VND",), "₱": ("PHP",), "₺": ("TRY",), "₪": ("ILS",),
    "RM": ("MYR",), "zł": ("PLN",), "Kč": ("CZK",), "kr": ("SEK", "NOK", "DKK"),
}
_ISO_CODES = ("CNY USD EUR GBP JPY HKD TWD KRW SGD AUD CAD NZD CHF SEK NOK DKK PLN CZK HUF RUB INR BRL MXN THB "
              "VND PHP IDR MYR TRY ILS AED SAR ZAR MOP").split()
_MARKERS.update({code: (code,) for code in _ISO_CODES})


def _marker_pattern(markers: list[str]) -> str:
    """Longest markers first, so `NT$` wins over `$`; letter markers only as whole words (RM is not in FORM)."""
    parts = []
    for marker in sorted(markers, key=len, reverse=True):
        escaped = re.escape(marker)
        parts.append(rf"(?<![A-Za-z]){escaped}(?![A-Za-z])" if marker[0].isascii() and marker[0].isalpha()
                     else escaped)
    return "|".join(parts)


_SUFFIX_ONLY = {"元", "块", "円", "日元", "美元", "港元", "港币", "港幣", "欧元", "英镑", "韩元", "台币", "新台币",
                "新臺幣", "원", "zł", "Kč", "kr", "руб"}
_PREFIX_ONLY = {"Rs", "Rs.", "RM", "R$", "C$", "S$", "A$"}
_PREFIX_MARKERS = [m for m in _MARKERS if m not in _SUFFIX_ONLY]
_PREFIXES = _marker_pattern(_PREFIX_MARKERS)
_SUFFIXES = _marker_pattern([m for m in _MARKERS if m not in _PREFIX_ONLY])
# A plain space groups thousands only in the French form with decimal commas (1 299,00 €); elsewhere it separates
# two numbers.
_NUMBER = (r"\d{1,3}(?: \d{3})+,\d{2}(?!\d)|\d{1,3}(?:[,.'\u00a0\u202f\u2009]\d{3})+(?:[.,]\d+)?"
           r"|\d+(?:[.,]\d+)?")
_TOKEN = re.compile(
    starting_with([r"\d", *(marker[0] for marker in _PREFIX_MARKERS)]) +
    rf"(?:(?P<pre>{_PREFIXES})[ \u00a0]{{0,2}}|(?<![A-Za-z0-9.,]))"
    rf"(?P<num>{_NUMBER})"
    rf"(?:[ \u00a0]?(?P<mult>[万萬亿億]))?"
    rf"(?:[ \u00a0]?(?P<suf>{_SUFFIXES})(?![ \u00a0]{{0,2}}\d))?")  # a sign before a number is that number's
_MULTIPLIERS = {"万": 10_000, "萬": 10_000, "亿": 100_000_000, "億": 100_000_000,
                "k": 1_000, "K": 1_000, "w": 10_000, "W": 10_000, "m": 1_000_000, "M": 1_000_000}
_RANGE_GAP = re.compile(r"[ \u00a0]*(?:-|‐|–|—|~|〜|至|到|to)[ \u00a0]*", re.IGNORECASE)
# A date repeats its separator (2024-05-01, 2024.5.1) and ends there: 5499.00-6799.00 is a price range, not a date.
_DATE_OR_TIME = re.compile(r"(?<![\d.])\d{4}(?P<sep>[-/.])\d{1,2}(?P=sep)\d{1,2}(?![\d.])|\d{4}年\d{1,2}月\d{1,2}"
                           r"|\d{1,2}:\d{2}(?::\d{2})?")
_US_DOLLAR_SPACE = re.compile(r"\b(US|NT|HK|AU|CA|NZ)[ \u00a0]+\$")
# A bare number followed by one of these is a quantity, a percentage or a spec (2000+ 笔, 20%, 128GB), not a price.
_UNIT_AFTER_BARE = re.compile(r"[ \u00a0]*(?:[A-Za-z%+×*/]|[\u3400-\u9fff](?<![元块起万萬亿億左]))")
# An amount followed by these is a discount or a coupon's face value (`$10 off`, `20元券`), not a price.
_DISCOUNT_AFTER = re.compile(r"[ \u00a0]*(?:off\b|券(?!后)|优惠券|coupon\b)", re.IGNORECASE)

# Labels, by what the amount after them is. "strong" names the price a shopper pays now (促销价 on Tmall, where 价格
# is then the pre-promotion price); "other" amounts are not prices at all (savings, thresholds, shipping, deposits).
_LABELS: dict[str, tuple[str, ...]] = {
    "strong": ("促销价", "现价", "秒杀价", "活动价", "特价", "折扣价", "优惠价", "抢购价", "团购价", "拼团价", "京东价",
               "当当价", "易购价", "淘宝价", "本店价", "商城价", "销售价", "一口价", "闪购价", "限时价", "now", "sale price", "sale", "deal price",
               "our price", "special price", "your price", "price now", "offer price"),
    PRICE: ("价格", "售价", "单价", "price", "regular price", "reg."),  # Shopify: Regular price (struck) + Sale price
    LIST: ("原价", "划线价", "吊牌价", "市场价", "参考价", "专柜价", "门市价", "建议零售价", "零售价", "指导价", "定价",
           "日常价", "原售价", "list price", "list", "was", "rrp", "msrp", "compare at",
           "original price", "typical price", "retail price"),
    PROMO: ("券后价", "券后", "用券后", "领券后", "到手价", "预估到手价", "预估到手", "预估价", "折后价", "补贴后",
            "after coupon", "with coupon", "coupon price"),
    "other": ("套餐价", "套装价", "组合价", "搭配价", "立省", "省", "立减", "减", "满", "优惠券", "优惠", "运费", "邮费", "快递", "配送费", "定金", "尾款",
              "分期", "月供", "每期", "月销", "已售", "销量", "评价", "库存", "save", "you save", "off", "shipping",
              "delivery", "tax", "deposit", "per month", "/mo", "over", "orders over", "spend"),
}


def _label_key(text: str) -> str:
    return re.sub(r"\s+", "", text).lower()


def _label_regex() -> tuple[re.Pattern[str], dict[str, str]]:
    kinds = {_label_key(phrase): kind for kind, phrases in _LABELS.items() for phrase in phrases}
    phrases = sorted((phrase for phrases in _LABELS.values() for phrase in phrases), key=len, reverse=True)
    alternatives = [rf"\b{spaced(phrase)}(?![A-Za-z])" if phrase[0].isascii() else spaced(phrase)
                    for phrase in phrases]
    return re.compile(f"{starting_with([phrase[0] for phrase in phrases])}(?:{'|'.join(alternatives)})",
                      re.IGNORECASE), kinds


_LABEL, _LABEL_KIND = _label_regex()
_LABEL_REACH = 15  # characters between a label and its amount (券后价（预估）：¥89)
_TIGHT_GAP = re.compile(r"[\s:：]*")  # what may separate a one-character label (省, 减, 满) from its amount


@dataclass
class _Token:
    start: int
    end: int
    amount: Decimal
    max_amount: Decimal | None
    marker: str | None
    label: str | None  # the label's kind: strong, price, list, promo, other
    unit_after: bool = False  # a bare number followed by a unit (2000+ 笔, 128GB): a price only as a range's end


def _clean(text: str) -> str:
    """Digits and currency signs to ASCII, `US $` to `US$`, keeping every character's offset."""
    text = normalise_digits(text).replace("\u3000", " ")
    return _US_DOLLAR_SPACE.sub(lambda m: m.group(1) + "$" + " " * (len(m.group()) - len(m.group(1)) - 1), text)


def _amount(number: str, multiplier: str | None) -> Decimal | None:
    value = parse_number(re.sub(r"[ \u00a0\u202f\u2009']", "", number))
    if value is None:
        return None
    return value * _MULTIPLIERS[multiplier] if multiplier else value


def _raw_tokens(text: str) -> list[_Token]:
    masked = _DATE_OR_TIME.sub(lambda m: " " * len(m.group()), text)
    tokens = []
    for match in _TOKEN.finditer(masked):
        amount = _amount(match.group("num"), match.group("mult"))
        marker = match.group("pre") or match.group("suf")
        if amount is None:
            continue
        label = "other" if _DISCOUNT_AFTER.match(masked, match.end()) else None
        unit_after = marker is None and bool(_UNIT_AFTER_BARE.match(masked, match.end()))
        tokens.append(_Token(match.start(), match.end(), amount, None, marker, label, unit_after))
    return tokens


def _merge_ranges(text: str, tokens: list[_Token]) -> list[_Token]:
    """`¥89-129`, `89~129元`, `$19.99 – $29.99`: two amounts joined by a dash, the second the larger. Bare numbers
    followed by a unit are dropped here, unless they end a range (`¥99-124 月销` is a range before a label)."""
    merged: list[_Token] = []
    for token in tokens:
        previous = merged[-1] if merged else None
        if (previous is not None and previous.max_amount is None and not previous.unit_after
                and token.amount > previous.amount and _RANGE_GAP.fullmatch(text, previous.end, token.start)):
            previous.max_amount = token.amount
            previous.end = token.end
            previous.marker = previous.marker or token.marker
        else:
            merged.append(token)
    return [t for t in merged if not t.unit_after]


def _attach_labels(text: str, tokens: list[_Token]) -> None:
    """Each label names the first amount after it, when nothing but a few non-digit characters lie between. A label
    is used once; the amount after a used label's amount is too far from it anyway (a digit lies between)."""
    labels = list(_LABEL.finditer(text))
    ends = [label.end() for label in labels]  # ascending: matches do not overlap
    used: set[int] = set()
    for token in tokens:
        index = bisect_right(ends, token.start) - 1  # the last label that ends before the amount
        if token.label is not None or index < 0 or index in used:
            continue
        label = labels[index]
        gap = text[label.end():token.start]
        key = _label_key(label.group())
        near = _TIGHT_GAP.fullmatch(gap) if len(key) == 1 else len(gap) <= _LABEL_REACH
        if near and not re.search(r"\d", gap):
            token.label = _LABEL_KIND[key]
            used.add(index)


def _currency(marker: str | None, default: str | None) -> str | None:
    if marker is None:
        return default
    choices = _MARKERS.get(marker) or _MARKERS.get(marker.upper(), ())
    if default in choices:
        return default
    return choices[0] if choices else default


@dataclass(frozen=True)
class PriceSpan:
    """A price found in a longer text: where it is, whether a currency marker came with it, and its label's kind
    ("strong" for 促销价 / now, "price" for a plain 价格 / price, "list", "promo", or None when unlabelled)."""

    start: int
    end: int
    price: Price
    marked: bool
    label: str | None


def price_spans(text: str, default_currency: str | None = None) -> list[PriceSpan]:
    """Every amount in a text that may be a price, bare numbers included, with offsets into `text`.

    Amounts that are not prices (省¥20, 满199, 运费, 20元券, 2000+ 笔, 128GB) are left out. A page-level caller
    decides itself which bare numbers to trust (those inside a price element); `find_prices` trusts them only when
    nothing in the text carries a currency.
    """
    if not text or not re.search(r"\d", text):
        return []
    text = _clean(text)
    tokens = _merge_ranges(text, _raw_tokens(text))
    _attach_labels(text, tokens)
    return [PriceSpan(t.start, t.end,
                      Price(t.amount, t.max_amount, _currency(t.marker, default_currency),
                            t.label if t.label in (LIST, PROMO) else PRICE),
                      t.marker is not None, t.label)
            for t in tokens if t.label != "other"]


def demote_plain_prices(spans: list[PriceSpan]) -> list[PriceSpan]:
    """Tmall and Taobao show 价格 (struck) next to 促销价: with a strong label present, a higher amount labelled only
    价格 / price is the list price."""
    strong = next((s for s in spans if s.label == "strong"), None)
    if strong is None:
        return spans
    return [replace(s, price=replace(s.price, kind=LIST))
            if s.label == PRICE and s.price.amount > strong.price.amount else s
            for s in spans]


def find_prices(text: str, default_currency: str | None = None) -> list[Price]:
    """Every price in a text, in order, each with its kind.

    When some amounts carry a currency marker, bare numbers are dropped (the 15 of `iPhone 15 ¥5999`).
    """
    spans = price_spans(text, default_currency)
    if any(s.marked for s in spans):
        spans = [s for s in spans if s.marked]
    return [s.price for s in demote_plain_prices(spans)]


def parse_price(text: str, default_currency: str | None = None) -> Price | None:
    """The price a text states: the selling price when it has several (促销价 over 价格, now over was), else the list
    price or the promo price it names; None when it states none (价格待定, 登录后查看价格, 免费, 省¥20)."""
    prices = find_prices(text, default_currency)
    for kind in (PRICE, LIST, PROMO):
        for price in prices:
            if price.kind == kind:
                return price
    return None


_COUNT = re.compile(rf"(?<![A-Za-z0-9.,])(?P<num>{_NUMBER})[ \u00a0]?(?P<mult>[万萬亿億]|[kKwWM](?![A-Za-z]))?")
_NOT_A_COUNT_AFTER = re.compile(r"[ \u00a0]*(?:[%折天日月年时秒]|小时|分钟|星|分(?!享))")


def parse_count(text: str | None) -> int | None:
    """The first count in a text: `1.2万+` → 12000, `已售10万+件`, `3.5k`, `1,234 条评价`, `1.1亿`.

    Numbers followed by % or a time unit (好评率98%, 近30天) are skipped; None when there is no count.
    """
    if not text:
        return None
    text = _clean(text)
    for match in _COUNT.finditer(text):
        if _NOT_A_COUNT_AFTER.match(text, match.end()):
            continue
        amount = _amount(match.group("num"), match.group("mult"))
        if amount is not None:
            return int(amount)
    return None
