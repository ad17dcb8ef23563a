"""The crawlers end to end: real Scrapy (and real Chromium for kuaigou) against the live demo marketplace, into a
real SQLite file, checked against the marketplace's ground truth."""

from __future__ import annotations

import json
import os
import signal
import time
from decimal import Decimal
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import pytest
from scrapy.exceptions import DropItem

from config import load_config
from conftest import fast_config
from local_site import LocalSite, serve
from crawlers.items import ProductItem, Review, ReviewsPageItem
from crawlers.middlewares import CONFIG_KEY
from crawlers.pipelines import BATCH_ITEMS, StorePipeline
from crawlers.run import CrawlError, CrawlPlan, run_crawl
from demo_market.launcher import launch
from demo_market.world import build_world
from store import open_store

pytestmark = pytest.mark.integration

PLATFORMS = ["shangcheng", "laodian", "kuaigou"]


def by_key(truth: dict) -> dict[tuple[str, str], dict]:
    return {(p["platform"], p["item_id"]): p for p in truth["products"]}


@pytest.fixture(scope="module")
def market():
    with launch() as running:
        yield running


@pytest.fixture(scope="module")
def full_crawl(market, tmp_path_factory):
    """One crawl of everything for the camping-chair keyword on all three platforms, reviews included."""
    directory = tmp_path_factory.mktemp("crawl")
    config = fast_config(directory)
    plan = CrawlPlan(platforms=PLATFORMS, hot_terms=True, keywords=[("露营椅", PLATFORMS, 10)], reviews=True)
    started = time.monotonic()
    result = run_crawl(config, plan, demo_urls=market.sites)
    return {"config": config, "db": directory / "var" / "shopsentinel.db", "result": result,
            "truth": market.ground_truth(), "seconds": time.monotonic() - started}


def test_runs_are_recorded_with_stats(full_crawl):
    runs = full_crawl["result"].runs
    assert [run.kind for run in runs] == ["hot_terms", "search"]
    assert all(run.status == "ok" for run in runs)
    search = runs[1].stats
    assert search["items"]["products"] == 30 and search["items"]["prices"] == 30
    assert not any(p["failed"] for p in search["platforms"].values())
    assert all(search["platforms"][key]["pages"] > 0 for key in PLATFORMS)


def test_browser_pages_are_counted_and_every_one_is_closed(full_crawl):
    hot, search = full_crawl["result"].runs
    kuaigou_pages = search.stats["platforms"]["kuaigou"]["pages"]
    browser = search.stats["browser"]
    assert browser["pages_opened"] == browser["pages_closed"] == kuaigou_pages
    assert browser["contexts"] == 1 and 1 <= browser["max_open_pages"] <= 4  # the shipped browser_page_cap
    assert hot.stats["browser"]["pages_opened"] == hot.stats["browser"]["pages_closed"] == 1


def test_hot_terms_of_every_platform_match_ground_truth(full_crawl):
    truth = full_crawl["truth"]["hot_terms"]
    with open_store(full_crawl["db"]) as store:
        for key in PLATFORMS:
            stored = store.hot_term_snapshots(key)
            assert [(t.rank, t.term, t.heat, t.rising) for t in stored] == \
                [(t["rank"], t["term"], t["heat"], t["rising"]) for t in truth[key]]


def test_search_ranking_is_the_shops_top_ten(full_crawl):
    world = build_world()
    with open_store(full_crawl["db"]) as store:
        for key in PLATFORMS:
            expected = [p.item_id for p in world.search(key, "露营椅", 0)[:10]]
            got = [store.get_product(hit.product_id).item_id for hit in store.search_results(key, "露营椅")]
            assert got == expected, key


