"""The demo marketplace over real HTTP: every shop, GBK decoding, each fault, the scenario clock, ground truth."""

from __future__ import annotations

import json
import re
import time
from urllib.parse import quote

import pytest
from parsel import Selector

from conftest import fetch
from demo_market.faults import FaultBook, FaultRule, malform

pytestmark = pytest.mark.integration

KG_HEADERS = {"Cookie": "kg_sid=test", "X-KG-Client": "web/test"}


def product(truth: dict, platform: str, item_id: str) -> dict:
    return next(p for p in truth["products"] if p["platform"] == platform and p["item_id"] == item_id)


def json_ld(html: str) -> dict:
    return json.loads(Selector(text=html).css('script[type="application/ld+json"]::text').get())


def gbk_page(url: str) -> Selector:
    response = fetch(url)
    assert response.status == 200
    return Selector(text=response.body.decode("gbk"))


# --- shangcheng: server-rendered, JSON-LD ---------------------------------------------------------------------

def test_shangcheng_product_page_json_ld_matches_ground_truth(marketplace, truth):
    for expected in [p for p in truth["products"] if p["platform"] == "shangcheng"][:25]:
        html = fetch(expected["url"]).text()
        data = json_ld(html)
        assert data["@type"] == "Product"
        assert data["name"] == expected["title"]
        offers = data["offers"]
        low = offers.get("lowPrice", offers.get("price"))
        assert float(low) == pytest.approx(expected["price"])
        assert offers["priceCurrency"] == "CNY"
        assert offers["availability"].endswith(expected["availability"])
        assert data["aggregateRating"]["reviewCount"] == expected["review_count"]
        page = Selector(text=html)
        assert page.css("h1.product-title::text").get() == expected["title"]
        assert expected["shop"] in page.css(".shop-name a::text").get()


def test_shangcheng_search_paginates_and_lists_own_product(marketplace, truth):
    base = marketplace.sites["shangcheng"]
    first = Selector(text=fetch(f"{base}/search?q={quote('露营椅')}").text())
    total = int(first.css(".result-count b::text").get())
    assert total > 20, "the camping-chair keyword should need more than one page"
    seen, page_url = [], f"{base}/search?q={quote('露营椅')}"
    while page_url:
        page = Selector(text=fetch(page_url).text())
        seen += page.css(".goods-card::attr(data-item-id)").getall()
        next_href = page.css("a.next::attr(href)").get()
        page_url = base + next_href if next_href else None
    assert len(seen) == total == len(set(seen))
    assert "SC10001" in seen


def test_shangcheng_reviews_paginate_to_the_review_count(marketplace, truth):
    expected = product(truth, "shangcheng", "SC10001")
    base = marketplace.sites["shangcheng"]
    ids, page = [], 1
    while True:
        sel = Selector(text=fetch(f"{base}/item/SC10001/reviews?page={page}").text())
        ids += sel.css("li.review::attr(data-review-id)").getall()
        if not sel.css("a.next"):
            break
        page += 1
    assert len(ids) == len(set(ids)) == expected["review_count"]


def test_hot_pages_of_every_platform_match_ground_truth(marketplace, truth):
    hot = truth["hot_terms"]
    sc = Selector(text=fetch(marketplace.sites["shangcheng"] + "/hot").text())
    assert sc.css(".hot-term::text").getall() == [t["term"] for t in hot["shangcheng"]]
    ld = gbk_page(marketplace.sites["laodian"] + "/top.php")
    assert ld.css("td.word a::text").getall() == [t["term"] for t in hot["laodian"]]
    kg = json.loads(fetch(marketplace.sites["kuaigou"] + "/api/hot", KG_HEADERS).body)
    assert [t["word"] for t in kg["data"]["list"]] == [t["term"] for t in hot["kuaigou"]]
    assert [t["hot_value"] for t in kg["data"]["list"]] == [t["heat"] for t in hot["kuaigou"]]


