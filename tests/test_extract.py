"""The generic extractor on compact pages written in the styles of real shops, and on the live demo marketplace."""

import urllib.request
from decimal import Decimal
from pathlib import Path

import pytest

from bench.fixture_prices import expected_pages, extract_fixture
from crawlers.description import MAX_DESCRIPTION, clean_description
from crawlers.encoding import decode_html, read_page
from crawlers.extract import EXTRACT_JSON_KEYS, Extraction, extract_product, extraction_line

PAGES = Path(__file__).parent / "fixtures" / "pages"
D = Decimal


def extract(name: str, url: str = "https://shop.example.com/products/item") -> Extraction:
    text, _ = read_page(PAGES / name)
    return extract_product(text, url)


def test_json_ld_offer_with_strikethrough_price_specification():
    e = extract("jsonld_offer.html", "https://shop.example.com/products/trailhead-2")
    assert (e.name, e.price, e.list_price, e.currency, e.rule) == (
        "Trailhead 2 Waterproof Hiking Boot", D("119.95"), D("149.95"), "USD", "jsonld")
    assert (e.availability, e.sku, e.brand, e.shop) == ("InStock", "NP-TH2-BRN", "Northpeak", "Northpeak Outfitters")
    assert (e.rating, e.review_count, e.image) == (4.6, 1287, "https://cdn.example.com/boot-1.jpg")
    assert e.incomplete is None


def test_json_ld_graph_with_aggregate_offer_and_linked_seller():
    e = extract("jsonld_graph_aggregate.html", "https://mianmian.example.cn/p/88231/")
    assert (e.name, e.price, e.price_max, e.currency, e.rule) == (
        "云朵记忆棉护腰靠垫办公室座椅腰靠", D("79"), D("139"), "CNY", "jsonld")
    assert (e.sku, e.brand, e.shop, e.availability) == ("88231", "棉眠", "棉眠家居官方店", "InStock")
    assert (e.rating, e.review_count, e.monthly_sales) == (4.6, 856, 3200)  # 9.2 of 10 is 4.6 of 5
    assert e.image == "https://img.example.cn/88231/main.jpg"


def test_product_group_variants_give_a_range_and_any_variant_in_stock():
    e = extract("jsonld_product_group.html")
    assert (e.name, e.price, e.price_max, e.currency, e.availability, e.brand) == (
        "Relaxed Linen Shirt", D("45"), D("52"), "GBP", "InStock", "Ashby")


def test_microdata_only():
    e = extract("microdata.html")
    assert (e.name, e.price, e.list_price, e.currency, e.rule) == (
        "Espressomaschine Barista Pro", D("699"), D("849"), "EUR", "microdata")
    assert (e.sku, e.brand, e.availability, e.rating, e.review_count) == ("BES878", "Sage", "InStock", 4.4, 212)
    assert e.image == "https://shop.example.com/media/barista-pro.jpg"


def test_rdfa_only():
    e = extract("rdfa.html")
    assert (e.name, e.price, e.currency, e.sku, e.brand, e.availability, e.rule) == (
        "Théière en fonte Tetsubin 1,2 L", D("89.90"), "EUR", "TET-12", "Iwachu", "InStock", "rdfa")


def test_open_graph_only_strips_the_shop_from_the_title():
    e = extract("opengraph.html", "https://store.example.tw/p/1")
    assert (e.name, e.price, e.currency, e.availability, e.brand, e.rule) == (
        "手沖咖啡壺 600ml", D("1290"), "TWD", "InStock", "KINTO", "opengraph")


def test_jd_style_dom_ignores_recommendations_and_reads_labels():
    e = extract("jd_dom.html", "https://item.jd.com/100061523472.html")
    assert e.name == "Redmi Note 13 5G 1亿像素 超细四窄边OLED直屏 8GB+256GB 星沙白 小米手机"
    assert (e.price, e.list_price, e.promo_price, e.currency, e.rule) == (
        D("1199"), D("1399"), D("1099"), "CNY", "dom:price-class")
    assert (e.availability, e.review_count) == ("InStock", 500000)
    assert any("3999" in note for note in e.evidence)  # the shop's best-seller further down lost


