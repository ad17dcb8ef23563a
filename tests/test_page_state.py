"""Page states: the classifier on small pages written after the marketplaces' public page structures, the page log,
and the whole path on the demo marketplace: captcha, login, soft-ban and layout faults feed no monitor and raise
one system alert each."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from config import load_config
from crawlers.page_state import History, PageLog, PageState, classify, is_login_url, wall
from daemon.jobs import JobRunner
from store import open_store
from test_daemon import daemon_config

PAGES = Path(__file__).parent / "fixtures" / "pages" / "states"
URL = "https://shop.example.com/item/1.html"


def state(name: str, **facts) -> PageState:
    facts = {"status": 200, "url": URL, "found": False, **facts}
    return classify(html=(PAGES / name).read_text(encoding="utf-8"), **facts).state


@pytest.mark.parametrize("name", ["tmall_slider.html", "jd_risk.html"])
def test_slider_and_risk_pages_are_blocked_whatever_came_before(name):
    assert state(name) == PageState.BLOCKED
    assert state(name, matched_before=True, results_before=True) == PageState.BLOCKED


def test_a_page_that_shows_its_content_is_ok_whatever_words_it_contains():
    assert state("review_mentions_captcha.html", found=True) == PageState.OK


def test_login_form_and_login_to_see_the_price_are_login_walls():
    assert state("login_wall.html") == PageState.LOGIN_REQUIRED
    assert state("price_after_login.html", partial=True) == PageState.LOGIN_REQUIRED


def test_a_redirect_to_a_login_host_or_path_is_a_login_wall_even_with_content():
    login = "https://login.taobao.com/member/login.jhtml?redirectURL=x"
    assert classify(status=200, url=login, html="<p>x</p>", found=True, redirected=True).state == PageState.LOGIN_REQUIRED
    assert classify(status=200, url=login, html="<p>x</p>", found=True).state == PageState.OK, "not redirected there"
    assert is_login_url("https://passport.jd.com/new/login.aspx") and is_login_url("http://127.0.0.1:1/login?r=/")
    assert not is_login_url("https://item.jd.com/100012.html") and not is_login_url("https://shop.example.com/blogin")


def test_a_delisted_product_is_not_found_not_an_error():
    assert state("delisted.html") == PageState.NOT_FOUND
    for status in (404, 410):
        assert classify(status=status, url=URL, html="", found=False).state == PageState.NOT_FOUND


@pytest.mark.parametrize(("status", "html", "expected"), [
    (403, "<h1>Forbidden</h1>", PageState.BLOCKED),
    (429, "Too Many Requests", PageState.BLOCKED),
    (403, '<form><input type="password"></form>', PageState.LOGIN_REQUIRED),
    (401, "", PageState.LOGIN_REQUIRED),
])
def test_refusing_statuses(status, html, expected):
    assert classify(status=status, url=URL, html=html, found=False).state == expected


def test_no_results_is_a_soft_ban_only_where_results_were_found_before():
    assert state("search_empty.html", results_before=True) == PageState.BLOCKED
    assert state("search_empty.html", matched_before=True) == PageState.OK, "another keyword's hits prove nothing"


@pytest.mark.parametrize("html", [
    '<td>搜索“<b>露营椅</b>”，共找到 <font color=red>0</font> 个宝贝</td>',  # laodian's count of hits
    "<p>找到0个相关商品</p>", "<div>0 个结果</div>", "<p>抱歉，没有找到与“露营椅”相关的商品</p>",
    "<span>搜索结果为 0</span>",
])
def test_the_ways_a_chinese_shop_says_no_results_are_a_soft_ban_where_results_were_found_before(html):
    page = f"<html><body>{html}<table class=goodslist></table></body></html>"
    verdict = classify(status=200, url=URL, html=page, found=False, matched_before=True, results_before=True)
    assert verdict.state == PageState.BLOCKED and "soft ban" in verdict.reason


@pytest.mark.parametrize("html", ["共找到 <font>10</font> 个宝贝", "共120个结果", "第 10.0 个商品"])
def test_a_count_that_is_not_zero_says_nothing_of_an_empty_list(html):
    verdict = classify(status=200, url=URL, html=html, found=False, matched_before=True, results_before=True)
    assert verdict.state == PageState.LAYOUT_CHANGED


def test_a_normal_page_matching_nothing_is_a_changed_layout_only_after_matching_before():
    assert state("search_relayout.html", matched_before=True) == PageState.LAYOUT_CHANGED
    assert state("search_relayout.html") == PageState.OK, "a first crawl cannot tell: an empty page, as before"
    assert state("search_relayout.html", matched_before=True, partial=True) == PageState.OK, "incomplete, not changed"


def test_a_later_page_without_entries_is_the_end_of_its_list_unless_it_is_a_wall():
    feed = 'fetchJSON_comment98({"comments": [], "maxPage": 3});'
    assert classify(status=200, url=URL, html=feed, found=False, matched_before=True).state == PageState.LAYOUT_CHANGED
    assert classify(status=200, url=URL, html=feed, found=False, matched_before=True, later_page=True).state == \
        PageState.OK
    assert state("tmall_slider.html", matched_before=True, later_page=True) == PageState.BLOCKED


def test_a_wall_is_told_by_its_markers_alone():
    assert wall((PAGES / "tmall_slider.html").read_text(encoding="utf-8")).state == PageState.BLOCKED
    assert wall((PAGES / "login_wall.html").read_text(encoding="utf-8")).state == PageState.LOGIN_REQUIRED
    assert wall("<div id=app></div>") is None


def test_an_empty_body_is_a_parse_error():
    assert classify(status=200, url=URL, html=" \n", found=False, matched_before=True).state == PageState.PARSE_ERROR


def test_every_verdict_says_why():
    verdict = classify(status=200, url=URL, html=(PAGES / "tmall_slider.html").read_text(encoding="utf-8"), found=False)
    assert "访问受限" in verdict.reason or "滑块" in verdict.reason


def test_page_log_counts_streaks_and_blocked_pages_in_a_row():
    log = PageLog()
    log.record("sc", "search", PageState.OK, 1.0)
    log.record("sc", "product", PageState.BLOCKED, 2.0)
    log.record("sc", "search", PageState.BLOCKED, 3.0)
    assert log.blocked_in_a_row("sc") == (2, 3.0), "blocked pages of any kind, in a row per platform"
    assert log.streaks["sc", "search"] == (PageState.BLOCKED, 1)
    log.record("sc", "product", PageState.OK, 4.0)
    assert log.blocked_in_a_row("sc") == (0, 0.0) and log.streaks["sc", "product"] == (PageState.OK, 1)


def test_history_knows_the_kinds_that_matched_in_earlier_runs():
    runs = [{"platforms": {"sc": {"states": {"search": {"ok": 2}, "product": {"blocked": 3}}}}}, {"platforms": {}}]
    history = History.from_runs(runs, [("sc", "露营椅")])
    assert history.matched == {("sc", "search")} and ("sc", "露营椅") in history.keywords


# --- on the demo marketplace --------------------------------------------------------------------------------------

KEYWORD = '[[keywords]]\nterm = "露营椅"\nplatforms = ["shangcheng"]\ntop = 3'
MONITORED = ("price", "stock", "review")


def facts(store_path: Path) -> tuple[set[tuple[str, str]], int, int]:
    """The price, stock and review alerts (kind, subject), and how many observations and reviews are stored."""
    with open_store(store_path) as store:
        alerts = {(a.kind, a.subject) for a in store.alerts() if a.category in MONITORED}
        observations = sum(len(store.price_history(p.id)) for p in store.products())
        reviews = sum(len(store.reviews_for(p.id)) for p in store.products())
    return alerts, observations, reviews


@pytest.mark.integration
@pytest.mark.timeout(600)
def test_blocked_and_changed_pages_feed_no_monitor_and_raise_one_alert_each(tmp_path, fresh_marketplace):
    market = fresh_marketplace
    config_path = daemon_config(tmp_path, market.sites, keywords=KEYWORD, own_platforms=("shangcheng",),
                                schedule={"jitter": '"0s"', "page_state_alert": "2"})
    config = load_config(config_path)
    jobs = JobRunner(config_path, config, on_stage=lambda stage: None, stop_requested=lambda: False, busy_wait_s=0)

    def run(job: str) -> dict:
        outcome = jobs.run(job)
        assert outcome.status == "ok", outcome.error
        return outcome.stats

    run("prices")                                                   # the baseline: every page reads
    run("own_reviews")
    baseline = facts(config.store.path)
    assert baseline[1] and baseline[2], "prices and reviews were stored"

    market.add_fault(kind="captcha", platform="shangcheng", path="/item/*")   # products and their reviews
    market.add_fault(kind="softban", platform="shangcheng", path="/search*")
    first = run("prices")
    run("prices")
    run("own_reviews")
    assert facts(config.store.path) == baseline, "no observation, review or alert from a blocked page"
    with open_store(config.store.path) as store:
        reviews_run, prices_run = store.runs(limit=2)
        [blocked] = store.alerts(kind="page_blocked")
    assert reviews_run.stats["platforms"]["shangcheng"]["states"] == {"reviews": {"blocked": 2}}
    assert prices_run.stats["platforms"]["shangcheng"]["states"] == {"product": {"blocked": 2},
                                                                     "search": {"blocked": 1}}
    assert blocked.subject == "shangcheng" and blocked.category == "system" and "更新 Cookie" in str(blocked.body)
    assert blocked.evidence["kinds"] == {"product": 2}, "two product pages in a row; one search page so far"
    assert first["outage_alerts"] == [blocked.id], "raised (and delivered) by the first blocked run"

    market.clear_faults()
    market.add_fault(kind="layout", platform="shangcheng", path="/search*")
    market.add_fault(kind="login", platform="shangcheng", path="/item/SC10002*")
    for _ in range(3):
        run("prices")
    alerts, observations, _ = facts(config.store.path)
    assert alerts == baseline[0], "no false price or stock alert"
    assert observations == baseline[1] + 3, "only the page that read normally (SC10001), once per run"
    with open_store(config.store.path) as store:
        [latest] = store.runs(limit=1)
        [changed] = store.alerts(kind="page_layout_changed")
        assert len(store.alerts(kind="page_blocked")) == 1, "raised once per streak, not every cycle"
    states = latest.stats["platforms"]["shangcheng"]["states"]
    assert states["search"] == {"layout_changed": 1} and states["product"] == {"ok": 1, "login_required": 1}
    assert "检查选择器" in str(changed.body) and changed.evidence["kinds"] == {"search": 2}


@pytest.mark.integration
@pytest.mark.timeout(600)
def test_a_browser_page_showing_a_captcha_is_blocked_not_an_error(tmp_path, fresh_marketplace):
    """kuaigou's product steps wait for the shop's drawing, which a captcha page never draws: the steps time out,
    and the page is read for what it shows instead."""
    from crawlers.run import CrawlPlan, run_crawl

    config_path = daemon_config(tmp_path, fresh_marketplace.sites, own_platforms=("kuaigou",), timeout_s=3.0)
    config = load_config(config_path)
    urls = [("kuaigou", config.own_product_url(p)) for p in config.own_products]
    fresh_marketplace.add_fault(kind="captcha", platform="kuaigou", path="/p/*")
    [run] = run_crawl(config_path, CrawlPlan(platforms=["kuaigou"], products=urls)).runs
    stats = run.stats["platforms"]["kuaigou"]
    assert stats["states"] == {"product": {"blocked": len(urls)}} and stats["errors"] == {}
    with open_store(config.store.path) as store:
        assert not any(store.price_history(p.id) for p in store.products())


@pytest.mark.integration
@pytest.mark.timeout(600)
def test_scan_raises_the_page_state_alert_the_daemon_would_on_laodians_soft_ban(tmp_path, fresh_marketplace):
    """laodian answers a soft-banned search with 共找到 0 个宝贝: blocked, not a changed layout, and `agent.py scan`
    raises the same page-state alert as the daemon's jobs (monitors.health, after every crawl of a cycle)."""
    from test_daemon import agent

    laodian = '[[keywords]]\nterm = "露营椅"\nplatforms = ["laodian"]\ntop = 3'
    config_path = daemon_config(tmp_path, fresh_marketplace.sites, keywords=laodian, own_platforms=("laodian",),
                                schedule={"page_state_alert": "1"})
    config = load_config(config_path)
    scan = ("scan", "--platform", "laodian", "--no-reviews", "--no-send", "--json")
    assert agent(config_path, *scan).returncode == 0
    fresh_marketplace.add_fault(kind="softban", platform="laodian", path="/list.php*")
    result = agent(config_path, *scan)
    assert result.returncode == 0, result.stderr[-3000:]
    with open_store(config.store.path) as store:
        [latest] = store.runs(limit=1)
        [blocked] = store.alerts(kind="page_blocked")
    assert latest.stats["platforms"]["laodian"]["states"]["search"] == {"blocked": 1}
    assert blocked.subject == "laodian" and blocked.evidence["kinds"] == {"search": 1}
    assert blocked.id in [alert["id"] for alert in json.loads(result.stdout)["alerts"]], "shown by the scan"