def test_every_shop_shows_its_category_tree_as_real_shops_do(marketplace, truth):
    """shangcheng: a BreadcrumbList JSON-LD (首页, the tree, the product) and visible crumbs; laodian: a GBK crumb row;
    kuaigou: the category path in its item API, which its app renders as crumbs."""
    trees = {p["category"]: p["marketplace_category"] for p in truth["products"]}
    assert trees["meal_replacement"] == "食品饮料 > 营养代餐 > 代餐奶昔" and len(set(trees.values())) == len(trees)
    for category in trees:
        sample = {p["platform"]: p for p in truth["products"] if p["category"] == category}
        tree = trees[category].split(" > ")
        html = fetch(sample["shangcheng"]["url"]).text()
        scripts = Selector(text=html).css('script[type="application/ld+json"]::text').getall()
        crumbs = json.loads(scripts[1])
        assert crumbs["@type"] == "BreadcrumbList"
        assert [item["name"] for item in crumbs["itemListElement"]] == ["首页", *tree, sample["shangcheng"]["title"]]
        assert [item["position"] for item in crumbs["itemListElement"]] == list(range(1, len(tree) + 3))
        assert Selector(text=html).css("nav.crumbs a::text").getall() == ["首页", *tree]
        assert gbk_page(sample["laodian"]["url"]).css("td.nav a::text").getall() == ["首页", *tree]
        item = json.loads(fetch(f"{marketplace.sites['kuaigou']}/api/item/{sample['kuaigou']['item_id']}",
                                KG_HEADERS).body)
        assert item["data"]["cat_path"] == tree


def test_unknown_product_is_404(marketplace):
    assert fetch(marketplace.sites["shangcheng"] + "/item/NOPE.html").status == 404
    assert fetch(marketplace.sites["laodian"] + "/goods.php?id=000").status == 404
    assert fetch(marketplace.sites["kuaigou"] + "/api/item/1", KG_HEADERS).status == 404


def test_bad_page_number_is_400(marketplace):
    assert fetch(marketplace.sites["shangcheng"] + "/search?q=x&page=-1").status == 400


# --- laodian: legacy GBK ----------------------------------------------------------------------------------------

def test_laodian_declares_gbk_only_in_meta_and_decodes(marketplace, truth):
    expected = product(truth, "laodian", "880002")
    response = fetch(expected["url"])
    assert "charset" not in response.headers["Content-Type"].lower()
    with pytest.raises(UnicodeDecodeError):
        response.body.decode("utf-8")
    html = response.body.decode("gbk")
    assert 'charset=gbk' in html
    assert expected["title"] in html
    assert "application/ld+json" not in html and "itemprop" not in html


def test_laodian_price_forms_cover_ranges_fullwidth_and_coupons(marketplace, truth):
    forms = {"range": 0, "fullwidth": 0, "coupon": 0}
    for expected in [p for p in truth["products"] if p["platform"] == "laodian"]:
        page = gbk_page(expected["url"])
        price = "".join(page.css("td b::text").getall())
        forms["range"] += bool(re.search(r"[¥￥][\d０-９.．]+[-－][\d０-９]", price))
        forms["fullwidth"] += bool(re.search(r"[０-９]", price))
        forms["coupon"] += any("券后价" in t for t in page.css("font::text").getall())
    assert all(forms.values()), forms


def test_laodian_search_accepts_gbk_and_utf8_keywords(marketplace):
    base = marketplace.sites["laodian"]
    by_gbk = gbk_page(f"{base}/list.php?kw={quote('充电宝'.encode('gbk'))}")
    by_utf8 = gbk_page(f"{base}/list.php?kw={quote('充电宝')}")
    rows_gbk = by_gbk.css("table.goodslist a::attr(href)").getall()
    assert rows_gbk and rows_gbk == by_utf8.css("table.goodslist a::attr(href)").getall()
    assert "880002" in " ".join(rows_gbk + [a for a in gbk_page(f"{base}/list.php?kw={quote('充电宝')}&p=2").css(
        "table.goodslist a::attr(href)").getall()])


def test_laodian_reviews_paginate_in_gbk(marketplace, truth):
    expected = product(truth, "laodian", "880001")
    ids, page = [], 1
    while True:
        sel = gbk_page(f"{marketplace.sites['laodian']}/comment.php?id=880001&p={page}")
        ids += sel.css("tr.rate::attr(id)").getall()
        if "下一页" not in sel.css("a::text").getall():
            break
        page += 1
    assert len(ids) == len(set(ids)) == expected["review_count"]


# --- kuaigou: JavaScript SPA ------------------------------------------------------------------------------------

