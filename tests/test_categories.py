"""The shop's own category of a product as its page shows it (crawlers/categories.py), through the generic
extractor: a schema.org Product category, else a BreadcrumbList in JSON-LD, microdata or RDFa; never invented."""

from __future__ import annotations

import json

import pytest

from crawlers.categories import category_path
from crawlers.extract import extract_product

URL = "http://shop.test/item/1.html"
OFFER = {"@type": "Offer", "price": "59.00", "priceCurrency": "CNY"}


def page(*blocks: dict, body: str = "<h1>代餐奶昔 500g</h1>") -> str:
    scripts = "".join(f'<script type="application/ld+json">{json.dumps(b, ensure_ascii=False)}</script>'
                      for b in blocks)
    return f"<html><head>{scripts}</head><body>{body}</body></html>"


def product(**extra) -> dict:
    return {"@context": "https://schema.org", "@type": "Product", "name": "代餐奶昔 500g", "offers": OFFER, **extra}


def crumbs(*items: tuple) -> dict:
    return {"@context": "https://schema.org", "@type": "BreadcrumbList", "itemListElement": [
        {"@type": "ListItem", "position": position, "name": name, **({"item": link} if link else {})}
        for position, name, link in items]}


def test_the_products_schema_org_category_is_read_as_the_page_writes_it():
    assert extract_product(page(product(category="食品饮料 > 营养代餐")), URL).category == "食品饮料 > 营养代餐"
    assert extract_product(page(product(category=["食品饮料", "营养代餐"])), URL).category == "食品饮料 > 营养代餐"
    assert extract_product(page(product(category={"@type": "Thing", "name": "冲调饮品"})), URL).category == "冲调饮品"


def test_a_breadcrumb_list_is_read_in_position_order_without_home_and_the_product_itself():
    trail = crumbs((4, "代餐奶昔 500g", None), (2, "食品饮料", "http://shop.test/c/1"), (1, "首页", "http://shop.test/"),
                   (3, "营养代餐", "http://shop.test/c/2"))
    assert extract_product(page(product(), trail), URL).category == "食品饮料 > 营养代餐"


def test_a_crumb_linking_to_the_page_itself_is_the_product_not_a_category():
    trail = crumbs((1, "食品饮料", "http://shop.test/c/1"), (2, "饱腹之选", URL))
    assert extract_product(page(product(), trail), URL).category == "食品饮料"


def test_the_products_own_category_wins_over_the_breadcrumb_and_ids_or_links_are_skipped():
    trail = crumbs((1, "食品饮料", "http://shop.test/c/1"))
    assert extract_product(page(product(category="营养代餐"), trail), URL).category == "营养代餐"
    assert extract_product(page(product(category="499972"), trail), URL).category == "食品饮料"
    assert extract_product(page(product(category="https://shop.test/c/9"), trail), URL).category == "食品饮料"


def test_a_breadcrumb_inside_a_web_page_node_or_a_graph_is_found():
    web_page = {"@context": "https://schema.org", "@type": "WebPage",
                "breadcrumb": crumbs((1, "美妆护肤", "http://shop.test/c/3"), (2, "面部护理", "http://shop.test/c/4"))}
    assert extract_product(page(product(), web_page), URL).category == "美妆护肤 > 面部护理"
    graph = {"@context": "https://schema.org", "@graph": [product(), crumbs((1, "酒水", "http://shop.test/c/5"))]}
    assert extract_product(page(graph), URL).category == "酒水"


def test_a_microdata_breadcrumb_is_read():
    body = """<ol itemscope itemtype="https://schema.org/BreadcrumbList">
      <li itemprop="itemListElement" itemscope itemtype="https://schema.org/ListItem">
        <a itemprop="item" href="/"><span itemprop="name">首页</span></a><meta itemprop="position" content="1"></li>
      <li itemprop="itemListElement" itemscope itemtype="https://schema.org/ListItem">
        <a itemprop="item" href="/c/1"><span itemprop="name">医药保健</span></a><meta itemprop="position" content="2"></li>
      <li itemprop="itemListElement" itemscope itemtype="https://schema.org/ListItem">
        <a itemprop="item" href="/c/2"><span itemprop="name">保健食品</span></a><meta itemprop="position" content="3"></li>
    </ol><div itemscope itemtype="https://schema.org/Product"><h1 itemprop="name">鱼油软胶囊</h1>
      <div itemprop="offers" itemscope itemtype="https://schema.org/Offer"><meta itemprop="price" content="99">
      <meta itemprop="priceCurrency" content="CNY"></div></div>"""
    assert extract_product(page(body=body), URL).category == "医药保健 > 保健食品"


@pytest.mark.parametrize("html", [
    page(product()),                                                    # a product without a category
    page(product(), body='<h1>代餐奶昔 500g</h1><div class="crumbs">首页 &gt; 食品饮料</div>'),  # DOM only: a profile's job
    page(product(category="  "), crumbs((1, "首页", "http://shop.test/"))),
    "<html><body>no product</body></html>",
])
def test_no_category_shown_is_none_never_a_guess(html):
    assert extract_product(html, URL).category is None


def test_category_path_joins_parts_splits_paths_and_drops_home_and_the_product():
    assert category_path(["首页", " 食品 饮料 ", "", None, "代餐"]) == "食品 饮料 > 代餐"
    assert category_path(["Home › 美妆 » 护肤 ＞ 面膜"]) == "美妆 > 护肤 > 面膜"
    assert category_path(["全部分类", "食品", "代餐奶昔 500g"], product_name="代餐奶昔  500g") == "食品"
    assert category_path([{"name": "食品"}, {"@value": "零食"}]) == "食品 > 零食"
    assert category_path(["首页"]) is None and category_path([]) is None