def test_titles_descriptions_prices_stock_counts_and_categories_match_ground_truth_on_every_platform(full_crawl):
    truth = by_key(full_crawl["truth"])
    checked = 0
    with open_store(full_crawl["db"]) as store:
        products = store.products()
        latest = store.latest_prices([p.id for p in products])
        for product in products:
            expected = truth[(product.platform, product.item_id)]
            seen = latest[product.id]
            assert product.title == expected["title"], product.url
            assert product.description == expected["description"], product.url
            assert float(seen.price) == pytest.approx(expected["price"]), product.url
            if expected["price_max"] > expected["price"]:
                assert float(seen.price_max) == pytest.approx(expected["price_max"]), product.url
            if expected["promo_price"] is not None:
                assert float(seen.promo_price) == pytest.approx(expected["promo_price"]), product.url
            assert seen.availability == expected["availability"], product.url
            assert seen.review_count == expected["review_count"], product.url
            assert seen.currency == "CNY"
            assert product.own == expected["own"]
            assert product.category == expected["marketplace_category"], product.url   # breadcrumbs, all three ways
            checked += 1
    assert checked == 30


def test_every_review_of_every_listing_is_stored(full_crawl):
    truth = by_key(full_crawl["truth"])
    with open_store(full_crawl["db"]) as store:
        for product in store.products():
            reviews = store.reviews_for(product.id)
            assert len(reviews) == truth[(product.platform, product.item_id)]["review_count"], product.url
            assert all(r.review_id and r.text and 1 <= r.rating <= 5 and r.posted_at for r in reviews)


def test_follow_up_reviews_are_stored_on_every_platform(full_crawl):
    world = build_world()
    stored_appends = {}
    with open_store(full_crawl["db"]) as store:
        for product in store.products():
            shown = {r.review_id: r.append for r in world.reviews(world.product(product.platform, product.item_id), 0)}
            for review in store.reviews_for(product.id):
                expected = shown[review.review_id]
                assert review.append == (None if expected is None else " ".join(expected.split())), review.review_id
                stored_appends[product.platform] = stored_appends.get(product.platform, 0) + bool(review.append)
    assert set(stored_appends) == set(PLATFORMS) and all(stored_appends.values()), stored_appends


def test_gbk_text_arrives_intact(full_crawl):
    world = build_world()
    with open_store(full_crawl["db"]) as store:
        laodian = store.products(platform="laodian")
        sample = store.reviews_for(laodian[0].id)
        originals = {r.review_id: r.text for r in world.reviews(world.product("laodian", laodian[0].item_id), 0)}
    for review in sample:
        # emoji outside GBK travel as numeric references and come back as the same characters
        assert review.text == " ".join(originals[review.review_id].split())


def test_incremental_review_crawl_stops_at_stored_reviews(full_crawl, market):
    market.advance(1)
    try:
        truth = by_key(market.ground_truth())
        with open_store(full_crawl["db"]) as store:
            products = [p for p in store.products() if p.platform != "kuaigou"]
            before = {p.id: len(store.reviews_for(p.id)) for p in products}
        plan = CrawlPlan(platforms=PLATFORMS, review_products=[(p.platform, p.url, p.item_id) for p in products])
        result = run_crawl(full_crawl["config"], plan, demo_urls=market.sites)
        run = result.runs[0]
        with open_store(full_crawl["db"]) as store:
            for product in products:
                assert len(store.reviews_for(product.id)) == truth[(product.platform, product.item_id)]["review_count"]
        new = sum(truth[(p.platform, p.item_id)]["review_count"] - before[p.id] for p in products)
        assert run.stats["items"].get("new_reviews", 0) == new
        # page 1 of each product already reaches a stored review, instead of re-reading every page
        pages_read = sum(platform["pages"] for platform in run.stats["platforms"].values())
        assert len(products) <= pages_read <= len(products) + 2
    finally:
        market.set_step(0)


def test_a_crawl_stopped_by_a_signal_starts_no_further_spider(market, tmp_path):
    """A stop (the daemon's SIGTERM becomes SIGINT for the crawl) ends the spider at work; the plan's next spider
    must not open a run that the stopping process would leave 'running' for ever."""
    config = fast_config(tmp_path, download_delay_s=0.5, concurrency_per_domain=1)
    product = next(p for p in market.ground_truth()["products"] if p["platform"] == "shangcheng")
    plan = CrawlPlan(platforms=["shangcheng"], keywords=[("露营椅", ["shangcheng"], 3)],
                     review_products=[("shangcheng", product["url"], product["item_id"])])

    def stop_at_the_first_page(event: dict) -> None:
        if event.get("event") == "page":
            raise KeyboardInterrupt  # what a stop signal raises in the daemon; run_crawl passes it on as SIGINT

    with pytest.raises(KeyboardInterrupt):
        run_crawl(config, plan, demo_urls=market.sites, on_event=stop_at_the_first_page)
    with open_store(tmp_path / "var" / "shopsentinel.db") as store:
        runs = store.runs()
    assert [run.kind for run in runs] == ["search"], "the reviews spider after it never started"
    assert runs[0].status == "interrupted" and runs[0].stats["finish_reason"] == "shutdown"


