"""The URL policy: which URLs a crawl may request (crawlers/url_policy.py), and a real crawl of a shop whose
listings and redirects point at local files, private addresses and other hosts (UrlPolicyMiddleware, the spider
base)."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest
from scrapy.settings import Settings
from scrapy.statscollectors import MemoryStatsCollector

from config import config_from_dict
from conftest import fast_config
from local_site import LocalSite, serve
from crawlers.browser import AbortResources
from crawlers.run import CrawlPlan, run_crawl
from crawlers.url_policy import UrlGuard, UrlPolicy, domain_of, is_private_host, literal_address
from store import open_store


def policy_of(**platforms: dict) -> UrlPolicy:
    return UrlPolicy(config_from_dict({"platforms": platforms}, base_dir="."))


@pytest.mark.parametrize("host", [
    "127.0.0.1", "127.8.9.10", "10.0.0.1", "172.16.0.1", "172.31.255.255", "192.168.1.1", "169.254.169.254",
    "::1", "fc00::1", "fd12:3456::1", "fe80::1", "0.0.0.0", "::ffff:127.0.0.1", "localhost", "shop.localhost",
    "127.1", "0x7f.0.0.1", "2130706433", "017700000001",  # forms getaddrinfo turns into 127.0.0.1 without DNS
])
def test_local_and_private_addresses_in_any_spelling(host):
    assert is_private_host(host)


@pytest.mark.parametrize("host", ["8.8.8.8", "2001:4860:4860::8888", "item.jd.com", "172.32.0.1", "192.169.0.1",
                                  "localhost.example.com", "10.example.com"])
def test_public_hosts(host):
    assert not is_private_host(host)


def test_registrable_domains():
    assert domain_of("item.jd.com") == "jd.com"
    assert domain_of("www.taobao.com.cn") == "taobao.com.cn"
    assert domain_of("shop.github.io") == "shop.github.io"  # a private suffix: other github.io sites are others'
    assert domain_of("127.0.0.1") == "127.0.0.1" and literal_address("127.0.0.1") is not None


def test_only_http_and_https():
    policy = policy_of(shop={"name": "店", "base_url": "https://www.jd.com"})
    for url in ("file:///etc/hostname", "ftp://www.jd.com/x", "data:text/html,<p>1</p>", "javascript:alert(1)",
                "gopher://www.jd.com/", "/relative/path"):
        assert policy.refusal("shop", url).reason == "scheme", url
    assert policy.refusal("shop", "https://www.jd.com/item/1.html") is None
    assert policy.refusal("shop", "HTTP://www.jd.com/item/1.html") is None


def test_a_platform_stays_on_its_domains_and_their_subdomains():
    policy = policy_of(jd={"name": "京东", "base_url": "https://www.jd.com", "allowed_domains": ["jd.hk"],
                           "reviews_url": "https://sclub.jdcdn.com/comments?id={item_id}&page={page}"})
    for url in ("https://item.jd.com/1.html", "https://club.jd.com/c", "https://jd.com/", "https://www.jd.hk/1",
                "https://sclub.jdcdn.com/comments?id=1"):
        assert policy.refusal("jd", url) is None, url
    for url in ("https://evil.example/1.html", "https://notjd.com/", "https://jd.com.evil.example/",
                "https://taobao.com/"):
        refusal = policy.refusal("jd", url)
        assert refusal is not None and refusal.reason == "offsite", url


def test_private_addresses_only_for_local_platforms():
    policy = policy_of(real={"name": "真", "base_url": "https://www.jd.com", "allowed_domains": ["10.1.2.3"]},
                       demo={"name": "演示", "base_url": "http://127.0.0.1:8701", "local": True})
    for url in ("http://169.254.169.254/latest/meta-data/", "http://10.1.2.3/", "http://[::1]:8080/",
                "http://localhost/", "http://127.1/"):
        assert policy.refusal("real", url).reason == "private", url
    assert "platforms.real.local" in policy.refusal("real", "http://10.1.2.3/").detail
    assert policy.refusal("demo", "http://127.0.0.1:8701/item/1.html") is None
    assert policy.refusal("demo", "http://127.0.0.1:9999/other-port") is None  # ports are not domains
    assert policy.refusal("demo", "http://10.0.0.1/item/1.html").reason == "offsite"  # local, but not its host
    assert policy.refusal("demo", "file:///etc/hostname").reason == "scheme"


def test_a_url_of_no_platform_stays_on_its_host_and_is_never_local():
    policy = policy_of(demo={"name": "演示", "base_url": "http://127.0.0.1:8701", "local": True})
    assert policy.refusal("web", "https://shop.example.com/p/1") is None
    assert policy.refusal("web", "http://127.0.0.1:8701/item/1.html").reason == "private"
    assert policy.refusal("web", "https://cdn.other.example/p/1", own_host="shop.example.com").reason == "offsite"
    # A request of no platform (robots.txt) may go to any public host, and to a local platform's.
    assert policy.refusal(None, "https://anywhere.example/robots.txt") is None
    assert policy.refusal(None, "http://127.0.0.1:8701/robots.txt") is None
    assert policy.refusal(None, "http://10.0.0.1/robots.txt").reason == "private"


def test_a_host_name_under_one_platforms_domains_is_claimed_by_it_and_an_address_by_none():
    policy = policy_of(jd={"name": "京东", "base_url": "https://www.jd.com"},
                       tmall={"name": "天猫", "base_url": "https://www.tmall.com", "allowed_domains": ["jd.com"]},
                       pdd={"name": "拼多多", "base_url": "https://mobile.yangkeduo.com"},
                       demo={"name": "演示", "base_url": "http://127.0.0.1:8701", "local": True})
    assert policy.claimant("https://mobile.yangkeduo.com/goods.html?id=1") == "pdd"
    assert policy.claimant("https://item.jd.com/1.html") is None, "two platforms hold jd.com: neither claims it"
    assert policy.claimant("https://shop.example.com/p/1") is None
    assert policy.claimant("http://127.0.0.1:9999/p/1") is None


def test_configured_product_urls_on_other_hosts_belong_to_their_platform():
    config = config_from_dict({"platforms": {"shop": {"name": "店", "base_url": "https://www.shop-example.com"}},
                               "competitors": [{"platform": "shop", "url": "https://m.other-cdn.example/p/1"}]},
                              base_dir=".")
    assert UrlPolicy(config).refusal("shop", "https://m.other-cdn.example/p/2") is None


def test_refusals_are_counted_per_platform_and_reason_and_logged_once_per_host(caplog):
    stats = MemoryStatsCollector(SimpleNamespace(settings=Settings()))
    guard = UrlGuard(policy_of(shop={"name": "店", "base_url": "https://www.shop-example.com"}),
                     SimpleNamespace(stats=stats))
    for url in ("file:///etc/hostname", "file:///etc/passwd", "http://10.0.0.1/a", "http://10.0.0.1/b",
                "https://elsewhere.example/"):
        assert guard.check("shop", url) is not None
    assert guard.check("shop", "https://item.shop-example.com/1") is None
    assert stats.get_stats() == {"shopsentinel/refused/shop/scheme": 2, "shopsentinel/refused/shop/private": 2,
                                 "shopsentinel/refused/shop/offsite": 1}
    assert len([r for r in caplog.records if "refused" in r.getMessage()]) == 3  # file, 10.0.0.1, elsewhere


def test_browser_pages_load_nothing_local_or_of_another_scheme_unless_a_local_platform_is_there():
    policy = policy_of(real={"name": "真", "base_url": "https://www.shop-example.com"},
                       demo={"name": "演示", "base_url": "http://127.0.0.1:8703", "local": True})
    abort = AbortResources(["image"], policy)

    def request(url: str, kind: str = "xhr"):
        return SimpleNamespace(url=url, resource_type=kind)

    assert abort(request("https://cdn.example/a.png", "image"))
    assert abort(request("file:///etc/hostname")) and abort(request("http://169.254.169.254/latest/meta-data/"))
    assert abort(request("http://192.168.1.1/admin", "document"))
    assert not abort(request("https://cdn.example/app.js", "script"))  # pages load other public hosts' scripts
    assert not abort(request("http://127.0.0.1:8703/api/items"))        # the local demo's own API
    assert not abort(request("data:image/svg+xml,<svg/>", "fetch")) and not abort(request("blob:https://x/1"))


# --- a real crawl ------------------------------------------------------------------------------------------------

SECRET = "SECRET-CONTENT-7f3a"
PRODUCT = """<html><head><title>{title}</title><script type="application/ld+json">
{{"@context": "https://schema.org", "@type": "Product", "name": "{title}",
  "offers": {{"@type": "Offer", "price": "{price}", "priceCurrency": "CNY"}}}}</script></head>
