"""Price and count parsing: Chinese and Western forms, ranges, labels, full-width digits, and texts with no price."""

from decimal import Decimal

import pytest

from crawlers.prices import LIST, PRICE, PROMO, Price, find_prices, normalise_digits, parse_count, parse_price

D = Decimal

PRICES = [
    # Chinese forms
    ("¥1,299.00", D("1299"), None, "CNY", PRICE),
    ("￥1299", D("1299"), None, "CNY", PRICE),
    ("1299元", D("1299"), None, "CNY", PRICE),
    ("1299 元", D("1299"), None, "CNY", PRICE),
    ("￥１２９．００", D("129"), None, "CNY", PRICE),
    ("￥１，２９９．５０", D("1299.5"), None, "CNY", PRICE),
    ("RMB 45", D("45"), None, "CNY", PRICE),
    ("CNY 45.5", D("45.5"), None, "CNY", PRICE),
    ("人民币 45", D("45"), None, "CNY", PRICE),
    ("价格：¥ 99.00", D("99"), None, "CNY", PRICE),
    ("促销价：¥ 99.00 起", D("99"), None, "CNY", PRICE),
    ("价　格：￥１２９．００", D("129"), None, "CNY", PRICE),
    ("京 东 价 ￥7999.00", D("7999"), None, "CNY", PRICE),
    ("¥\u00a0129", D("129"), None, "CNY", PRICE),
    ("1.2万", D("12000"), None, None, PRICE),
    ("¥1.5万", D("15000"), None, "CNY", PRICE),
    ("iPhone 15 128GB ¥5999", D("5999"), None, "CNY", PRICE),
    ("减肥茶 ¥99", D("99"), None, "CNY", PRICE),
    ("2024-10-01 ¥99", D("99"), None, "CNY", PRICE),
    ("¥0.00", D("0"), None, "CNY", PRICE),
    # ranges
    ("¥89-129", D("89"), D("129"), "CNY", PRICE),
    ("¥89.00 - ¥129.00", D("89"), D("129"), "CNY", PRICE),
    ("89~129元", D("89"), D("129"), "CNY", PRICE),
    ("￥８９－１２９", D("89"), D("129"), "CNY", PRICE),
    ("¥99-124 月销", D("99"), D("124"), "CNY", PRICE),
    ("$19.99 – $29.99", D("19.99"), D("29.99"), "USD", PRICE),
    ("¥159.00至239.00", D("159"), D("239"), "CNY", PRICE),
    ("价格 ¥ 5499.00-6799.00", D("5499"), D("6799"), "CNY", PRICE),  # not a date (5499.00-67)
    ("¥59 - ¥99", D("59"), D("99"), "CNY", PRICE),
    ("59~99元", D("59"), D("99"), "CNY", PRICE),
    ("2024.05.01 ¥99", D("99"), None, "CNY", PRICE),
    ("本店价：￥198.00 市场价：￥288.00", D("198"), None, "CNY", PRICE),
    # promo and list labels
    ("券后价 ¥89", D("89"), None, "CNY", PROMO),
    ("券后 ¥139.00起", D("139"), None, "CNY", PROMO),
    ("到手价 89", D("89"), None, None, PROMO),
    ("预估到手价￥1099", D("1099"), None, "CNY", PROMO),
    ("原价 ¥199", D("199"), None, "CNY", LIST),
    ("划线价¥299", D("299"), None, "CNY", LIST),
    ("吊牌价：599元", D("599"), None, "CNY", LIST),
    ("市场价 ￥88.00", D("88"), None, "CNY", LIST),
    ("原 价：¥139.00", D("139"), None, "CNY", LIST),
    ("价格 ¥199.00 促销价 ¥99.00", D("99"), None, "CNY", PRICE),
    ("原价 ¥199 现价 ¥99", D("99"), None, "CNY", PRICE),
    ("¥99 券后 ¥89", D("99"), None, "CNY", PRICE),
    ("Was $29.99 Now $19.99", D("19.99"), None, "USD", PRICE),
    ("List Price: $29.99", D("29.99"), None, "USD", LIST),
    # Western forms
    ("$1,299.99", D("1299.99"), None, "USD", PRICE),
    ("US $12.50", D("12.50"), None, "USD", PRICE),
    ("US$12.50", D("12.50"), None, "USD", PRICE),
    ("1.299,99 €", D("1299.99"), None, "EUR", PRICE),
    ("€ 1.234,56", D("1234.56"), None, "EUR", PRICE),
    ("12,50 €", D("12.50"), None, "EUR", PRICE),
    ("1 299,00 €", D("1299"), None, "EUR", PRICE),
    ("EUR 12,99", D("12.99"), None, "EUR", PRICE),
    ("£12", D("12"), None, "GBP", PRICE),
    ("£24.00 GBP", D("24"), None, "GBP", PRICE),
    ("NT$ 1,299", D("1299"), None, "TWD", PRICE),
    ("HK$ 45", D("45"), None, "HKD", PRICE),
    ("12.99 USD", D("12.99"), None, "USD", PRICE),
    ("From $19.99", D("19.99"), None, "USD", PRICE),
    ("R$ 12,90", D("12.90"), None, "BRL", PRICE),
    ("₹1,299", D("1299"), None, "INR", PRICE),
    ("JP¥ 1,200", D("1200"), None, "JPY", PRICE),
    ("1,200円", D("1200"), None, "JPY", PRICE),
    ("Sale price £24.00 Regular price £30.00", D("24"), None, "GBP", PRICE),
]