def test_a_crawl_process_that_dies_has_its_open_run_closed_at_once(market, tmp_path):
    """Whatever ends the crawl process before it closes its run (here SIGKILL; in the daemon, a stop signal while
    Scrapy starts), run_crawl marks the run interrupted before it reports the failure."""
    config = fast_config(tmp_path, download_delay_s=0.5, concurrency_per_domain=1)
    db = tmp_path / "var" / "shopsentinel.db"
    plan = CrawlPlan(platforms=["shangcheng"], keywords=[("露营椅", ["shangcheng"], 3)])

    def kill_the_crawl(event: dict) -> None:
        if event.get("event") == "page":
            with open_store(db) as store:
                [running] = store.runs(status="running")
            os.kill(running.pid, signal.SIGKILL)

    with pytest.raises(CrawlError, match="-9"):
        run_crawl(config, plan, demo_urls=market.sites, on_event=kill_the_crawl)
    with open_store(db) as store:
        [run] = store.runs()
    assert run.status == "interrupted"


def test_load_more_reviews_stop_at_stored_reviews(full_crawl, market):
    """kuaigou shows ten reviews on the product page and more behind a "load more" button: a later crawl stops
    clicking as soon as the page shows a stored review, and still stores every new one."""
    market.advance(1)
    try:
        truth = by_key(market.ground_truth())
        with open_store(full_crawl["db"]) as store:
            products = store.products(platform="kuaigou")
            before = {p.id: len(store.reviews_for(p.id)) for p in products}
        plan = CrawlPlan(platforms=["kuaigou"], review_products=[(p.platform, p.url, p.item_id) for p in products])
        run = run_crawl(full_crawl["config"], plan, demo_urls=market.sites).runs[0]
        expected = {p.id: truth[(p.platform, p.item_id)]["review_count"] for p in products}
        with open_store(full_crawl["db"]) as store:
            assert {p.id: len(store.reviews_for(p.id)) for p in products} == expected
        new = sum(expected[p.id] - before[p.id] for p in products)
        assert new > 0 and run.stats["items"]["new_reviews"] == new
        # each page loaded at most one batch of ten beyond its new reviews, not every review again
        assert run.stats["items"]["reviews"] <= new + 10 * len(products) < sum(expected.values())
    finally:
        market.set_step(0)


# --- faults ------------------------------------------------------------------------------------------------------

@pytest.fixture
def fresh(tmp_path):
    with launch() as running:
        yield running, fast_config(tmp_path), tmp_path / "var" / "shopsentinel.db"


def crawl_products(config, market, urls: list[tuple[str, str]]):
    plan = CrawlPlan(platforms=sorted({key for key, _ in urls}), products=urls)
    return run_crawl(config, plan, demo_urls=market.sites).runs[0]


def test_429_with_retry_after_is_honoured(fresh):
    market, config, db = fresh
    market.add_fault(kind="status", status=429, retry_after=2, times=2, platform="shangcheng", path="/item/*")
    started = time.monotonic()
    run = crawl_products(config, market, [("shangcheng", market.sites["shangcheng"] + "/item/SC10001.html")])
    assert time.monotonic() - started >= 4, "two Retry-After: 2 answers mean at least four seconds of waiting"
    assert run.stats["retry_after_honoured"] == 2 and run.stats["items"]["prices"] == 1


def test_500_is_retried(fresh):
    market, config, db = fresh
    market.add_fault(kind="status", status=500, times=1, platform="laodian", path="/goods.php*")
    run = crawl_products(config, market, [("laodian", market.sites["laodian"] + "/goods.php?id=880001")])
    assert run.stats["retries"] == 1 and run.stats["items"]["prices"] == 1


