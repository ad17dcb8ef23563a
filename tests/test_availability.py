"""Stock state from schema.org values in any spelling and from Chinese and English page phrases."""

import pytest

from crawlers.availability import IN_STOCK, OUT_OF_STOCK, parse_availability, stock_count

VALUES = [
    ("https://schema.org/InStock", IN_STOCK),
    ("http://schema.org/OutOfStock", OUT_OF_STOCK),
    ("InStock", IN_STOCK),
    ("instock", IN_STOCK),
    ("schema:InStock", IN_STOCK),
    ("SoldOut", OUT_OF_STOCK),
    ("https://schema.org/Discontinued", OUT_OF_STOCK),
    ("PreOrder", IN_STOCK),
    ("BackOrder", IN_STOCK),
    ("LimitedAvailability", IN_STOCK),
    ("OnlineOnly", IN_STOCK),
    ("in stock", IN_STOCK),  # OpenGraph product:availability
    ("out of stock", OUT_OF_STOCK),
    ("oos", OUT_OF_STOCK),
    ("SOLD_OUT", OUT_OF_STOCK),
    ({"@id": "http://schema.org/InStock"}, IN_STOCK),
    (["", None, "https://schema.org/OutOfStock"], OUT_OF_STOCK),
    # Chinese phrases
    ("已售完", OUT_OF_STOCK),
    ("售罄", OUT_OF_STOCK),
    ("已售罄", OUT_OF_STOCK),
    ("缺货", OUT_OF_STOCK),
    ("无货", OUT_OF_STOCK),
    ("暂时缺货", OUT_OF_STOCK),
    ("到货通知", OUT_OF_STOCK),
    ("已抢光", OUT_OF_STOCK),
    ("该商品已下架", OUT_OF_STOCK),
    ("商品已下柜", OUT_OF_STOCK),
    ("已售完 到货通知 立即购买", OUT_OF_STOCK),
    ("库存 0 件", OUT_OF_STOCK),
    ("有货", IN_STOCK),
    ("现货 24小时发货", IN_STOCK),
    ("库存 23 件", IN_STOCK),
    ("库　存：５４０件", IN_STOCK),
    ("仅剩3件", IN_STOCK),
    ("立即购买", IN_STOCK),
    ("加入购物车", IN_STOCK),
    # English phrases
    ("Out of stock", OUT_OF_STOCK),
    ("Sold Out", OUT_OF_STOCK),
    ("Currently unavailable.", OUT_OF_STOCK),
    ("Temporarily out of stock.", OUT_OF_STOCK),
    ("In Stock", IN_STOCK),
    ("Only 3 left in stock - order soon.", IN_STOCK),
    ("Add to cart", IN_STOCK),
    ("7 in stock", IN_STOCK),
]


@pytest.mark.parametrize("value, expected", VALUES)
def test_parse_availability(value, expected):
    assert parse_availability(value) == expected


@pytest.mark.parametrize("value", [None, "", "价格", "颜色分类", "Free shipping", True, {}, []])
def test_unknown_availability(value):
    assert parse_availability(value) is None


STOCK = [("库存 23 件", 23), ("库存：23件", 23), ("库　存：５４０件", 540), ("仅剩3件", 3), ("23 in stock", 23),
         ("Only 2 left in stock", 2), ("库存 0 件", 0), ("库存1,200件", 1200)]


@pytest.mark.parametrize("text, expected", STOCK)
def test_stock_count(text, expected):
    assert stock_count(text) == expected


@pytest.mark.parametrize("text", [None, "", "有货", "库存紧张", "In stock"])
def test_stock_count_absent(text):
    assert stock_count(text) is None
