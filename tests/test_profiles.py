"""Site profiles: selectors from config.toml read into typed fields."""

from __future__ import annotations

from decimal import Decimal

from parsel import Selector as Page

from config import PageProfile
from crawlers.profiles import read_items, read_page

HTML = """<html><body>
<ul><li class="g" data-id="A1"><a class="t" href="/item/A1.html">露营椅 <b>超轻</b></a><span class="p">¥89-129</span>
<span class="s">月销1.2万+</span><em class="up">↑</em></li>
<li class="g" data-id="B2"><a class="t" href="/item/B2.html">折叠椅</a><span class="p">￥１９．９０</span>
<span class="s">月销 860</span></li></ul>
<a class="next" href="?page=2">下一页</a>
<div class="stock">已售完</div><span class="date">2026年10月1日 12:30</span>
</body></html>"""


def profile(**fields) -> PageProfile:
    return PageProfile.model_validate(fields)


def test_items_and_page_level_next():
    search = profile(items={"css": "li.g"}, url={"css": "a.t::attr(href)"}, title={"css": "a.t"},
                     item_id={"xpath": "@data-id"}, price={"css": ".p::text"}, sales={"css": ".s::text"},
                     rising={"css": ".up::text"}, next={"css": "a.next::attr(href)"})
    page = Page(text=HTML)
    items = read_items(search, page, "http://shop.test/search?q=x")
    assert items[0] == {"url": "http://shop.test/item/A1.html", "title": "露营椅 超轻", "item_id": "A1",
                        "price": (Decimal("89"), Decimal("129")), "sales": 12000, "rising": True}
    assert items[1]["price"] == (Decimal("19.90"), None) and items[1]["sales"] == 860
    assert items[1]["rising"] is None
    assert read_page(search, page, "http://shop.test/search?q=x") == {"next": "http://shop.test/search?page=2"}


def test_json_fields_with_scale_and_regex():
    product = profile(price={"json": "data.price.min", "scale": 0.01}, title={"json": "data.title"},
                      review_count={"json": "data.n"}, sku={"json": "data.code", "regex": r"SKU-(\d+)"})
    docs = [{"other": 1}, {"data": {"price": {"min": 12900}, "title": "快购椅", "n": 42, "code": "SKU-7"}}]
    fields = read_page(product, Page(text="<html></html>"), "http://kg.test/p/1", docs)
    assert fields == {"price": (Decimal("129.00"), None), "title": "快购椅", "review_count": 42, "sku": "7"}


def test_availability_and_dates():
    fields = read_page(profile(availability={"css": ".stock::text"}, date={"css": ".date::text"}), Page(text=HTML),
                       "http://shop.test/")
    assert fields["availability"] == "OutOfStock"
    assert fields["date"].isoformat() == "2026-10-01T12:30:00+08:00"


def test_missing_values_stay_missing():
    fields = read_page(profile(price={"css": ".nope::text"}, stock={"json": "data.stock"}), Page(text=HTML),
                       "http://shop.test/", [{"data": {}}])
    assert fields == {"price": None, "stock": None}


def test_xpath_may_use_exslt_regular_expressions_as_in_parsel():
    listing = profile(items={"xpath": "//li[re:test(@data-id, '^[A-Z]\\d$')]"}, item_id={"xpath": "@data-id"},
                      price={"xpath": ".//span[re:test(@class, '^p$')]/text()"})
    assert read_items(listing, Page(text=HTML), "http://shop.test/") == [
        {"item_id": "A1", "price": (Decimal("89"), Decimal("129"))},
        {"item_id": "B2", "price": (Decimal("19.90"), None)}]


CRUMBS = """<html><body><div class="crumbs"><a href="/">首页</a> &gt; <a href="/c/1">食品饮料</a> &gt;
<a href="/c/2">营养 <b>代餐</b></a></div><td class="nav">当前位置：首页 &gt;&gt; 美妆 &gt;&gt; 护肤</td></body></html>"""


def test_a_category_reads_every_match_as_one_level_of_its_path():
    read = lambda **selector: read_page(profile(category=selector), Page(text=CRUMBS), "http://shop.test/")["category"]
    assert read(css=".crumbs a::text") == "食品饮料 > 营养"          # text nodes: each one a level
    assert read(css=".crumbs a") == "食品饮料 > 营养 代餐"            # elements: each one's whole text
    assert read(css=".crumbs a", regex=r"^[^首].*") == "食品饮料 > 营养 代餐"   # the regex filters each level
    assert read(css="td.nav::text", regex="当前位置：(.*)") == "美妆 > 护肤"    # one text holding a whole path
    assert read(css=".nope a::text") is None


def test_a_json_category_may_be_a_list_of_levels_or_one_text():
    product = profile(category={"json": "data.cats"})
    for cats, expected in ((["食品", {"name": "零食"}], "食品 > 零食"), ("食品 > 零食", "食品 > 零食"), ([], None)):
        fields = read_page(product, Page(text="<html></html>"), "http://kg.test/p/1", [{"data": {"cats": cats}}])
        assert fields == {"category": expected}