def test_malformed_page_still_yields_its_price(fresh):
    market, config, db = fresh
    market.add_fault(kind="malformed", platform="laodian", path="/goods.php*")
    run = crawl_products(config, market, [("laodian", market.sites["laodian"] + "/goods.php?id=880002")])
    truth = by_key(market.ground_truth())[("laodian", "880002")]
    with open_store(db) as store:
        [product] = store.products()
        assert float(store.latest_prices()[product.id].price) == pytest.approx(truth["price"])
    assert run.stats["items"]["prices"] == 1


def test_page_without_price_is_incomplete_never_zero(fresh):
    market, config, db = fresh
    market.add_fault(kind="noprice", platform="shangcheng", path="/item/*")
    run = crawl_products(config, market, [("shangcheng", market.sites["shangcheng"] + "/item/SC10002.html")])
    assert run.stats["items"]["incomplete"] == 1 and "prices" not in run.stats["items"]
    assert run.stats["platforms"]["shangcheng"]["incomplete"] == 1
    with open_store(db) as store:
        assert len(store.products()) == 1 and store.latest_prices() == {}


def test_blocked_pages_slow_their_platform_down_then_stop_it(fresh):
    market, _, db = fresh
    config = fast_config(db.parent.parent, retry_backoff_s=0.5, concurrent_requests=1)  # one request at a time
    market.add_fault(kind="captcha", platform="shangcheng", path="/item/*")
    base = market.sites["shangcheng"]
    urls = [("shangcheng", f"{base}/item/SC1000{n}.html") for n in range(1, 6)]
    started = time.monotonic()
    run = crawl_products(config, market, urls + [("laodian", market.sites["laodian"] + "/goods.php?id=880001")])
    shangcheng = run.stats["platforms"]["shangcheng"]
    blocked = shangcheng["states"]["product"]["blocked"]
    # The request after the third may already be on its way while the spider reads the third page.
    assert set(shangcheng["states"]["product"]) == {"blocked"} and blocked in (3, 4)
    assert shangcheng["stopped"] == 5 - blocked, "the rest is not requested"
    assert time.monotonic() - started >= 0.5 + 1.0, "waited the backoff after the first and second blocked page"
    assert run.stats["platforms"]["laodian"]["states"] == {"product": {"ok": 1}}, "other platforms go on"
    with open_store(db) as store:
        assert [p.platform for p in store.products()] == ["laodian"], "nothing stored from a captcha page"


def test_a_delisted_product_is_not_found_not_an_error(fresh):
    market, config, db = fresh
    run = crawl_products(config, market, [("shangcheng", market.sites["shangcheng"] + "/item/SC99999.html")])
    shangcheng = run.stats["platforms"]["shangcheng"]
    assert shangcheng["states"] == {"product": {"not_found": 1}} and shangcheng["errors"] == {}
    assert run.errors == []


def test_robots_disallow_is_obeyed(fresh):
    market, config, db = fresh
    market.add_fault(kind="disallow", platform="shangcheng", path="/item/SC10002*")
    base = market.sites["shangcheng"]
    run = crawl_products(config, market, [("shangcheng", base + "/item/SC10002.html"),
                                          ("shangcheng", base + "/item/SC10001.html")])
    assert run.stats["robots_forbidden"] == 1 and run.stats["items"]["prices"] == 1
    with open_store(db) as store:
        assert [p.item_id for p in store.products()] == ["SC10001"]


def test_a_platform_failing_wholesale_is_reported(fresh):
    market, config, db = fresh
    market.add_fault(kind="status", status=503, platform="laodian")
    run = crawl_products(config, market, [("laodian", market.sites["laodian"] + "/goods.php?id=880001"),
                                          ("shangcheng", market.sites["shangcheng"] + "/item/SC10001.html")])
    assert run.stats["platforms"]["laodian"]["failed"] is True
    assert run.stats["platforms"]["shangcheng"]["failed"] is False
    assert run.status == "ok"  # one platform down is reported, not a failed run
    assert any(error["platform"] == "laodian" for error in run.errors)