def test_tmall_style_promo_panel_beats_price_panel():
    e = extract("tmall_dom.html", "https://detail.tmall.com/item.htm?id=1")
    assert e.name == "南极人纯棉四件套全棉被套床单被罩床上用品"
    assert (e.price, e.price_max, e.list_price, e.promo_price, e.currency) == (
        D("159"), D("239"), D("299"), D("139"), "CNY")
    assert (e.shop, e.monthly_sales, e.review_count, e.stock, e.availability) == (
        "南极人家纺旗舰店", 12000, 38562, 2318, "InStock")


def test_legacy_gbk_page_with_full_width_prices():
    text, encoding = read_page(PAGES / "legacy_gbk.html")
    assert encoding == "gb18030"
    e = extract_product(text, "http://www.xbtc.example.com/goods.asp?id=500")
    assert (e.name, e.price, e.list_price, e.currency, e.rule) == (
        "正宗宁夏中宁枸杞子500g特级免洗", D("59.80"), D("88"), "CNY", "dom:label")
    assert (e.stock, e.availability, e.monthly_sales) == (126, "InStock", 356)
    assert e.image == "http://www.xbtc.example.com/pic/gouqi500.jpg"


def test_woocommerce_sale_price_with_del_list_price():
    e = extract("woocommerce.html")
    assert (e.name, e.price, e.list_price, e.currency, e.rule) == (
        "Organic Cotton Tote Bag", D("19.99"), D("24.99"), "USD", "dom:price-class")
    assert (e.availability, e.stock, e.rating, e.review_count) == ("InStock", 7, 4.75, 8)


def test_shopify_sold_out_page():
    e = extract("shopify_soldout.html")
    assert (e.name, e.price, e.list_price, e.currency, e.availability) == (
        "Ceramic Pour-Over Dripper", D("24"), D("30"), "GBP", "OutOfStock")


def test_shopify_dom_sale_price_beats_regular_price():
    html = (PAGES / "shopify_soldout.html").read_text(encoding="utf-8")
    html = html.replace('<meta property="og:price:amount" content="24.00">', "")
    e = extract_product(html)
    assert (e.price, e.list_price, e.rule) == (D("24"), D("30"), "dom:price-class")


def test_page_without_price_is_incomplete_but_keeps_the_rest():
    e = extract("noprice.html")
    assert (e.price, e.rule, e.incomplete) == (None, None, "no price found")
    assert (e.name, e.sku, e.shop) == ("定制款实木茶台", "MZ-2201", "木作工坊")


def test_malformed_page_with_broken_json_ld_and_unclosed_comment():
    e = extract("malformed.html")
    assert (e.name, e.price, e.list_price, e.stock, e.availability) == (
        "儿童保温杯316不锈钢吸管杯", D("69"), D("99"), 12, "InStock")
    assert any("not valid JSON" in note for note in e.evidence)


def test_structured_price_wins_over_disagreeing_dom_and_says_so():
    e = extract("conflict.html")
    assert (e.price, e.rule, e.list_price, e.promo_price, e.availability) == (
        D("129"), "jsonld", D("159"), D("89"), "InStock")
    assert any("disagrees" in note and "99" in note for note in e.evidence)
    assert any("OutOfStock" in note for note in e.evidence)


@pytest.mark.parametrize("markup", ["", "   ", "<html></html>", "<<<>>>", "\x00\x01", "<p>¥", "<!--"])
def test_hopeless_input_does_not_raise(markup):
    e = extract_product(markup)
    assert e.price is None and e.incomplete.startswith("no price found")