@pytest.mark.parametrize("text, amount, max_amount, currency, kind", PRICES)
def test_parse_price(text, amount, max_amount, currency, kind):
    assert parse_price(text) == Price(amount, max_amount, currency, kind)


NOT_PRICES = ["", "价格待定", "登录后查看价格", "暂无报价", "面议", "免费", "包邮", "Free", "Sold out", "省¥30",
              "立减20元", "满199减20", "20元券", "$10 off", "月销 2000+", "已售 1.2万+ 件", "好评率 98%",
              "128GB", "库存 23 件", "运费 ¥10.00", "Free shipping on orders over $50",
              "套餐价 ￥2099.00", "2024-05-01", "2024/5/1 12:30"]


@pytest.mark.parametrize("text", NOT_PRICES)
def test_no_price(text):
    assert parse_price(text) is None


def test_default_currency_resolves_ambiguous_signs():
    assert parse_price("¥1,200", "JPY").currency == "JPY"
    assert parse_price("$1,299", "TWD").currency == "TWD"
    assert parse_price("1299元", "TWD").currency == "TWD"
    assert parse_price("€5", "JPY").currency == "EUR"
    assert parse_price("到手价 89", "CNY").currency == "CNY"


def test_find_prices_keeps_order_and_kinds():
    found = find_prices("原价 ¥199.00 促销价 ¥99.00-129.00 券后价 ¥89 运费 ¥10")
    assert [(p.amount, p.max_amount, p.kind) for p in found] == [
        (D("199"), None, LIST), (D("99"), D("129"), PRICE), (D("89"), None, PROMO)]


COUNTS = [
    ("1.2万+", 12000), ("月销 2000+", 2000), ("已售10万+件", 100000), ("3.5k", 3500), ("3.5K sold", 3500),
    ("1,234 条评价", 1234), ("1.1亿", 110000000), ("评价(１２３４)", 1234), ("1.2w+", 12000), ("50万+", 500000),
    ("累计评价 38562", 38562), ("近30天销量 1000+", 1000), ("52,341 ratings", 52341), ("(8 customer reviews)", 8),
]


@pytest.mark.parametrize("text, expected", COUNTS)
def test_parse_count(text, expected):
    assert parse_count(text) == expected


@pytest.mark.parametrize("text", [None, "", "暂无评价", "好评率98%", "no reviews yet"])
def test_parse_count_absent(text):
    assert parse_count(text) is None


def test_normalise_digits_only_touches_number_characters():
    assert normalise_digits("￥１，２９９．００～１５９９ 价　格：ＡＢ") == "¥1,299.00~1599 价　格：ＡＢ"


def test_every_currency_marker_and_label_is_still_found_after_the_first_character_guard():
    """The tokenizer's regexes only try positions whose character can begin a match (for speed): a marker or
    label added without its first character in that guard would silently never match."""
    from crawlers import prices

    for marker in prices._PREFIX_MARKERS:
        found = prices._TOKEN.search(f"x {marker}12")
        assert found is not None and found.group("pre") == marker, marker
    for phrases in prices._LABELS.values():
        for phrase in phrases:
            before = "9" if not phrase[0].isalnum() else "— "  # `/mo` ends an amount: `$9/mo`
            assert [m.group() for m in prices._LABEL.finditer(f"{before}{phrase} ")] == [phrase], phrase