<body><h1>{title}</h1></body></html>"""


class Shop(LocalSite):
    """A shop whose search listing links to local files, private addresses and redirects to them."""

    listings: list[str] = []

    def redirect(self, path: str) -> str | None:
        return {"/to-file": "file:///etc/hostname", "/to-metadata": "http://169.254.169.254/latest/meta-data/",
                "/to-offsite": "http://offsite.invalid/item/1.html",
                "/to-localhost": f"http://localhost:{self.server.server_port}/item/good.html"}.get(path)

    def page(self, path: str) -> str | None:
        if path.startswith("/search"):
            items = "".join(f'<li class="goods"><a href="{url}">listing {n}</a></li>'
                            for n, url in enumerate(Shop.listings))
            return f"<html><body><ul>{items}</ul></body></html>"
        return PRODUCT.format(title="正品露营椅", price="99.00") if path == "/item/good.html" else None


@pytest.fixture
def shop(tmp_path):
    with serve(Shop) as base:
        yield base


def shop_config(tmp_path: Path, base: str, *, local: bool) -> Path:
    config = fast_config(tmp_path, timeout_s=3.0, retries=0)
    config.write_text(config.read_text(encoding="utf-8") + f"""
[platforms.shop]
name = "本地店"
base_url = "{base}"
local = {str(local).lower()}
search_url = "/search?q={{keyword}}&page={{page}}"