def test_kuaigou_shell_has_no_data_and_api_refuses_plain_clients(marketplace, truth):
    expected = product(truth, "kuaigou", "7100000001")
    shell = fetch(expected["url"]).text()
    assert expected["title"] not in shell and "¥" not in shell
    refused = fetch(marketplace.sites["kuaigou"] + "/api/item/7100000001")
    assert refused.status == 403
    allowed = json.loads(fetch(marketplace.sites["kuaigou"] + "/api/item/7100000001", KG_HEADERS).body)
    assert allowed["data"]["price"]["min_price"] == round(expected["price"] * 100)


def test_kuaigou_renders_price_and_all_reviews_in_real_chromium(marketplace, truth):
    from playwright.sync_api import sync_playwright

    from crawlers.browser import find_chromium

    expected = product(truth, "kuaigou", "7100000001")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=find_chromium(), headless=True)
        try:
            page = browser.new_page()
            page.goto(expected["url"])
            page.wait_for_selector(".price-current")
            price_text = page.inner_text(".price-current")
            assert float(re.search(r"[\d.]+", price_text).group()) == pytest.approx(expected["price"])
            assert page.inner_text(".detail-title") == expected["title"]
            while page.locator("button.load-more").count():
                before = page.locator("li.comment").count()
                page.click("button.load-more")
                page.wait_for_function(
                    f"document.querySelectorAll('li.comment').length > {before} || !document.querySelector('button.load-more')")
            assert page.locator("li.comment").count() == expected["review_count"]
        finally:
            browser.close()


# --- faults -----------------------------------------------------------------------------------------------------

def test_429_with_retry_after_for_a_number_of_requests(fresh_marketplace):
    url = fresh_marketplace.sites["shangcheng"] + "/item/SC10001.html"
    fresh_marketplace.add_fault(kind="status", status=429, retry_after=2, times=2, platform="shangcheng",
                                path="/item/*")
    first, second, third = fetch(url), fetch(url), fetch(url)
    assert (first.status, second.status, third.status) == (429, 429, 200)
    assert first.headers["Retry-After"] == "2"
    assert fetch(fresh_marketplace.sites["shangcheng"] + "/hot").status == 200, "other routes untouched"


def test_500_and_503_until_cleared(fresh_marketplace):
    base = fresh_marketplace.sites["laodian"]
    fresh_marketplace.add_fault(kind="status", status=503, platform="laodian", path="/top.php")
    fresh_marketplace.add_fault(kind="status", status=500, platform="laodian", path="/goods.php*")
    assert fetch(base + "/top.php").status == 503
    assert fetch(base + "/goods.php?id=880001").status == 500
    fresh_marketplace.clear_faults()
    assert fetch(base + "/top.php").status == 200


def test_slow_response(fresh_marketplace):
    fresh_marketplace.add_fault(kind="slow", delay=1.5, platform="kuaigou", path="/hot")
    started = time.monotonic()
    assert fetch(fresh_marketplace.sites["kuaigou"] + "/hot").status == 200
    assert time.monotonic() - started >= 1.4


def test_truncated_and_malformed_pages(fresh_marketplace):
    url = fresh_marketplace.sites["shangcheng"] + "/item/SC10002.html"
    whole = fetch(url).body
    fresh_marketplace.add_fault(kind="truncate", keep=0.3, times=1, path="/item/SC10002.html")
    cut = fetch(url).body
    assert len(cut) == int(len(whole) * 0.3) and whole.startswith(cut)
    fresh_marketplace.add_fault(kind="malformed", times=1, path="/item/SC10002.html")
    broken = fetch(url).body.decode("utf-8")
    assert broken != whole.decode() and broken.count("</div>") < whole.decode().count("</div>")
    title = Selector(text=whole.decode()).css("h1.product-title::text").get()
    assert title in broken, "malformed markup keeps the text"


def test_malformed_gbk_page_stays_gbk(fresh_marketplace):
    fresh_marketplace.add_fault(kind="malformed", platform="laodian", path="/goods.php*")
    html = fetch(fresh_marketplace.sites["laodian"] + "/goods.php?id=880001").body.decode("gbk")
    assert html.upper().count("</TD>") <= 1 and "库" in html