def test_extraction_line_has_exactly_the_cli_keys():
    e = extract("woocommerce.html")
    line = extraction_line("tests/fixtures/pages/woocommerce.html", e)
    assert tuple(line) == EXTRACT_JSON_KEYS
    assert line == {"source": "tests/fixtures/pages/woocommerce.html", "name": "Organic Cotton Tote Bag",
                    "price": 19.99, "currency": "USD", "availability": "InStock", "sku": None,
                    "rule": "dom:price-class"}
    assert extraction_line("x", extract("noprice.html"))["price"] is None


def test_to_json_is_json_safe():
    data = extract("tmall_dom.html").to_json()
    assert data["price"] == 159.0 and data["price_max"] == 239.0 and data["list_price"] == 299.0
    assert all(not isinstance(value, Decimal) for value in data.values())


def fetch_decoded(url: str) -> str:
    with urllib.request.urlopen(url, timeout=30) as response:
        text, _ = decode_html(response.read(), declared=response.headers.get("Content-Type"))
    return text


@pytest.mark.integration
def test_demo_marketplace_pages_give_the_ground_truth(truth):
    """shangcheng (JSON-LD) and laodian (GBK, DOM only, the description after its 宝贝详情 label) product pages;
    kuaigou needs a browser."""
    products = [p for p in truth["products"] if p["platform"] in ("shangcheng", "laodian")]
    assert len(products) >= 200
    wrong = []
    for product in products:
        e = extract_product(fetch_decoded(product["url"]), product["url"])
        got = (e.name, e.price, e.availability, e.description)
        expected = (product["title"], D(str(product["price"])), product["availability"], product["description"])
        if got != expected:
            wrong.append((product["platform"], product["item_id"], got, expected))
    assert wrong == []


INLINE_PAGES = {
    "meta": ('<html><head><title>Desk Lamp | Lumo</title><meta itemprop="price" content="39.00">'
             '<meta itemprop="priceCurrency" content="USD"></head><body><h1>Desk Lamp</h1></body></html>',
             ("Desk Lamp", D("39"), "USD", "meta")),
    "twitter": ('<html><head><title>Desk Lamp</title><meta name="twitter:label1" content="Price">'
                '<meta name="twitter:data1" content="$39.00 USD"></head><body><h1>Desk Lamp</h1></body></html>',
                ("Desk Lamp", D("39"), "USD", "meta")),
    "itemprop": ('<html lang="zh-CN"><body><h1>陶瓷马克杯</h1><div>售价 <span itemprop="price">36.00</span></div>'
                 '</body></html>', ("陶瓷马克杯", D("36"), "CNY", "dom:itemprop")),
    "near-title": ('<html><body><h1>手工皂 100g</h1><p>天然橄榄油</p><p><b>¥</b>28.00</p><p>满 ¥99 包邮</p></body></html>',
                   ("手工皂 100g", D("28"), "CNY", "dom:near-title")),
    "near-buy": ('<html><body><div>帆布袋</div><p>¥45.00</p><button>立即购买</button></body></html>',
                 (None, D("45"), "CNY", "dom:near-buy")),
    "data-price": ('<html><body><h1>Oak Shelf</h1><div class="product-info" data-price-amount="129.5">'
                   '<span>Call for price</span></div></body></html>', ("Oak Shelf", D("129.5"), None, "dom:data-price")),
}


@pytest.mark.parametrize("case", sorted(INLINE_PAGES))
def test_weaker_rules_when_nothing_stronger_exists(case):
    markup, expected = INLINE_PAGES[case]
    e = extract_product(markup)
    assert (e.name, e.price, e.currency, e.rule) == expected