[platforms.shop.profile.search]
items = {{ css = "li.goods" }}
url = {{ css = "a::attr(href)" }}
title = {{ css = "a::text" }}
""", encoding="utf-8")
    return config


@pytest.mark.integration
def test_a_listing_never_makes_the_crawler_read_local_files_or_private_hosts(shop, tmp_path):
    secret = tmp_path / "secret.html"
    secret.write_text(PRODUCT.format(title=SECRET, price="1.00"), encoding="utf-8")
    Shop.listings = ["file:///etc/hostname", secret.as_uri(), "http://10.0.0.1/item/1.html",
                     "http://169.254.169.254/latest/meta-data/", "/item/good.html", "/to-file", "/to-metadata",
                     "/to-offsite", "/to-localhost"]
    config = shop_config(tmp_path, shop, local=True)
    [run] = run_crawl(config, CrawlPlan(platforms=["shop"], keywords=[("露营椅", ["shop"], 20)])).runs
    with open_store(tmp_path / "var" / "shopsentinel.db") as store:
        products = store.products()
        rows = json.dumps([(p.url, p.title) for p in products], ensure_ascii=False)
        assert SECRET not in rows and "file:" not in rows and "10.0.0.1" not in rows and "169.254" not in rows
        assert [p.title for p in products if p.url.endswith("/item/good.html")] == ["正品露营椅"]
        assert [float(p.price) for p in store.latest_prices().values()] == [99.0]
    # The two files, 10.0.0.1 and 169.254.169.254 (local platform, other hosts) at the listing; each redirect's
    # target when the redirect comes back.
    assert run.stats["platforms"]["shop"]["refused"] == {"scheme": 3, "offsite": 5}
    assert run.stats["refused"] == {"scheme": 3, "offsite": 5}
    assert run.stats["platforms"]["shop"]["errors"] == {}
    assert run.status == "ok"
    # The profile has no `next` link, so page 2 is asked for; this shop serves page 1 again, whose listings are
    # not new: the search ends there, and its refusals are not counted twice.
    assert sorted(set(Shop.seen)) == ["/item/good.html", "/robots.txt", "/search?q=%E9%9C%B2%E8%90%A5%E6%A4%85&page=1",
                                      "/search?q=%E9%9C%B2%E8%90%A5%E6%A4%85&page=2",
                                      "/to-file", "/to-localhost", "/to-metadata", "/to-offsite"]


@pytest.mark.integration
def test_a_platform_not_marked_local_is_not_crawled_on_a_private_address(shop, tmp_path):
    Shop.listings = ["/item/good.html"]
    config = shop_config(tmp_path, shop, local=False)
    [run] = run_crawl(config, CrawlPlan(platforms=["shop"], keywords=[("露营椅", ["shop"], 20)])).runs
    assert run.stats["platforms"]["shop"]["refused"] == {"private": 1} and run.stats["platforms"]["shop"]["failed"]
    assert Shop.seen == []  # not even robots.txt


@pytest.mark.integration
def test_a_browser_page_that_redirects_off_its_platform_is_not_read(shop, tmp_path):
    """Chromium follows redirects itself, past Scrapy's middlewares: the page it ends on is refused before it
    is read, and the browser page is still closed."""
    config = shop_config(tmp_path, shop, local=True)
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace('name = "本地店"\n', 'name = "本地店"\nrender = "browser"\n'), encoding="utf-8")
    urls = [("shop", shop + "/to-localhost"), ("shop", shop + "/item/good.html")]
    plan = CrawlPlan(platforms=["shop"], products=urls)
    [run] = run_crawl(config, plan).runs
    assert run.stats["platforms"]["shop"]["refused"] == {"offsite": 1}
    assert run.stats["items"]["products"] == 1
    assert run.stats["browser"]["pages_opened"] == run.stats["browser"]["pages_closed"] == 2
    with open_store(tmp_path / "var" / "shopsentinel.db") as store:
        assert [p.url for p in store.products()] == [shop + "/item/good.html"]


def test_the_spider_side_drops_every_request_the_policy_refuses_and_keeps_items():
    from scrapy import Request

    from crawlers.middlewares import UrlPolicySpiderMiddleware

    asked = []
    spider = SimpleNamespace(refused=lambda key, url: asked.append((key, url)) or not url.startswith("http"))
    middleware = UrlPolicySpiderMiddleware(SimpleNamespace(spider=spider))
    kept = Request("http://127.0.0.1:8701/item/1.html", meta={"platform": "shop"})
    dropped = Request("file:///etc/hostname", meta={"platform": "shop"})
    item = {"title": "露营椅"}
    assert list(middleware.process_spider_output(None, [kept, dropped, item])) == [kept, item]
    assert asked == [("shop", kept.url), ("shop", dropped.url)]