def test_a_page_slower_than_the_timeout_is_retried_then_reported(fresh):
    market, _, db = fresh
    config = fast_config(db.parent.parent, timeout_s=1.0, retries=1)
    market.add_fault(kind="slow", delay=3, platform="shangcheng", path="/item/SC10002.html")
    base = market.sites["shangcheng"]
    run = crawl_products(config, market, [("shangcheng", base + "/item/SC10002.html"),
                                          ("shangcheng", base + "/item/SC10001.html")])
    assert run.stats["retries"] == 1 and run.stats["items"]["prices"] == 1
    assert run.stats["platforms"]["shangcheng"]["errors"] == {"DownloadTimeoutError": 1}


# --- the store pipeline's batches ----------------------------------------------------------------------------------

class UnscheduledPipeline(StorePipeline):
    """The store pipeline outside a crawl (no reactor): batches commit when full and at the end only."""

    def schedule_commit(self) -> None:
        return None


@pytest.fixture
def pipeline(tmp_path):
    config = load_config(fast_config(tmp_path))
    crawler = SimpleNamespace(settings={CONFIG_KEY: config}, stats=SimpleNamespace(get_stats=dict),
                              spider=SimpleNamespace(name="products", platforms=["shangcheng"]))
    running = UnscheduledPipeline(crawler)
    running.open_spider()
    return running, tmp_path / "var" / "shopsentinel.db"


def product(number: int) -> ProductItem:
    return ProductItem(platform="shangcheng", url=f"http://127.0.0.1:8701/item/T{number}.html", item_id=f"T{number}",
                       title=f"椅子 {number}", price=Decimal("89"))


def test_items_are_committed_in_batches(pipeline):
    running, db = pipeline
    for number in range(BATCH_ITEMS + 1):
        running.process_item(product(number))
    with open_store(db) as reader:  # another connection sees committed batches only
        assert len(reader.products()) == BATCH_ITEMS
    running.close_spider()
    with open_store(db) as reader:
        assert len(reader.products()) == BATCH_ITEMS + 1


def test_a_refused_item_is_rolled_back_alone(pipeline):
    running, db = pipeline
    url = "http://127.0.0.1:8701/item/T2.html"
    running.process_item(product(1))
    refused = ReviewsPageItem(platform="shangcheng", product_url=url, url=url,
                              reviews=(Review(text="好", review_id="r1", rating=-1.0),))
    with pytest.raises(DropItem, match="rating"):
        running.process_item(refused)
    running.process_item(ReviewsPageItem(platform="shangcheng", product_url=url, url=url,
                                         reviews=(Review(text="好用", review_id="r2", rating=5.0),)))
    running.close_spider()
    running.spider_closed("finished")  # Scrapy's order: pipelines close, then spider_closed with the reason
    with open_store(db) as reader:
        stored = {p.url: p for p in reader.products()}
        assert sorted(stored) == [product(1).url, url]
        assert [r.review_id for r in reader.reviews_for(stored[url].id)] == ["r2"]
        assert reader.get_run(running.run_id).stats["items"]["dropped"] == 1


