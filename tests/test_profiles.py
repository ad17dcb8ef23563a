"""Site profiles: selectors from config.toml read into typed fields; the shipped platform profiles on their
committed fixtures (tests/fixtures/pages/<platform>/, written for these tests); selecting them in the config."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from parsel import Selector as Page

from config import SHIPPED_PROFILES, ConfigError, PageProfile, config_from_dict, shipped_platform
from crawlers.encoding import read_page as read_saved
from crawlers.profiles import read_items, read_page
from crawlers.reading import documents_of, read_product, reviews_from, search_hits

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

# --- shipped platform profiles (profiles/*.toml) read their committed fixtures ----------------------------------

PAGES = Path(__file__).parent / "fixtures" / "pages"
CST = datetime.fromisoformat("2026-01-01T00:00:00+08:00").tzinfo


def shipped(key: str, kind: str, name: str, url: str | None = None):
    """Fixture `name` of platform `key` read with the shipped profile's `kind` page, as a crawl reads it."""
    platform = shipped_platform(key)
    profile = platform.profile.pages()[kind]
    text, _ = read_saved(PAGES / key / name)
    documents = documents_of(text, profile)
    if kind == "product":
        return read_product(key, platform, profile, text, url or platform.base_url, documents).item
    page = Page(text=text, base_url=platform.base_url)
    reader = search_hits if kind == "search" else lambda *args: reviews_from(*args[1:])
    return reader(platform, profile, page, platform.base_url, documents)


def test_every_platform_of_the_issue_is_shipped_and_valid():
    assert set(SHIPPED_PROFILES) == {"jd", "taobao", "tmall", "pinduoduo", "douyin"}
    for key in SHIPPED_PROFILES:
        assert shipped_platform(key).preset == key


def test_jd_item_page():
    item = shipped("jd", "product", "item.html", "https://item.jd.com/100045678901.html")
    assert (item.title, item.price, item.list_price, item.availability, item.shop, item.review_count, item.rule) == (
        "山野户外折叠露营椅 超轻便携月亮椅 钓鱼椅 承重150kg", Decimal("129.00"), Decimal("199.00"), "InStock",
        "山野户外京东自营旗舰店", 20000, "profile")
    assert item.item_id == "100045678901"  # read back from the product URL template


def test_jd_search_listing_without_price_or_count_stays_empty():
    hits = shipped("jd", "search", "search.html")
    assert [(h.rank, h.item_id, h.price, h.monthly_sales) for h in hits] == [
        (1, "100045678901", Decimal("129.00"), 20000), (2, "10087654321", Decimal("59.90"), 5000),
        (3, "10011112222", None, None)]
    assert hits[0].title == "山野户外折叠露营椅 超轻便携月亮椅" and hits[0].url == "https://item.jd.com/100045678901.html"


def test_jd_review_jsonp_in_gbk_with_stars_and_append():
    assert not (PAGES / "jd" / "reviews.jsonp").read_bytes().isascii()
    with pytest.raises(UnicodeDecodeError):
        (PAGES / "jd" / "reviews.jsonp").read_bytes().decode("utf-8")
    first, second = shipped("jd", "reviews", "reviews.jsonp")
    assert (first.review_id, first.rating, first.posted_at, first.sku) == (
        "20398765432", 5.0, datetime(2026, 11, 28, 21, 14, 5, tzinfo=CST), "军绿色")
    assert first.text.startswith("椅子很结实") and first.append == "用了两周，布面有点起球，其他都好。"
    assert (second.rating, second.append) == (1.0, None)


def test_taobao_item_search_and_rate_list():
    item = shipped("taobao", "product", "item.html")
    assert (item.title, item.price, item.price_max, item.list_price, item.monthly_sales, item.shop) == (
        "山野户外露营椅折叠椅 超轻便携月亮椅 钓鱼写生椅", Decimal("89"), None, Decimal("109"), 2000, "山野户外小店")
    hits = shipped("taobao", "search", "search.html")
    assert [(h.item_id, h.title, h.price, h.monthly_sales) for h in hits] == [
        ("712345678901", "山野户外露营椅折叠椅 超轻便携月亮椅", Decimal("89.00"), 12000),
        ("698765432100", "天猫 牧野折叠露营椅 铝合金克米特椅", Decimal("239.00"), 3000),
        ("700000000003", "新款露营椅 预售", None, None)]
    assert hits[0].url == "https://item.taobao.com/item.htm?id=712345678901"
    first, second = shipped("taobao", "reviews", "rates.jsonp")
    assert (first.review_id, first.sku, first.append) == ("1288765432101", "颜色分类:军绿色",
                                                          "用了一个月再来评，质量不错，推荐购买。")
    assert first.rating is None and first.posted_at == datetime(2026, 11, 30, 20, 11, 5, tzinfo=CST)
    assert second.append is None  # "appendComment": null


def page_fields(key: str, kind: str, name: str) -> dict:
    """The page-level fields (next, pages) of fixture `name` read with the shipped profile's `kind` page."""
    platform = shipped_platform(key)
    profile = platform.profile.pages()[kind]
    text, _ = read_saved(PAGES / key / name)
    return read_page(profile, Page(text=text, base_url=platform.base_url), platform.base_url,
                     documents_of(text, profile))