def test_page_without_price_on_every_platform(fresh_marketplace):
    fresh_marketplace.add_fault(kind="noprice", path="/item/*")
    fresh_marketplace.add_fault(kind="noprice", path="/goods.php*")
    fresh_marketplace.add_fault(kind="noprice", path="/api/item/*")
    sc = fetch(fresh_marketplace.sites["shangcheng"] + "/item/SC10001.html").text()
    assert "offers" not in json_ld(sc) and 'class="price-now"' not in sc and "暂无报价" in sc
    assert not Selector(text=sc).css(".price-box").re(r"[¥￥]\s*\d")
    ld = fetch(fresh_marketplace.sites["laodian"] + "/goods.php?id=880001").body.decode("gbk")
    assert "¥" not in ld and "￥" not in ld and "登录后查看价格" in ld
    kg = json.loads(fetch(fresh_marketplace.sites["kuaigou"] + "/api/item/7100000001", KG_HEADERS).body)
    assert kg["data"]["price"] is None and kg["data"]["title"]


def test_captcha_fault_serves_a_slider_verification_page(fresh_marketplace):
    fresh_marketplace.add_fault(kind="captcha", platform="laodian", path="/goods.php*")
    page = fetch(fresh_marketplace.sites["laodian"] + "/goods.php?id=880001")
    html = page.body.decode("gbk")
    assert page.status == 200 and "gbk" in page.headers["Content-Type"]
    assert "安全验证" in html and 'id="nc_1_wrapper"' in html and "库" not in html


def test_login_fault_redirects_to_the_shops_login_form(fresh_marketplace):
    base = fresh_marketplace.sites["shangcheng"]
    fresh_marketplace.add_fault(kind="login", platform="shangcheng", path="/item/*")
    redirect = fetch(base + "/item/SC10001.html")  # urllib follows the redirect, as a crawler does
    assert redirect.status == 200 and 'type="password"' in redirect.text()
    assert 'value="/item/SC10001.html"' in redirect.text(), "the form returns the shopper to the page asked for"


def test_softban_fault_answers_a_search_as_if_it_matched_nothing(fresh_marketplace):
    base = fresh_marketplace.sites["shangcheng"]
    url = base + "/search?q=" + quote("露营椅")
    assert Selector(text=fetch(url).text()).css("li.goods-card")
    fresh_marketplace.add_fault(kind="softban", platform="shangcheng", path="/search*")
    banned = fetch(url).text()
    assert not Selector(text=banned).css("li.goods-card") and "没有找到" in banned


def test_layout_fault_renames_every_class_and_keeps_the_content(fresh_marketplace):
    url = fresh_marketplace.sites["laodian"] + "/list.php?kw=" + quote("充电宝".encode("gbk"))
    before = fetch(url).body.decode("gbk")
    fresh_marketplace.add_fault(kind="layout", platform="laodian", path="/list.php*")
    after = fetch(url).body.decode("gbk")
    assert "goodslist" in before and "goodslist" not in after
    assert re.findall(r"goods\.php\?id=\d+", after) == re.findall(r"goods\.php\?id=\d+", before)


def test_robots_disallow_fault(fresh_marketplace):
    base = fresh_marketplace.sites["shangcheng"]
    assert "Disallow: /item/SC10002" not in fetch(base + "/robots.txt").text()
    fresh_marketplace.add_fault(kind="disallow", platform="shangcheng", path="/item/SC10002*")
    assert "Disallow: /item/SC10002" in fetch(base + "/robots.txt").text()
    assert fetch(base + "/item/SC10002.html").status == 200, "robots.txt is advice; the page still answers"


def test_bad_fault_rule_is_rejected_with_reason(fresh_marketplace):
    import urllib.error
    with pytest.raises(urllib.error.HTTPError) as caught:
        fresh_marketplace.add_fault(kind="explode")
    assert caught.value.code == 400
    assert "unknown fault kind" in caught.value.read().decode()


def test_fault_probability_is_seeded_and_partial():
    book = FaultBook(seed=7)
    book.add(FaultRule(kind="status", status=500, probability=0.3))
    hits = [book.take("shangcheng", "/x") is not None for _ in range(1000)]
    again = FaultBook(seed=7)
    again.add(FaultRule(kind="status", status=500, probability=0.3))
    assert hits == [again.take("shangcheng", "/x") is not None for _ in range(1000)]
    assert 200 < sum(hits) < 400


def test_malform_keeps_text_but_breaks_markup():
    html = '<html><body><div class="a"><span>价格 ¥99</span></div></body></html>'
    broken = malform(html)
    assert "价格 ¥99" in broken and "¥99</span></div>" not in broken and "-->" in broken