@pytest.mark.integration
def test_a_store_fault_in_the_crawl_process_reaches_the_parent_as_the_stores_error(tmp_path):
    """The crawl process opens the store itself: a corrupt one must come back as the store's error (which the
    command line reports in one line, exit 4), not as a CrawlError carrying the child's traceback."""
    import subprocess
    import sys

    from crawlers.run import ROOT, STORE_ERROR
    from store import NotADatabaseError, StoreError

    config = fast_config(tmp_path)
    database = load_config(config).store.path
    database.parent.mkdir(parents=True)
    database.write_bytes(b"not a database " * 1000)
    plan = CrawlPlan(platforms=["laodian"], hot_terms=True)
    child = subprocess.run([sys.executable, "-m", "crawlers.run", "--config", str(config), "--plan", plan.to_json()],
                           cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert child.returncode == 1 and "Traceback" not in child.stderr, child.stderr
    assert [json.loads(line) for line in child.stdout.splitlines()] == [
        {"event": STORE_ERROR, "busy": False, "message": str(NotADatabaseError(database))}]
    with pytest.raises(StoreError, match="not a SQLite database"):
        run_crawl(config, plan)


# --- lists numbered in the URL (no next link): Taobao-style search offsets, JD-style review feed pages -------------

class NumberedShop(LocalSite):
    """Search pages of PAGE_SIZE listings addressed by offset (s=0, 3, ...) with the page count in g_page_config,
    and a JSONP review feed counting its pages from 0: item A's feed has no page count and ends with an empty page,
    item B's says maxPage = 2 though more pages would answer."""

    PAGE_SIZE = 3

    def page(self, path: str) -> str | None:
        query = parse_qs(urlsplit(path).query)
        if path.startswith("/search"):
            offset = int(query["s"][0])
            auctions = [{"nid": str(n), "raw_title": f"露营椅 {n}", "detail_url": f"/item/{n}.html",
                         "view_price": "99.00"} for n in range(offset, offset + self.PAGE_SIZE)]
            config = {"mods": {"itemlist": {"data": {"auctions": auctions}}, "pager": {"data": {"totalPage": 3}}}}
            return f"<html><script>g_page_config = {json.dumps(config)};</script></html>"
        if path.startswith("/feed"):
            item, page = query["id"][0], int(query["page"][0])
            comments = [{"id": f"{item}{page}{k}", "content": f"第{page}页第{k}条，很好用", "score": 5}
                        for k in range(2)] if page < 3 else []
            feed = {"comments": comments, **({"maxPage": 2} if item == "B" else {})}
            return f"fetchJSON_comment98({json.dumps(feed, ensure_ascii=False)});"
        return None


@pytest.fixture
def numbered_shop(tmp_path):
    with serve(NumberedShop) as base:
        yield _numbered_shop_config(tmp_path, base)


def _numbered_shop_config(tmp_path, base):
    config = fast_config(tmp_path)
    config.write_text(config.read_text(encoding="utf-8") + f"""
[platforms.shop]
name = "本地店"
base_url = "{base}"
local = true
search_url = "/search?q={{keyword}}&s={{offset}}"
page_size = {NumberedShop.PAGE_SIZE}
reviews_url = "/feed?id={{item_id}}&page={{page0}}"

[platforms.shop.profile.search]
script_var = "g_page_config"
items = {{ json = "mods.itemlist.data.auctions" }}
item_id = {{ json = "nid" }}
url = {{ json = "detail_url" }}
title = {{ json = "raw_title" }}
pages = {{ json = "mods.pager.data.totalPage" }}

[platforms.shop.profile.reviews]
items = {{ json = "comments" }}
review_id = {{ json = "id" }}
text = {{ json = "content" }}
rating = {{ json = "score" }}
pages = {{ json = "maxPage" }}
""", encoding="utf-8")
    return SimpleNamespace(config=config, base=base)


def test_search_pages_numbered_by_offset_are_read_up_to_the_page_count(numbered_shop, tmp_path):
    plan = CrawlPlan(platforms=["shop"], keywords=[("露营椅", ["shop"], 20)])
    [run] = run_crawl(numbered_shop.config, plan).runs
    searched = [path for path in NumberedShop.seen if path.startswith("/search")]
    assert [parse_qs(urlsplit(path).query)["s"] for path in searched] == [["0"], ["3"], ["6"]], "totalPage = 3"
    with open_store(tmp_path / "var" / "shopsentinel.db") as store:
        assert [store.get_product(hit.product_id).item_id for hit in store.search_results("shop", "露营椅")] == [
            str(n) for n in range(9)]
    assert run.stats["platforms"]["shop"]["states"]["search"] == {"ok": 3}


def test_review_feed_pages_are_read_until_an_empty_page_or_the_page_count(numbered_shop, tmp_path):
    plan = CrawlPlan(platforms=["shop"], review_products=[("shop", f"{numbered_shop.base}/item/A.html", "A"),
                                                          ("shop", f"{numbered_shop.base}/item/B.html", "B")])
    [run] = run_crawl(numbered_shop.config, plan).runs
    pages = {item: sorted(int(parse_qs(urlsplit(p).query)["page"][0]) for p in NumberedShop.seen
                          if p.startswith(f"/feed?id={item}")) for item in "AB"}
    assert pages == {"A": [0, 1, 2, 3], "B": [0, 1]}
    with open_store(tmp_path / "var" / "shopsentinel.db") as store:
        stored = sorted(len(store.reviews_for(product.id)) for product in store.products())
    assert stored == [4, 6]
    assert run.stats["platforms"]["shop"]["states"]["reviews"] == {"ok": 6}, "the empty last page ends the list"