def test_jd_review_feed_and_taobao_search_number_their_pages_and_say_how_many():
    jd, taobao, tmall = shipped_platform("jd"), shipped_platform("taobao"), shipped_platform("tmall")
    assert page_fields("jd", "reviews", "reviews.jsonp") == {"pages": 100}
    assert "page=0&" in jd.reviews_page_url("100045678901", 1) and "page=2&" in jd.reviews_page_url("1", 3)
    assert page_fields("taobao", "search", "search.html") == {"pages": 100}
    assert taobao.search_page_url("露营椅", 1).endswith("&s=0") and taobao.search_page_url("露营椅", 3).endswith("&s=88")
    assert tmall.search_page_url("露营椅", 2).endswith("&tab=mall&s=44"), "Tmall keeps Taobao's page size"
    assert jd.numbers_pages("reviews") and taobao.numbers_pages("search")
    assert "next" in jd.profile.search.fields, "JD's search follows its next link"


def test_an_offset_in_a_list_url_needs_the_page_size():
    with pytest.raises(ConfigError, match="page_size"):
        config_with({"shop": {"name": "店", "base_url": "https://shop.example", "search_url": "/s?q={keyword}&s={offset}"}})


def test_tmall_starts_from_taobao_and_reads_a_price_range():
    tmall = shipped_platform("tmall")
    assert tmall.profile == shipped_platform("taobao").profile
    assert tmall.product_url == "https://detail.tmall.com/item.htm?id={item_id}"
    item = shipped("tmall", "product", "item.html")
    assert (item.price, item.price_max, item.monthly_sales, item.shop, item.list_price) == (
        Decimal("239"), Decimal("329"), 15000, "牧野旗舰店", None)
    hits = shipped("tmall", "search", "search.html")
    assert [(h.rank, h.price, h.monthly_sales) for h in hits] == [(1, Decimal("239.00"), 3000),
                                                                  (2, Decimal("129.00"), 25000)]
    reviews = shipped("tmall", "reviews", "rates.jsonp")
    assert [r.append for r in reviews] == ["第二次露营用了，稳固，好评。", None]


def test_pinduoduo_prices_in_fen_are_scaled():
    hits = shipped("pinduoduo", "search", "search.json")
    assert [(h.item_id, h.price, h.monthly_sales) for h in hits] == [
        ("452211334455", Decimal("39.90"), 100000), ("398877665544", Decimal("19.90"), 32000),
        ("400000000001", None, None)]
    assert hits[1].url == "https://mobile.yangkeduo.com/goods.html?goods_id=398877665544"
    item = shipped("pinduoduo", "product", "goods.html")
    assert (item.item_id, item.price, item.price_max, item.list_price, item.monthly_sales, item.shop) == (
        "452211334455", Decimal("39.90"), Decimal("69.90"), Decimal("59.00"), 100000, "山野户外专营店")


def test_douyin_product_json_in_fen():
    item = shipped("douyin", "product", "product.json")
    assert (item.item_id, item.title, item.price, item.price_max, item.list_price, item.monthly_sales, item.shop) == (
        "3701234567890123456", "山野户外折叠露营椅 抖音直播间专享 超轻便携", Decimal("49.90"), Decimal("79.90"),
        Decimal("129.00"), 23567, "山野户外抖音旗舰店")


@pytest.mark.parametrize("key", SHIPPED_PROFILES)
def test_a_shipped_field_with_no_match_is_none_not_made_up(key):
    """Every field of every shipped page read on a page of another kind and another site: None each, none invented."""
    profiles = shipped_platform(key).profile.pages()
    text, _ = read_saved(PAGES / "jd" / "reviews.jsonp" if key != "jd" else PAGES / "taobao" / "rates.jsonp")
    page = Page(text=text, base_url="https://shop.test/")
    product = profiles["product"]
    fields = read_page(product, page, "https://shop.test/", documents_of(text, product))
    assert fields and set(fields.values()) == {None}
    assert read_items(profiles["search"], page, "https://shop.test/", documents_of(text, profiles["search"])) == []


# --- selecting a shipped profile in config.toml -----------------------------------------------------------------

def config_with(platforms: dict):
    return config_from_dict({"platforms": platforms, "keywords": [{"term": "露营椅"}]}, base_dir=".")


def test_preset_with_overrides_replaces_keys_and_single_fields():
    config = config_with({"jd": {"preset": "jd", "name": "京东（竞品）",
                                 "profile": {"product": {"price": {"css": ".my-price::text"}}}}})
    jd, shipped_jd = config.platforms["jd"], shipped_platform("jd")
    assert jd.name == "京东（竞品）" and jd.search_url == shipped_jd.search_url
    assert jd.profile.product.fields["price"].css == ".my-price::text"
    assert jd.profile.product.fields["price"].json_path is None
    assert jd.profile.product.fields["shop"] == shipped_jd.profile.product.fields["shop"]
    assert jd.profile.reviews == shipped_jd.profile.reviews
    assert config.keywords[0].platforms == ("jd",)  # searchable through the shipped search_url


def test_unknown_preset_names_the_key_and_the_choices():
    with pytest.raises(ConfigError) as raised:
        config_with({"jd": {"preset": "jdd", "name": "京东"}})
    message = str(raised.value)
    assert "platforms.jd.preset" in message and "jdd" in message and "tmall" in message