# --- scenario clock and ground truth ----------------------------------------------------------------------------

def test_scenario_clock_changes_what_scans_see(fresh_marketplace):
    before = fresh_marketplace.ground_truth()
    events = [e for e in before["events"] if e["step"] <= 0]
    assert before["step"] == 0 and not [e for e in events if e["kind"] == "competitor_undercut"]
    sc_base = fresh_marketplace.sites["shangcheng"]
    own_reviews_before = product(before, "kuaigou", "7100000001")["review_count"]
    hot_before = Selector(text=fetch(sc_base + "/hot").text()).css(".hot-term::text").getall()

    assert fresh_marketplace.advance(1)["step"] == 1
    after = fresh_marketplace.ground_truth()
    undercut = next(e for e in after["events"] if e["kind"] == "competitor_undercut")
    rival = product(after, undercut["platform"], undercut["item_id"])
    rival_ld = json_ld(fetch(rival["url"]).text())
    seen_price = float(rival_ld["offers"].get("price", rival_ld["offers"].get("lowPrice")))
    own_price = product(after, "shangcheng", "SC10001")["price"]
    assert seen_price == pytest.approx(rival["price"]) and seen_price <= own_price * 0.85

    below = product(after, "laodian", "880002")
    assert below["price"] < below["cost"]
    assert f"{below['price']:,.2f}" in fetch(below["url"]).body.decode("gbk") or \
        f"{below['price']:.0f}" in fetch(below["url"]).body.decode("gbk")

    burst = json.loads(fetch(fresh_marketplace.sites["kuaigou"] + "/api/item/7100000001/reviews", KG_HEADERS).body)
    assert burst["data"]["total"] >= own_reviews_before + 8
    newest = burst["data"]["comments"][:8]
    assert sum(c["score"] <= 2 for c in newest) >= 6

    stock_out = next(e for e in after["events"] if e["kind"] == "stock_out")
    gone = product(after, stock_out["platform"], stock_out["item_id"])
    assert gone["availability"] == "OutOfStock" and "缺货" in fetch(gone["url"]).body.decode("gbk")

    edit = next(e for e in after["events"] if e["kind"] == "own_title_violation")
    retitled = product(after, edit["platform"], edit["item_id"])
    assert product(before, edit["platform"], edit["item_id"])["title"] == edit["detail"]["old_title"]
    assert retitled["title"] == edit["detail"]["title"] and edit["detail"]["match"] in retitled["title"]
    assert gbk_page(retitled["url"]).css("h3::text").get() == retitled["title"], "the shop serves the edited title"
    listed = gbk_page(f"{fresh_marketplace.sites['laodian']}/list.php?kw={quote('露营椅')}")
    assert retitled["title"] in listed.css("table.goodslist a::text").getall(), "... in search results too"

    assert Selector(text=fetch(sc_base + "/hot").text()).css(".hot-term::text").getall() != hot_before
    fresh_marketplace.set_step(0)
    assert fresh_marketplace.ground_truth()["step"] == 0


def test_ground_truth_file_follows_the_clock(tmp_path):
    from demo_market.launcher import launch
    path = tmp_path / "truth.json"
    with launch(ground_truth_file=path) as market:
        assert json.loads(path.read_text(encoding="utf-8"))["step"] == 0
        market.advance(2)
        assert json.loads(path.read_text(encoding="utf-8"))["step"] == 2


def test_ground_truth_describes_a_realistic_marketplace(truth):
    products = truth["products"]
    assert len(products) >= 300
    assert {p["platform"] for p in products} == {"shangcheng", "laodian", "kuaigou"}
    assert sum(truth["review_totals"].values()) >= 10_000
    assert len(truth["pain_points"]) >= 3
    assert any(p["violations"] for p in products) and any(p["tricky_clean"] for p in products)
    own = {(p["platform"], p["item_id"]) for p in products if p["own"]}
    assert {("shangcheng", "SC10001"), ("laodian", "880002"), ("kuaigou", "7100000001")} <= own
    assert all(p["price"] > 0 for p in products)


def test_every_product_url_in_ground_truth_answers(marketplace, truth):
    for expected in truth["products"][::15]:
        response = fetch(expected["url"])
        assert response.status == 200, expected["url"]