def test_taobao_style_promo_price_and_counters():
    html = """<html><head><title>原创设计纯棉T恤-淘宝网</title></head><body>
    <div class="tb-title"><h3 class="tb-main-title">原创设计纯棉T恤 </h3></div>
    <ul class="tb-meta"><li id="J_StrPriceModBox"><span>价格</span><strong id="J_StrPrice"><em class="tb-rmb">&yen;</em>
    <em class="tb-rmb-num">128.00</em></strong></li><li id="J_PromoPrice"><span>淘宝价</span><strong class="tb-promo-price">
    <em class="tb-rmb">&yen;</em><em id="J_PromoPriceNum" class="tb-rmb-num">89.00</em></strong></li></ul>
    <div class="tb-counter"><strong id="J_SellCounter">326</strong> 交易成功 <strong id="J_RateCounter">58</strong> 累计评价</div>
    <span id="J_SpanStock">库存1203件</span><a id="J_LinkBuy" class="J_LinkBuy">立刻购买</a></body></html>"""
    e = extract_product(html, "https://item.taobao.com/item.htm?id=1")
    assert (e.name, e.price, e.list_price, e.currency) == ("原创设计纯棉T恤", D("89"), D("128"), "CNY")
    assert (e.monthly_sales, e.review_count, e.stock, e.availability) == (326, 58, 1203, "InStock")


def test_dangdang_style_book_page_keeps_review_count_out_of_sales():
    html = """<html><head><title>《三体》（刘慈欣）【简介_书评_在线阅读】 - 当当图书</title></head><body>
    <div class="name_info"><h1 title="三体">三体（全三册）刘慈欣 著</h1></div>
    <div class="price_d"><p>当当价</p><p class="price" id="dd-price"><span class="yen">&yen;</span>59.80</p></div>
    <div class="price_m" id="original-price"><p>定价</p><span class="yen">&yen;</span>93.00</div>
    <div class="book_sales">累计评论 <a>128万</a> 条</div></body></html>"""
    e = extract_product(html, "http://product.dangdang.com/23579654.html")
    assert (e.name, e.price, e.list_price, e.review_count, e.monthly_sales) == (
        "三体（全三册）刘慈欣 著", D("59.80"), D("93"), 1280000, None)


# --- descriptions ------------------------------------------------------------------------------------------------

DESCRIPTION_PAGES = {
    "jsonld-markup": ('<html><head><script type="application/ld+json">{"@type": "Product", "name": "折叠椅", '
                      '"description": "<p>承重300斤&amp;&nbsp;稳固</p>\\n<p>净重  1.2kg</p>", "offers": {"price": "89"}}'
                      '</script><meta name="description" content="某某商城提供折叠椅报价"></head><body><h1>折叠椅</h1>'
                      '</body></html>', "承重300斤& 稳固 净重 1.2kg"),
    "microdata": ('<html><body><div itemscope itemtype="https://schema.org/Product"><h1 itemprop="name">Tea Kettle</h1>'
                  '<div itemprop="description">Cast iron,\n  holds 1.2 L.</div><span itemprop="price">30</span></div>'
                  '</body></html>', "Cast iron, holds 1.2 L."),
    "opengraph": ('<html><head><meta property="og:title" content="Canvas Tote"><meta property="og:description" '
                  'content="Heavy canvas tote with an inner pocket."><meta name="description" content="Shop bags">'
                  '</head><body><h1>Canvas Tote</h1></body></html>', "Heavy canvas tote with an inner pocket."),
    "meta": ('<html><head><meta name="description" content="Hand-thrown stoneware mug, 350 ml."></head>'
             '<body><h1>Stoneware Mug</h1><p>$24.00</p></body></html>', "Hand-thrown stoneware mug, 350 ml."),
    "class-beats-meta": ('<html><head><meta name="description" content="淘宝网为您提供手工皂的最新价格">'
                         '</head><body><h3 class="tb-main-title">手工皂</h3><em>¥28.00</em>'
                         '<div id="J_DivItemDesc" class="content"><p>天然橄榄油冷制，</p><p>温和不紧绷，敏感肌也能用。</p></div>'
                         '</body></html>', "天然橄榄油冷制， 温和不紧绷，敏感肌也能用。"),
    "label-in-table": ('<html><body><table><tr><td><h3>纯棉毛巾</h3>促销价：¥19.9</td></tr>'
                       '<tr><td colspan=2><b>宝贝详情</b><br>新疆长绒棉，吸水快不掉毛。</td></tr></table></body></html>',
                       "新疆长绒棉，吸水快不掉毛。"),
    "heading-after-tabs": ('<html><body><h1>Linen Shirt</h1><p>£45</p><ul class="tabs"><li>Description</li>'
                           '<li>Shipping &amp; returns</li><li>Reviews (12)</li></ul><section><h2>Description</h2>'
                           '<p>Relaxed fit in washed European linen.</p></section></body></html>',
                           "Relaxed fit in washed European linen."),
}


