"""The operator console in real Chromium (Playwright) against `agent.py serve` on a loopback port, over a store
filled by a demo crawl: sign in, see the demo's alerts, acknowledge one (the store changes and a second operator's
page shows it), run the compliance checker, open a keyword's competitors and price chart. All in Chinese."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import ROOT, fast_config
from console_server import PASSWORDS, add_accounts, serving
from monitors.compliance import find_violations
from store import open_store

pytestmark = pytest.mark.integration
sync_api = pytest.importorskip("playwright.sync_api")


@dataclass
class Console:
    base: str
    db: Path


@pytest.fixture(scope="module")
def console(tmp_path_factory, marketplace) -> Iterator[Console]:
    folder = tmp_path_factory.mktemp("demo-console")
    config = fast_config(folder, marketplace.sites)
    scan = subprocess.run([sys.executable, str(ROOT / "agent.py"), "--config", str(config), "scan", "-k", "露营椅",
                           "-p", "shangcheng", "--top", "5", "--no-send"], capture_output=True, text=True,
                          timeout=300)
    assert scan.returncode == 0, scan.stderr
    db = folder / "var" / "shopsentinel.db"
    with open_store(db) as store:
        assert store.alerts(), "the demo crawl raised no alert"
        add_accounts(store)
    with serving(config) as base:
        yield Console(base, db)


@pytest.fixture(scope="module")
def chromium():
    from crawlers.browser import BrowserNotFound, launch_options

    try:
        options = launch_options()
    except BrowserNotFound as missing:
        pytest.skip(str(missing))
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(**options)
        yield browser
        browser.close()


def signed_in(chromium, console: Console, name: str, refused: list[str]):
    """A page of a browser context of its own (its own cookies), signed in as `name`; the policy violations and
    script errors Chromium reports go to `refused`."""
    page = chromium.new_context(locale="zh-CN").new_page()
    page.on("console", lambda message: refused.append(message.text) if message.type == "error" else None)
    page.goto(f"{console.base}/alerts")
    assert page.url.startswith(f"{console.base}/signin")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", PASSWORDS[name])
    page.click("button[type=submit]")
    page.wait_for_url(f"{console.base}/alerts")
    return page


def test_an_operator_acknowledges_a_demo_alert_and_another_operator_sees_it(chromium, console: Console) -> None:
    with open_store(console.db) as store:
        alert = store.alerts_open_first()[0]
    refused: list[str] = []
    wang, li = signed_in(chromium, console, "wang", refused), signed_in(chromium, console, "li", refused)
    row = f"#alert-{alert.id}"
    assert wang.inner_text("h1") == "告警"
    assert str(alert.title) in wang.inner_text(row) and "新告警" in li.inner_text(row)
    wang.click(f"{row} button:has-text('认领')")
    wang.wait_for_url(f"{console.base}/alerts")
    assert "已认领" in wang.inner_text(f"{row} .state")
    with open_store(console.db) as store:
        assert store.get_alert(alert.id).state == "acknowledged"
        assert [(e.action, e.actor) for e in store.alert_history(alert.id)] == [("acknowledged", "wang")]
    li.reload()
    assert "已认领" in li.inner_text(f"{row} .state") and li.locator(f"{row} button").count() == 0
    li.click(f"{row} a")
    li.fill("textarea[name=note]", "已联系美工修改标题")
    li.click("button:has-text('保存备注')")
    history = li.inner_text("ol.history")
    assert "wang 已认领" in history and "li 添加了备注: 已联系美工修改标题" in history
    assert refused == [], "Chromium refused something on the console's pages"


def test_the_compliance_checker_marks_each_violation_with_its_article(chromium, console: Console) -> None:
    titles = ["全网第一 美白祛斑 国家级面霜", "纯棉T恤 宽松 百搭"]
    refused: list[str] = []
    page = signed_in(chromium, console, "zhao", refused)  # a viewer may check titles
    page.click("nav a:has-text('合规')")
    page.fill("textarea[name=titles]", "\n".join(titles))
    page.select_option("select[name=category]", "cosmetics")
    page.click("button:has-text('检测')")
    expected = find_violations(titles[0], category="cosmetics")
    assert page.inner_text("h2.summary") == "已检测 2 条标题，其中 1 条有违规。"
    marks = page.locator("section.result.flagged mark")
    assert marks.count() == len(expected) and marks.first.inner_text().startswith("全网第一")
    table = page.inner_text("section.result.flagged table")
    assert "《广告法》第九条" in table and "严重" in table
    assert page.locator("section.result.clean p.ok").inner_text() == "未发现违规。"
    with open_store(console.db) as store:  # the demo crawl's breach in our own listing is listed below
        own = store.alerts(category="compliance")
    listed = " ".join(page.locator("section.breach h3").all_inner_texts())
    assert own and all(alert.evidence["title"] in listed for alert in own)
    assert page.locator("section.breach mark").count() >= 1
    assert refused == []


def test_a_keyword_s_competitors_and_price_chart(chromium, console: Console, tmp_path: Path) -> None:
    with open_store(console.db) as store:
        titles = [store.get_product(hit.product_id).title for hit in store.search_results("shangcheng", "露营椅")]
    refused: list[str] = []
    page = signed_in(chromium, console, "zhao", refused)
    page.click("nav a:has-text('竞品')")
    assert "露营椅" in page.inner_text("main h2")
    listings = page.inner_text("table.listings")
    assert all(title in listings for title in titles) and "¥" in listings
    assert "竞品价格带" in page.inner_text("p.band")
    assert page.locator("figure.chart svg polyline").count() >= 1
    page.screenshot(path=str(tmp_path / "competitors.png"), full_page=True)
    assert refused == []


def test_reviews_and_runs_show_the_demo_crawl_s_pain_points_and_crawls(chromium, console: Console) -> None:
    refused: list[str] = []
    page = signed_in(chromium, console, "zhao", refused)
    page.click("nav a:has-text('评价')")
    assert "关键词：露营椅" in page.inner_text("main") and page.locator("section.scope svg").count() >= 1
    page.click("nav a:has-text('运行')")
    crawls = page.inner_text("table.crawls")
    assert "热词" in crawls and "关键词搜索" in crawls and "成功" in crawls
    assert "每日汇总" in page.inner_text("table.jobs") and "守护进程未运行" in page.inner_text("main")
    assert refused == []