@pytest.mark.parametrize("case", sorted(DESCRIPTION_PAGES))
def test_description_by_evidence(case):
    markup, expected = DESCRIPTION_PAGES[case]
    assert extract_product(markup, "https://shop.example.com/p/1").description == expected


def test_no_description_stays_none_and_the_product_area_is_not_one():
    """A container classed `product-desc-wrap` that holds the title and price is the product area; SKU captions
    and review texts are not a description either."""
    html = ('<html><body><div class="product-desc-wrap"><h1>Oak Shelf</h1><p>$129.00</p>'
            '<span class="sku-desc">Natural oak, 80 cm wide shelf</span></div>'
            '<ul><li class="review-desc">Sturdy and easy to mount on any wall.</li></ul></body></html>')
    assert extract_product(html).description is None


def test_woocommerce_short_description():
    assert extract("woocommerce.html").description == "Heavy 12oz canvas. Free shipping on orders over $50."


def test_long_description_is_cut_at_a_sentence_end():
    sentence = "这款折叠椅采用航空铝合金支架，承重三百斤。"  # 21 characters
    page = (f'<html><body><h1>折叠椅</h1><p>¥89</p><div class="description">{sentence * 400}</div>'
            '</body></html>')
    description = extract_product(page).description
    assert MAX_DESCRIPTION - len(sentence) < len(description) <= MAX_DESCRIPTION
    assert description.endswith("。") and sentence * 3 in description


def test_clean_description_of_profile_values():
    assert clean_description("  商品详情：\n 轻便  耐用 ") == "轻便 耐用"
    assert clean_description("承重<300斤") == "承重<300斤"  # a less-than sign is not a tag
    assert clean_description("") is None and clean_description(None) is None


# --- the main price among distractors (tests/fixtures/pages/mainprice, expected.tsv) -------------------------------

@pytest.mark.parametrize("expected", expected_pages(), ids=lambda page: f"{page.split}-{page.file}")
def test_main_price_among_recommendations_coupons_instalments_and_list_prices(expected):
    e = extract_fixture(expected.file)
    assert (e.price, e.price_max, e.list_price) == (expected.price, expected.price_max, expected.list_price)


def test_a_labelled_range_beats_a_sidebar_of_other_items():
    e = extract_fixture("tmall_range_sidebar.html")
    assert (e.price, e.price_max, e.currency, e.rule) == (D("5499.00"), D("6799.00"), "CNY", "dom:price-class")
    assert any("4999.00" in note and "in a sidebar" in note for note in e.evidence)


def test_two_different_prices_with_equal_evidence_are_no_price_and_say_why():
    e = extract_fixture("two_prices_tie.html")
    assert e.price is None and e.incomplete.startswith("no price found: two prices tie")
    assert "39.00" in e.incomplete and "68.00" in e.incomplete


def test_structured_data_still_wins_over_a_sidebar_and_the_dom_agrees():
    e = extract_fixture("jsonld_with_sidebar.html")
    assert (e.price, e.rule, e.list_price) == (D("199.00"), "jsonld", D("259.00"))
    assert any("agrees with jsonld" in note for note in e.evidence)
